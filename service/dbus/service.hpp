// The ctd service as a whole: loop, bus, polkit, objects, readiness, idle exit. main.cpp
// parses the command line and hands over the core's backends (ServiceBackends).
#pragma once

#include "backends.hpp"
#include "event_loop.hpp"
#include "flow_logger.hpp"
#include "sync_runtime.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ctd::dbus {

inline constexpr const char* busName = "org.netfilter.Conntrack1";

struct ServiceOptions {
    uint64_t idleTimeoutSec = 60; // 0 = never
    std::chrono::microseconds polkitTimeout = std::chrono::seconds(20);
    std::string labelMap; // connlabel.conf for label names in queries
};

struct ServiceBackends {
    std::unique_ptr<TableBackend> table = makeUnavailableTableBackend("no table backend configured");
    std::unique_ptr<ExpectationBackend> expectations =
        makeUnavailableExpectationBackend("no expectation backend configured");
    std::unique_ptr<StatsBackend> stats = makeProcStatsBackend();
    std::vector<std::string> features;
    // A configured sync engine keeps the service running (no idle exit).
    std::function<bool()> syncConfigured;
    // SIGHUP.
    std::function<void()> reload;
    // The sync engine (Caches, Links/<n>) when the configuration has a Sync section.
    std::unique_ptr<sync::SyncRuntime> sync;
    // conntrackd's Stats mode: destroyed flows logged (a Stats section).
    std::unique_ptr<sync::FlowLogger> flows;
    // Set when the service must not start (a configured part failed); logged, exit 1.
    std::string fatal;
};

// Builds the backends once the loop exists, so they can add their netlink sockets and timers
// to it (loop.get() is the sd_event). Every socket must be live when it returns: READY=1
// follows right after the bus name is acquired.
using BackendFactory = std::function<ServiceBackends(EventLoop& loop)>;

// Runs until SIGTERM/SIGINT, Manager.Stop, idle exit or loss of the bus; returns the exit
// status.
int runService(const ServiceOptions& options, const BackendFactory& makeBackends);

} // namespace ctd::dbus
