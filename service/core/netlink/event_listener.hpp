// Conntrack and expectation events on a dedicated socket. A kernel overrun (ENOBUFS)
// is reported to the sink with the running loss count so a higher layer can resync;
// it is never swallowed.
#pragma once

#include "entry.hpp"
#include "result.hpp"
#include "socket.hpp"

#include <cstdint>

namespace ctd::nl {

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void conntrackEvent(EventType type, const Entry& entry) = 0;
    virtual void expectationEvent(EventType, const Expectation&) {}
    // Events were dropped; lossCount is the total number of overruns seen so far.
    virtual void eventsLost(uint64_t lossCount) = 0;
    virtual void malformedEvent(const Error&) {}
};

class EventListener {
public:
    // nl must be a socket used for nothing else: events arrive unsolicited.
    explicit EventListener(NetlinkTransport& nl) : nl_(nl) {}

    Result<void> subscribe(uint32_t groups) { return nl_.subscribe(groups); }
    // Delivers what is queued, waiting up to timeoutMs for the first message
    // (0 = poll, -1 = block). Returns the number of events delivered.
    Result<size_t> process(EventSink& sink, int timeoutMs = 0);

    int fd() const { return nl_.fd(); }
    uint64_t lossCount() const { return losses_; }
    uint64_t malformedCount() const { return malformed_; }
    // nlmsg_pid of the event being delivered, valid inside the sink's callbacks: nonzero
    // when a userspace process caused the change (conntrack -E's "[USERSPACE] portid=N").
    uint32_t lastPortId() const { return lastPortId_; }

private:
    NetlinkTransport& nl_;
    uint64_t losses_ = 0;
    uint64_t malformed_ = 0;
    uint32_t lastPortId_ = 0;
};

} // namespace ctd::nl
