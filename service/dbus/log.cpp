#include "log.hpp"

#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace ctd::log {

namespace {

int maxPriority_ = LOG_INFO;
bool journal_ = false;

} // namespace

void init(int maxPriority)
{
    maxPriority_ = maxPriority;
    journal_ = access("/run/systemd/journal/socket", F_OK) == 0;
}

int parseLevel(std::string_view name)
{
    static constexpr std::pair<std::string_view, int> levels[] = {
        {"emerg", LOG_EMERG}, {"alert", LOG_ALERT}, {"crit", LOG_CRIT}, {"err", LOG_ERR},
        {"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
        {"info", LOG_INFO}, {"debug", LOG_DEBUG},
    };
    for (auto [word, level] : levels) {
        if (name == word)
            return level;
    }
    if (name.size() == 1 && name[0] >= '0' && name[0] <= '7')
        return name[0] - '0';
    return -1;
}

void write(int priority, std::string_view message)
{
    if (priority > maxPriority_)
        return;
    if (journal_) {
        sd_journal_send("MESSAGE=%.*s", static_cast<int>(message.size()), message.data(),
                        "PRIORITY=%i", priority, "SYSLOG_IDENTIFIER=ctd", nullptr);
        return;
    }
    std::string line = "ctd: ";
    line.append(message);
    line += '\n';
    // One write per line so concurrent output from tests stays readable.
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

} // namespace ctd::log
