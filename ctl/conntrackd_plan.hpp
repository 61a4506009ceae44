// What each conntrackd request becomes on ctd's bus (docs/dbus-api.md, "Caches"). Pure, so
// the mapping is unit-tested; conntrackd_compat.cpp carries the steps out.
#pragma once

#include "conntrackd_options.hpp"

#include <string>
#include <vector>

namespace ctd::ctl::conntrackd {

struct BusStep {
    enum class Call {
        Commit,             // Caches.Commit(arg)
        Flush,              // Caches.Flush(arg)
        Dump,               // Caches.Dump(arg, format)
        ResyncFromKernel,   // Caches.ResyncFromKernel
        RequestResync,      // Caches.RequestResync
        SendBulk,           // Caches.SendBulk
        ResetKernelTimers,  // Caches.ResetKernelTimers
        GetStatistics,      // Caches.GetStatistics(arg), printed as conntrackd's text
        TableFlush,         // Table.Flush({})
        ExpectationsFlush,  // Expectations.Flush({})
        Stop,               // Manager.Stop
        Ping,               // Manager.Version: only "is it running?"
    };
    Call call;
    std::string arg;    // which / category
    std::string format; // Dump only
    // conntrackd does the expectation half of a request only with expectation sync
    // configured (CTD_EXPECT); ctd tells by a non-empty GetStatistics("expect").
    bool onlyWithExpectSync = false;
};

std::vector<BusStep> planFor(Action action);

} // namespace ctd::ctl::conntrackd
