#include "commit_prep.hpp"

#include "sync/wire/sync_wire.hpp"

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

namespace ctd::sync {
namespace {

constexpr uint8_t kTcpStateTimeWait = 7; // TCP_CONNTRACK_TIME_WAIT

} // namespace

Entry prepareForCommit(const Entry& received, const CommitSettings& settings, uint64_t ageSeconds)
{
    Entry e = received;
    if (e.reply.src.family == 0)
        e.reply = replyTupleOf(e.orig);
    // The kernel refuses to set the expected bit on a new entry (conntrackd clears it too).
    if (e.status)
        *e.status &= ~static_cast<uint32_t>(IPS_EXPECTED);
    if (settings.commitTimeout > 0) {
        e.timeout = settings.commitTimeout;
    } else if (e.timeout) {
        // conntrackd's estimate: what was left when it arrived less the time since, and
        // 60 s for one that would already have expired (traffic may still refresh it).
        uint64_t left = *e.timeout > ageSeconds ? *e.timeout - ageSeconds : 60;
        e.timeout = static_cast<uint32_t>(left);
    }
    if (e.tcp && e.tcp->state) {
        // A recovered connection has no window data: without BE_LIBERAL the first packet
        // with an "unexpected" sequence would be marked invalid and dropped.
        uint8_t flags = IP_CT_TCP_FLAG_SACK_PERM;
        flags |= settings.tcpWindowTracking ? IP_CT_TCP_FLAG_WINDOW_SCALE : IP_CT_TCP_FLAG_BE_LIBERAL;
        if (*e.tcp->state >= kTcpStateTimeWait)
            flags |= IP_CT_TCP_FLAG_CLOSE_INIT;
        e.tcp->flagsOrig = TcpFlags{flags, flags};
        e.tcp->flagsReply = TcpFlags{flags, flags};
    }
    // Identity and bookkeeping fields belong to the peer's kernel.
    e.id.reset();
    e.use.reset();
    e.countersOrig.reset();
    e.countersReply.reset();
    e.timestamps.reset();
    return e;
}

} // namespace ctd::sync
