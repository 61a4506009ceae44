// conntrackd 1.4.7's `-s [category]` text, rebuilt from the counters of
// Caches.GetStatistics (docs/dbus-api.md, "GetStatistics keys"). Every format string is
// conntrackd's own (cache.c, traffic_stats.c, sync-mode.c, channel_*.c, multichannel.c,
// run.c, queue.c, sync-ftfw.c), so the output matches byte for byte, tabs included.
// Counters conntrackd keeps in 32 bits (%12u, %20u) are printed whole: a value past 2^32
// makes the column wider where conntrackd would have wrapped.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace ctd::ctl::conntrackd {

// One GetStatistics value: t, s or as (anything else is dropped when converting).
using StatValue = std::variant<uint64_t, std::string, std::vector<std::string>>;
using StatsMap = std::map<std::string, StatValue>;

// category: "" (general), "network", "cache", "runtime", "link", "rsqueue", "queue",
// "ct", "expect"; anything else gives "". A missing counter prints as 0, a missing
// string as "".
std::string formatStats(const std::string& category, const StatsMap& stats);

// The same in Stats mode (stats-mode.c, from Stats.GetFlowStatistics): "" and "ct" the
// "stats" cache and the traffic counters, "cache" its extended counters, "runtime" as in
// sync mode; every other category prints nothing.
std::string formatFlowStats(const std::string& category, const StatsMap& stats);

// run.c's uptime(): "N min", "N h N min", with "N day(s) " in front when a day has passed.
std::string formatUptime(uint64_t seconds);

} // namespace ctd::ctl::conntrackd
