// conntrackd 1.4.7's dlog() line as a client prints it on stderr:
// "[Wed Dec  2 00:34:13 2026] (pid=N) [ERROR] text\n" (ctime() without its newline, the
// caller's pid, the priority word). Kept separate so tests can fix time and pid.
#pragma once

#include <ctime>
#include <string>

namespace ctd::ctl::conntrackd {

enum class LogLevel { Notice, Warning, Error };

// The whole line, newline included.
std::string logLine(LogLevel level, const std::string& text, std::time_t when, int pid);

// logLine() for now and getpid(), written to stderr at once (stdout flushed first so the
// order of usage text and error lines is the one conntrackd produces).
void log(LogLevel level, const std::string& text);

} // namespace ctd::ctl::conntrackd
