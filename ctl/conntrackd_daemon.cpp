#include "conntrackd_daemon.hpp"

#include "conntrackd_log.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifndef CTD_BINARY_PATH
#define CTD_BINARY_PATH "/usr/sbin/ctd"
#endif

namespace ctd::ctl::conntrackd {

namespace {

void execCtd(const std::string& binary, const std::string& config)
{
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>("ctd"));
    argv.push_back(const_cast<char*>("--config"));
    argv.push_back(const_cast<char*>(config.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
}

// conntrackd chdir()s to "/" once it runs; ctd is given an absolute path so that a
// relative -C still names the same file.
std::string absolute(const std::string& path)
{
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved))
        return resolved;
    return path;
}

} // namespace

std::string ctdBinary()
{
    const char* env = std::getenv("CTD_BINARY");
    return env && *env ? env : CTD_BINARY_PATH;
}

int startDaemon(const std::string& configFile, bool background)
{
    const std::string binary = ctdBinary();
    const std::string config = absolute(configFile);
    if (!background) {
        execCtd(binary, config);
        log(LogLevel::Error, "cannot run " + binary + ": " + std::strerror(errno));
        return 1;
    }
    // The child reports a failed exec through a close-on-exec pipe: EOF means ctd runs.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        log(LogLevel::Error, std::string("fork has failed: ") + std::strerror(errno));
        return 1;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
        log(LogLevel::Error, std::string("fork has failed: ") + std::strerror(errno));
        close(report[0]);
        close(report[1]);
        return 1;
    }
    if (pid == 0) {
        close(report[0]);
        setsid();
        // As conntrackd's do_chdir("/"): a failure is harmless, the config path is absolute.
        if (chdir("/") != 0)
            errno = 0;
        // conntrackd closes stdin before the fork and stdout/stderr after it.
        const int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            if (null > STDERR_FILENO)
                close(null);
        }
        execCtd(binary, config);
        const int e = errno;
        ssize_t ignored = write(report[1], &e, sizeof e);
        (void)ignored;
        _exit(1);
    }
    close(report[1]);
    int childErrno = 0;
    ssize_t n;
    do {
        n = read(report[0], &childErrno, sizeof childErrno);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == static_cast<ssize_t>(sizeof childErrno)) {
        waitpid(pid, nullptr, 0);
        log(LogLevel::Error, "cannot run " + binary + ": " + std::strerror(childErrno));
        return 1;
    }
    return 0;
}

} // namespace ctd::ctl::conntrackd
