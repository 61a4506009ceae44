// Kernel statistics as ctnetlink reports them (conntrack -S, -C and expect -S).
#pragma once

#include <cstdint>
#include <optional>

namespace ctd {

// One CPU's counters (CTNL_MSG_CT_GET_STATS_CPU). Fields the kernel stopped sending stay
// nullopt so a formatter can print conntrack's columns for this kernel only.
struct CpuStats {
    uint16_t cpu = 0;
    std::optional<uint32_t> searched, found, newCount, invalid, ignore, deleted, deleteList, insert,
        insertFailed, drop, earlyDrop, error, searchRestart, clashResolve, chainTooLong;
    bool operator==(const CpuStats&) const = default;
};

// CTNL_MSG_CT_GET_STATS: the table of this network namespace.
struct GlobalStats {
    uint32_t entries = 0;
    std::optional<uint32_t> maxEntries;
    bool operator==(const GlobalStats&) const = default;
};

struct ExpectCpuStats {
    uint16_t cpu = 0;
    std::optional<uint32_t> newCount, create, deleted;
    bool operator==(const ExpectCpuStats&) const = default;
};

} // namespace ctd
