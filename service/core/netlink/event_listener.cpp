#include "event_listener.hpp"

#include "ctnl_constants.hpp"
#include "ctnl_parse.hpp"

namespace ctd::nl {

Result<size_t> EventListener::process(EventSink& sink, int timeoutMs)
{
    size_t delivered = 0;
    auto receipt = nl_.receiveEvents(
        [&](ByteView m) {
            uint8_t subsys = subsysOf(loadHost<uint16_t>(m.data() + 4));
            lastPortId_ = loadHost<uint32_t>(m.data() + 12); // nlmsghdr.nlmsg_pid
            if (subsys == NFNL_SUBSYS_CTNETLINK) {
                auto e = parseConntrack(m);
                if (!e) {
                    ++malformed_;
                    sink.malformedEvent(e.error());
                    return true;
                }
                sink.conntrackEvent(conntrackEventType(m), *e);
                ++delivered;
            } else if (subsys == NFNL_SUBSYS_CTNETLINK_EXP) {
                auto x = parseExpectation(m);
                if (!x) {
                    ++malformed_;
                    sink.malformedEvent(x.error());
                    return true;
                }
                sink.expectationEvent(expectationEventType(m), *x);
                ++delivered;
            }
            return true;
        },
        timeoutMs);
    if (!receipt)
        return receipt.error();
    if (receipt->overrun) {
        ++losses_;
        sink.eventsLost(losses_);
    }
    return delivered;
}

} // namespace ctd::nl
