// format-bench [N] [spec]: formats N entries (default 1M) into a TextBuffer flushed to
// /dev/null and prints the time per format.
#include "builders.hpp"
#include "format/formatter.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

using namespace ctd;

int main(int argc, char** argv)
{
    const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
    const std::vector<Entry> entries = test::throughputEntries(4096);
    const int fd = open("/dev/null", O_WRONLY);
    const char* specs[] = {"", "extended,id", "xml", "save", "json"};
    for (const char* spec : specs) {
        if (argc > 2 && std::string_view(argv[2]) != spec)
            continue;
        TextBuffer out;
        Formatter fmt(*parseFormatSpec(spec), Command::List, out);
        size_t bytes = 0;
        const auto start = std::chrono::steady_clock::now();
        fmt.begin();
        for (long i = 0; i < n; ++i) {
            fmt.entry(entries[static_cast<size_t>(i) & 4095]);
            if (out.wantsFlush()) {
                bytes += out.size();
                (void)out.flushTo(fd);
            }
        }
        fmt.end();
        bytes += out.size();
        (void)out.flushTo(fd);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%-12s %ld entries, %zu MB, %.3f s (%.0f ns/entry)\n", *spec ? spec : "default", n,
                    bytes >> 20, s, s * 1e9 / static_cast<double>(n));
    }
    close(fd);
    return 0;
}
