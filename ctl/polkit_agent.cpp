#include "polkit_agent.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace ctd::ctl {

PolkitAgent::PolkitAgent(bool ask)
{
    // ctd skips polkit for uid 0 (docs/dbus-api.md), so root never needs an agent.
    if (!ask || getuid() == 0 || !isatty(STDIN_FILENO) || access("/usr/bin/pkttyagent", X_OK) != 0)
        return;
    int notify[2];
    if (pipe2(notify, O_CLOEXEC) != 0)
        return;
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
        // The agent reports readiness by closing --notify-fd; keep only that end open.
        close(notify[0]);
        fcntl(notify[1], F_SETFD, 0);
        const std::string fd = std::to_string(notify[1]);
        const std::string process = std::to_string(parent);
        execl("/usr/bin/pkttyagent", "pkttyagent", "--process", process.c_str(),
              "--notify-fd", fd.c_str(), "--fallback", static_cast<char*>(nullptr));
        _exit(127);
    }
    close(notify[1]);
    if (pid_ > 0) {
        char c;
        while (read(notify[0], &c, 1) > 0) {
        }
    }
    close(notify[0]);
}

PolkitAgent::~PolkitAgent()
{
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
}

} // namespace ctd::ctl
