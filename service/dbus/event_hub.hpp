// One ctnetlink event socket for every Watch of the service. Subscribed to the union of
// what the watchers want; each watcher filters with its own query (query_match, as
// conntrack -E does in userspace) and formats with its own Formatter(Command::Events),
// then writes through its drop-mode OutputStream. When the last watcher leaves the socket
// is replaced by a fresh one with no memberships, so an idle service gets no events.
#pragma once

#include "backends.hpp"
#include "event_loop.hpp"

#include "format/label_map.hpp"
#include "netlink/event_listener.hpp"
#include "netlink/socket.hpp"

#include <systemd/sd-event.h>

#include <cstdint>
#include <memory>
#include <vector>

// Not formatter.hpp here: its CpuStats clashes with netlink/stats.hpp's, and the stats
// backend needs the latter.
namespace ctd {
struct FormatOptions;
}

namespace ctd::dbus {

// The expectation table has no query of its own: the family, the protocol and the
// expected tuple's addresses and ports are what conntrack's expect filters look at.
bool expectationMatches(const Query& q, const Expectation& x);

class EventHub final : private nl::EventSink {
public:
    // The socket is open (live) when this returns. receiveBuffer: its SO_RCVBUFFORCE.
    static ctd::Result<std::unique_ptr<EventHub>> create(EventLoop& loop,
                                                         std::shared_ptr<const LabelMap> labels,
                                                         size_t receiveBuffer);
    ~EventHub() override;
    EventHub(const EventHub&) = delete;
    EventHub& operator=(const EventHub&) = delete;

    ctd::Result<void> watchConntrack(const QueryArgs& query, const FormatOptions& format,
                                     StreamPtr out);
    ctd::Result<void> watchExpectations(const QueryArgs& query, const FormatOptions& format,
                                        StreamPtr out);
    size_t watchers() const { return watchers_.size(); }

private:
    struct Watcher;

    EventHub(EventLoop& loop, std::shared_ptr<const LabelMap> labels, size_t receiveBuffer);
    ctd::Result<void> openSocket();
    void closeSocket();
    ctd::Result<void> add(std::unique_ptr<Watcher> watcher, uint32_t groups);
    void sweep();
    static int onIo(sd_event_source* source, int fd, uint32_t revents, void* userdata);

    void conntrackEvent(EventType type, const Entry& entry) override;
    void expectationEvent(EventType type, const Expectation& x) override;
    void eventsLost(uint64_t lossCount) override;
    void malformedEvent(const Error& error) override;

    EventLoop& loop_;
    std::shared_ptr<const LabelMap> labels_;
    size_t receiveBuffer_;
    std::unique_ptr<nl::MnlSocket> socket_;
    std::unique_ptr<nl::EventListener> listener_;
    sd_event_source* io_ = nullptr;
    uint32_t groups_ = 0;
    std::vector<std::unique_ptr<Watcher>> watchers_;
    int64_t nowSec_ = 0, nowUsec_ = 0;
    bool sweepPosted_ = false;
};

} // namespace ctd::dbus
