// conntrack's default and "-o extended" line: libnetfilter_conntrack 1.0.9's
// __snprintf_conntrack_default, field for field and in its order.
#include "format/proto_names.hpp"
#include "format/writers.hpp"

#include <sys/socket.h>

namespace ctd {

namespace {

constexpr uint64_t kNsecPerSec = 1000000000ull;

void appendAddresses(TextBuffer& out, uint8_t family, const Tuple& t, std::string_view srcTag,
                     std::string_view dstTag)
{
    if (family != AF_INET && family != AF_INET6)
        return;
    out.append(srcTag);
    out.append('=');
    if (family == AF_INET)
        out.appendIpv4(t.src.bytes.data());
    else
        out.appendIpv6(t.src.bytes.data());
    out.append(' ');
    out.append(dstTag);
    out.append('=');
    if (family == AF_INET)
        out.appendIpv4(t.dst.bytes.data());
    else
        out.appendIpv6(t.dst.bytes.data());
    out.append(' ');
}

// One direction of the flow: its addresses, layer 4 fields, tuple zone (zone-orig= or
// zone-reply=) and counters.
void appendDirection(TextBuffer& out, uint8_t family, const Tuple& t, std::string_view zoneTag,
                     const std::optional<Counters>& counters)
{
    appendAddresses(out, family, t, "src", "dst");
    appendTupleProto(out, t);
    if (t.zone) {
        out.append(zoneTag);
        out.appendDecimal(*t.zone);
        out.append(' ');
    }
    if (counters) {
        out.append("packets=");
        out.appendDecimal(counters->packets);
        out.append(" bytes=");
        out.appendDecimal(counters->bytes);
        out.append(' ');
    }
}

} // namespace

void appendEventPrefix(TextBuffer& out, EventType type)
{
    // printf("%9s ", "[NEW]") in libnetfilter_conntrack.
    switch (type) {
    case EventType::New: out.append("    [NEW] "); break;
    case EventType::Update: out.append(" [UPDATE] "); break;
    case EventType::Destroy: out.append("[DESTROY] "); break;
    case EventType::None: break;
    }
}

// Shared with the expectation writer: the layer 4 part of one tuple.
void appendTupleProto(TextBuffer& out, const Tuple& t)
{
    const uint8_t p = t.protocol.value_or(0);
    if (hasPorts(p)) {
        out.append("sport=");
        out.appendDecimal(t.sport.value_or(0));
        out.append(" dport=");
        out.appendDecimal(t.dport.value_or(0));
        out.append(' ');
    } else if (p == proto::kGre) {
        out.append("srckey=0x");
        out.appendHex(t.sport.value_or(0));
        out.append(" dstkey=0x");
        out.appendHex(t.dport.value_or(0));
        out.append(' ');
    } else if (isIcmp(p)) {
        // Printed for every ICMP tuple, like /proc/net/nf_conntrack did.
        out.append("type=");
        out.appendDecimal(t.icmpType.value_or(0));
        out.append(" code=");
        out.appendDecimal(t.icmpCode.value_or(0));
        out.append(" id=");
        out.appendDecimal(t.icmpId.value_or(0));
        out.append(' ');
    }
}

void appendTupleAddresses(TextBuffer& out, uint8_t family, const Tuple& t, std::string_view srcTag,
                          std::string_view dstTag)
{
    appendAddresses(out, family, t, srcTag, dstTag);
}

void writeConntrackText(TextBuffer& out, const Entry& e, const WriteContext& ctx)
{
    const uint8_t family = entryFamily(e);
    appendEventPrefix(out, ctx.type);

    if (ctx.layer3) {
        out.appendPadded(l3ProtoName(family), 8);
        out.append(' ');
        out.appendDecimal(family);
        out.append(' ');
    }
    const uint8_t l4 = e.orig.protocol.value_or(0);
    out.appendPadded(l4ProtoName(l4), 8);
    out.append(' ');
    out.appendDecimal(l4);
    out.append(' ');

    if (e.timeout) {
        out.appendDecimal(*e.timeout);
        out.append(' ');
    }
    if (e.tcp && e.tcp->state) {
        out.append(tcpStateName(*e.tcp->state).value_or("NONE"));
        out.append(' ');
    }
    if (e.sctp && e.sctp->state) {
        out.append(sctpStateName(*e.sctp->state).value_or("NONE"));
        out.append(' ');
    }
    if (e.dccp && e.dccp->state) {
        out.append(dccpStateName(*e.dccp->state).value_or("NONE"));
        out.append(' ');
    }

    appendDirection(out, family, e.orig, "zone-orig=", e.countersOrig);
    if (e.status && !(*e.status & ips::kSeenReply))
        out.append("[UNREPLIED] ");
    // libnetfilter_conntrack prints only what is set: conntrackd's external cache holds
    // entries with no reply tuple (the wire carries the original one and NAT only).
    if (e.reply.src.family != 0 || e.reply.dst.family != 0 || e.reply.protocol)
        appendDirection(out, family, e.reply, "zone-reply=", e.countersReply);
    if (e.status) {
        if (*e.status & ips::kHwOffload)
            out.append("[HW_OFFLOAD] ");
        else if (*e.status & ips::kOffload)
            out.append("[OFFLOAD] ");
        else if (*e.status & ips::kAssured)
            out.append("[ASSURED] ");
    }
    if (e.mark) {
        out.append("mark=");
        out.appendDecimal(*e.mark);
        out.append(' ');
    }
    if (e.secmark) {
        out.append("secmark=");
        out.appendDecimal(*e.secmark);
        out.append(' ');
    }
    if (e.secctx) {
        out.append("secctx=");
        out.append(*e.secctx);
        out.append(' ');
    }
    if (e.zone) {
        out.append("zone=");
        out.appendDecimal(*e.zone);
        out.append(' ');
    }
    if (e.timestamps) {
        // time_t arithmetic printed with %llu: a stop before start wraps, as in conntrack.
        const int64_t start = static_cast<int64_t>(e.timestamps->start / kNsecPerSec);
        const uint64_t stopNs = e.timestamps->stop.value_or(0);
        const int64_t stop = stopNs == 0 ? ctx.now : static_cast<int64_t>(stopNs / kNsecPerSec);
        out.append("delta-time=");
        out.appendDecimal(static_cast<uint64_t>(stop - start));
        out.append(' ');
        if (ctx.ktimestamp) {
            out.append("[start=");
            appendCtime(out, start);
            out.append("] ");
            if (e.timestamps->stop) {
                out.append("[stop=");
                appendCtime(out, static_cast<int64_t>(*e.timestamps->stop / kNsecPerSec));
                out.append("] ");
            }
        }
    }
    if (e.helper) {
        out.append("helper=");
        out.append(helperName(*e.helper));
        out.append(' ');
    }
    if (e.use) {
        out.append("use=");
        out.appendDecimal(*e.use);
        out.append(' ');
    }
    if (ctx.id && e.id) {
        out.append("id=");
        out.appendDecimal(*e.id);
        out.append(' ');
    }
    if (ctx.labels && !e.labels.empty()) {
        out.append("labels=");
        const unsigned bits = labelBitCount(e.labels);
        for (unsigned i = 0; i < bits; ++i) {
            if (!labelBitSet(e.labels, i))
                continue;
            if (const std::string* name = ctx.labels->name(i)) {
                out.append(*name);
                out.append(',');
            }
        }
        // libnetfilter_conntrack drops the last character whatever it is: the "=" when no
        // bit has a name, which prints "labels".
        out.dropLast(1);
        out.append(' ');
    }
    out.dropLast(1);
}

} // namespace ctd
