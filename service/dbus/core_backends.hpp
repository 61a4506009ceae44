// The real backends: TableBackend, ExpectationBackend and StatsBackend over ctcore.
// Table walks and changes run as worker jobs (worker_job.hpp) with their own sockets;
// Watch goes through the one EventHub; properties and statistics are single netlink
// requests answered at once on the loop's own socket.
#pragma once

#include "backends.hpp"
#include "event_loop.hpp"

#include "format/label_map.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace ctd::dbus {

struct CoreBackends {
    std::unique_ptr<TableBackend> table;
    std::unique_ptr<ExpectationBackend> expectations;
    std::unique_ptr<StatsBackend> stats;
};

struct CoreOptions {
    // connlabel.conf for "-o labels" and label names in save files; unreadable means no
    // names, as with conntrack.
    std::string labelMapPath;
    // SO_RCVBUFFORCE of the event socket (the kernel doubles it). Large, so bursts (a flush
    // of a big table is one DESTROY per entry) rarely overflow it; the tests shrink it to
    // make ENOBUFS happen (CTD_TEST_EVENT_RCVBUF, see service/main.cpp).
    size_t eventReceiveBuffer = 8u << 20;
};

// Opens every socket (the loop's request socket and the event socket) before returning,
// so READY=1 can follow.
ctd::Result<CoreBackends> makeCoreBackends(EventLoop& loop, const CoreOptions& options);

} // namespace ctd::dbus
