// conntrackd -d (and conntrackd with no client option): ctd is the daemon now, so the
// drop-in execs it with the same configuration file.
#pragma once

#include <string>

namespace ctd::ctl::conntrackd {

// The ctd to run: $CTD_BINARY when set (tests), else the one installed with this ctctl.
std::string ctdBinary();

// background: conntrackd's -d, i.e. fork, setsid, stdio to /dev/null, exec ctd; the
// parent exits 0 once the exec has succeeded (1 with an [ERROR] line if it failed).
// Foreground: exec ctd in place (returns only on failure, with 1).
int startDaemon(const std::string& configFile, bool background);

} // namespace ctd::ctl::conntrackd
