#include "conntrackd_log.hpp"

#include <unistd.h>

#include <cstdio>

namespace ctd::ctl::conntrackd {

namespace {

// dlog()'s priority words (log.c): LOG_ERR is upper case, the others are not.
const char* levelWord(LogLevel level)
{
    switch (level) {
    case LogLevel::Notice: return "notice";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "ERROR";
    }
    return "?";
}

} // namespace

std::string logLine(LogLevel level, const std::string& text, std::time_t when, int pid)
{
    // ctime_r() writes "Www Mmm dd hh:mm:ss yyyy\n" (26 bytes with the NUL) in local time,
    // as ctime() does in dlog(); the newline is cut as dlog() cuts it.
    char date[64] = {};
    if (!ctime_r(&when, date))
        date[0] = '\0';
    std::string stamp(date);
    if (!stamp.empty() && stamp.back() == '\n')
        stamp.pop_back();
    return "[" + stamp + "] (pid=" + std::to_string(pid) + ") [" + levelWord(level) + "] " +
        text + "\n";
}

void log(LogLevel level, const std::string& text)
{
    // One message, one line: a service's message may carry newlines (or end with one).
    std::string flat = text;
    for (char& c : flat) {
        if (c == '\n' || c == '\r')
            c = ' ';
    }
    while (!flat.empty() && flat.back() == ' ')
        flat.pop_back();
    std::fflush(stdout);
    const std::string line = logLine(level, flat, std::time(nullptr), static_cast<int>(getpid()));
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

} // namespace ctd::ctl::conntrackd
