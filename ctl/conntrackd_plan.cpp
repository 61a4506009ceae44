#include "conntrackd_plan.hpp"

namespace ctd::ctl::conntrackd {

std::vector<BusStep> planFor(Action action)
{
    using C = BusStep::Call;
    // Every field spelled out (-Wmissing-field-initializers).
    auto step = [](C call, std::string arg = {}, std::string format = {}) {
        return BusStep{call, std::move(arg), std::move(format), false};
    };
    auto expect = [](BusStep s) {
        s.onlyWithExpectSync = true;
        return s;
    };
    switch (action) {
    // ALL_COMMIT: the conntrack cache, then the expectation cache when it is synced.
    case Action::AllCommit:
        return {step(C::Commit, "external"), expect(step(C::Commit, "external:expect"))};
    case Action::CtCommit: return {step(C::Commit, "external:ct")};
    case Action::ExpCommit: return {expect(step(C::Commit, "external:expect"))};
    // -i / -e print conntrackd's own lines; -x its one-line XML flows.
    case Action::CtDumpInternal: return {step(C::Dump, "internal", "conntrackd")};
    case Action::CtDumpExternal: return {step(C::Dump, "external", "conntrackd")};
    case Action::CtDumpInternalXml: return {step(C::Dump, "internal", "conntrackd-xml")};
    case Action::CtDumpExternalXml: return {step(C::Dump, "external", "conntrackd-xml")};
    case Action::ExpDumpInternal:
        return {expect(step(C::Dump, "internal:expect", "conntrackd"))};
    case Action::ExpDumpExternal:
        return {expect(step(C::Dump, "external:expect", "conntrackd"))};
    case Action::ExpDumpInternalXml:
        return {expect(step(C::Dump, "internal:expect", "conntrackd-xml"))};
    case Action::ExpDumpExternalXml:
        return {expect(step(C::Dump, "external:expect", "conntrackd-xml"))};
    // -F flushes the kernel tables (ctnl.c local_flush_master), not the caches.
    case Action::CtFlushMaster: return {step(C::TableFlush)};
    case Action::ExpFlushMaster: return {expect(step(C::ExpectationsFlush))};
    case Action::AllFlushMaster: return {step(C::TableFlush), expect(step(C::ExpectationsFlush))};
    case Action::CtFlushInternalCache: return {step(C::Flush, "internal")};
    case Action::CtFlushExternalCache: return {step(C::Flush, "external")};
    case Action::AllFlushCache: return {step(C::Flush, "")};
    // One resync reads the whole kernel table; ctd has no expectation-only variant.
    case Action::CtResyncMaster:
    case Action::AllResyncMaster: return {step(C::ResyncFromKernel)};
    case Action::ExpResyncMaster: return {expect(step(C::ResyncFromKernel))};
    case Action::SendBulk: return {step(C::SendBulk)};
    case Action::ResetTimers: return {step(C::ResetKernelTimers)};
    case Action::Kill: return {step(C::Stop)};
    case Action::RequestDump: return {step(C::RequestResync)};
    case Action::Stats: return {step(C::GetStatistics, "")};
    case Action::StatsNetwork: return {step(C::GetStatistics, "network")};
    case Action::StatsCache: return {step(C::GetStatistics, "cache")};
    case Action::StatsRuntime: return {step(C::GetStatistics, "runtime")};
    case Action::StatsLink: return {step(C::GetStatistics, "link")};
    case Action::StatsRsqueue: return {step(C::GetStatistics, "rsqueue")};
    case Action::StatsQueue: return {step(C::GetStatistics, "queue")};
    case Action::ExpStats: return {step(C::GetStatistics, "expect")};
    // conntrackd lists its child processes; ctd has none, so this only checks that ctd
    // runs. An action-less request is sent as -1 and answered with nothing.
    case Action::StatsProcess:
    case Action::None: return {step(C::Ping)};
    }
    return {step(C::Ping)};
}

} // namespace ctd::ctl::conntrackd
