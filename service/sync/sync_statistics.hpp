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

using StatValue = std::variant<uint64_t, std::string, std::vector<std::string>>;
using Statistics = std::vector<std::pair<std::string, StatValue>>;

// category: "", network, cache, runtime, link, rsqueue, queue, ct, expect.
Result<Statistics> collectStatistics(SyncRuntime& runtime, const std::string& category);

} // namespace ctd::sync
