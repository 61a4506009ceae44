// Logging for the daemon: the journal when it is there (its socket exists), else stderr
// with a syslog-style <N> prefix-free line. Levels are syslog priorities.
#pragma once

#include <string_view>
#include <syslog.h>

namespace ctd::log {

void init(int maxPriority);
// "err", "warning", "notice", "info", "debug" (or 0..7); nullopt-like -1 when unknown.
int parseLevel(std::string_view name);
void write(int priority, std::string_view message);

inline void error(std::string_view message) { write(LOG_ERR, message); }
inline void warning(std::string_view message) { write(LOG_WARNING, message); }
inline void notice(std::string_view message) { write(LOG_NOTICE, message); }
inline void info(std::string_view message) { write(LOG_INFO, message); }
inline void debug(std::string_view message) { write(LOG_DEBUG, message); }

} // namespace ctd::log
