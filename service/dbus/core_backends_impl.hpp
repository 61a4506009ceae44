// What the core backends share: the loop, the label map, the loop's own request socket
// (single quick requests: counts, statistics) and the event hub. Internal to
// core_backends*.cpp.
#pragma once

#include "core_backends.hpp"
#include "event_hub.hpp"
#include "worker_job.hpp"

#include "netlink/socket.hpp"

#include <fstream>
#include <memory>
#include <string>

namespace ctd::dbus {

struct CoreShared {
    EventLoop& loop;
    std::shared_ptr<const LabelMap> labels;
    std::unique_ptr<nl::MnlSocket> socket;
    std::unique_ptr<EventHub> events;
};

// nf_conntrack_max as the kernel reports it (CTNL_MSG_CT_GET_STATS), else the sysctl.
ctd::Result<uint64_t> kernelMaxEntries(CoreShared& shared);

// /proc/sys/net/netfilter/NAME of the service's namespace.
inline ctd::Result<uint64_t> sysctlNumber(const std::string& name)
{
    std::ifstream in("/proc/sys/net/netfilter/" + name);
    uint64_t value = 0;
    if (!(in >> value))
        return ctd::makeError(ENOENT, "cannot read " + name + " (is nf_conntrack loaded?)");
    return value;
}

std::unique_ptr<TableBackend> makeCoreTableBackend(std::shared_ptr<CoreShared> shared);
std::unique_ptr<ExpectationBackend> makeCoreExpectationBackend(std::shared_ptr<CoreShared> shared);
std::unique_ptr<StatsBackend> makeCoreStatsBackend(std::shared_ptr<CoreShared> shared);

} // namespace ctd::dbus
