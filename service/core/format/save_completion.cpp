#include "format/save_completion.hpp"

#include "format/proto_names.hpp"

#include <cerrno>
#include <string>
#include <sys/socket.h>

namespace ctd {
namespace {

Error fail(std::string message) { return makeError(EINVAL, std::move(message)); }

// Swaps a tuple the way libnetfilter_conntrack's autocompletion does.
Tuple inverted(const Tuple& t)
{
    Tuple r;
    r.src = t.dst;
    r.dst = t.src;
    r.protocol = t.protocol;
    const uint8_t p = t.protocol.value_or(0);
    if (hasPorts(p) || p == proto::kGre) {
        r.sport = t.dport;
        r.dport = t.sport;
    }
    return r;
}

// The inverse of from, keeping what to already holds of its own (zone, ICMP).
void fillInverse(const Tuple& from, Tuple& to)
{
    Tuple t = inverted(from);
    t.zone = to.zone;
    t.icmpType = to.icmpType;
    t.icmpCode = to.icmpCode;
    t.icmpId = to.icmpId;
    to = t;
}

// libnetfilter_conntrack's ICMP setters fill the reply direction themselves.
void completeIcmpReply(Entry& e)
{
    const uint8_t p = e.orig.protocol.value_or(0);
    if (!isIcmp(p))
        return;
    if (e.orig.icmpType)
        e.reply.icmpType = p == proto::kIcmp ? icmpReplyType(*e.orig.icmpType) : icmpv6ReplyType(*e.orig.icmpType);
    if (e.orig.icmpCode)
        e.reply.icmpCode = e.orig.icmpCode;
    if (e.orig.icmpId)
        e.reply.icmpId = e.orig.icmpId;
}

} // namespace

Result<void> completeSaveCommand(SaveCommand& cmd, const SaveLineSeen& seen)
{
    if (!seen.command)
        return fail("no command given (expected -A, -I, -U, -D or -F)");
    Entry& e = cmd.entry;
    e.family = seen.family.value_or(AF_INET);
    const bool orig = seen.addr[0] || seen.addr[1];
    const bool reply = seen.addr[2] || seen.addr[3];
    if (cmd.command == 'A' || cmd.command == 'I') {
        if (!seen.protocol)
            return fail("You need to supply the `--protonum' option for this command");
        if (!seen.timeout)
            return fail("You need to supply the `--timeout' option for this command");
        if (!(seen.addr[0] && seen.addr[1]) && !(seen.addr[2] && seen.addr[3]))
            return fail("you have to specify `--src' and `--dst'");
        completeIcmpReply(e);
        // conntrack's create: a missing direction is the inverse of the given one.
        if (orig && !reply)
            fillInverse(e.orig, e.reply);
        else if (!orig && reply)
            fillInverse(e.reply, e.orig);
    } else {
        completeIcmpReply(e);
    }
    return Ok{};
}

} // namespace ctd
