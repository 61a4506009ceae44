// Bytes to model: decodes ctnetlink messages into Entry, Expectation and statistics.
// Pure functions; every function takes one whole netlink message (header included) and
// never reads outside it. Mirrors ctnl_build.hpp.
#pragma once

#include "bytes.hpp"
#include "entry.hpp"
#include "result.hpp"
#include "stats.hpp"

#include <linux/netlink.h>

namespace ctd::nl {

// Splits a receive buffer into messages; errors when a header is short or overruns.
// visit returns false to stop.
template <typename F>
Result<void> forEachMessage(ByteView buffer, F&& visit);

// Checks the netlink + nfgenmsg headers of one message; returns the attribute bytes.
Result<ByteView> messageAttrs(ByteView message);

// What a conntrack message (dump part, get reply or event) says happened.
EventType conntrackEventType(ByteView message);
EventType expectationEventType(ByteView message);

Result<Tuple> parseTuple(ByteView nestPayload);
Result<Entry> parseConntrack(ByteView message);
// The same into a default-constructed Entry the caller owns: a dump decodes each of its
// entries in place instead of moving a large Entry through a Result.
Result<void> parseConntrackInto(ByteView message, Entry& entry);
Result<Expectation> parseExpectation(ByteView message);
Result<CpuStats> parseCpuStats(ByteView message);
Result<GlobalStats> parseGlobalStats(ByteView message);
Result<ExpectCpuStats> parseExpectCpuStats(ByteView message);

Result<void> checkMessageHeader(ByteView buffer, size_t& len);

template <typename F>
Result<void> forEachMessage(ByteView buffer, F&& visit)
{
    while (!buffer.empty()) {
        size_t len = 0;
        auto r = checkMessageHeader(buffer, len);
        if (!r)
            return r;
        if (!visit(buffer.first(len)))
            return {};
        buffer = buffer.subspan(std::min<size_t>(NLMSG_ALIGN(len), buffer.size()));
    }
    return {};
}

} // namespace ctd::nl
