// Kernel counters: conntrack -C (entry count), -S (per-CPU statistics) and expect -S.
#pragma once

#include "result.hpp"
#include "socket.hpp"
#include "stats.hpp"

#include <vector>

namespace ctd::nl {

class KernelStats {
public:
    explicit KernelStats(NetlinkTransport& nl) : nl_(nl) {}

    Result<GlobalStats> global(); // CTNL_MSG_CT_GET_STATS: this namespace's count (+ max)
    Result<std::vector<CpuStats>> perCpu(); // CTNL_MSG_CT_GET_STATS_CPU
    Result<std::vector<ExpectCpuStats>> expectPerCpu(); // CTNL_MSG_EXP_GET_STATS_CPU

private:
    NetlinkTransport& nl_;
};

} // namespace ctd::nl
