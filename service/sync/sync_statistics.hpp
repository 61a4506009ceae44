// conntrackd -s as named counters (docs/dbus-api.md "GetStatistics keys"): the bus face
// turns them into a{sv}, the conntrackd drop-in prints conntrackd's text from them.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ctd::sync {

class SyncRuntime;
class FlowLogger;

using StatValue = std::variant<uint64_t, std::string, std::vector<std::string>>;
using Statistics = std::vector<std::pair<std::string, StatValue>>;

// category: "", network, cache, runtime, link, rsqueue, queue, ct, expect.
Result<Statistics> collectStatistics(SyncRuntime& runtime, const std::string& category);

// conntrackd -s in Stats mode (Stats.GetFlowStatistics): "" and ct give the stats cache
// (stats.*) and traffic.*, cache its extended counters, runtime the netlink counters; the
// other sync categories are empty (conntrackd prints nothing for them).
Result<Statistics> collectFlowStatistics(const FlowLogger& flows, const std::string& category);

} // namespace ctd::sync
