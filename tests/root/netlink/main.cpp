// Refuses to run anywhere but the throwaway namespace run-in-netns.sh made: these tests
// flush tables.
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool inThrowawayNamespace()
{
    const char* name = std::getenv("CTD_TEST_NETNS");
    struct stat self {}, named {}, init {};
    if (!name || stat("/proc/self/ns/net", &self) != 0)
        return false;
    if (stat(("/run/netns/" + std::string(name)).c_str(), &named) != 0 || named.st_ino != self.st_ino)
        return false;
    // Belt and braces where PID 1's namespace is visible.
    return stat("/proc/1/ns/net", &init) != 0 || init.st_ino != self.st_ino;
}

} // namespace

int main(int argc, char** argv)
{
    if (geteuid() != 0) {
        std::fprintf(stderr, "SKIP: needs root\n");
        return 77;
    }
    if (!inThrowawayNamespace()) {
        std::fprintf(stderr, "refusing to run outside a throwaway namespace; use tests/root/run-in-netns.sh\n");
        return 1;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
