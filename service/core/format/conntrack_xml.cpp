// conntrack's "-o xml" <flow> element: libnetfilter_conntrack 1.0.9's
// __snprintf_conntrack_xml, including its quirks (SCTP and DCCP states printed with the TCP
// state names, secctx outside the "independent" meta when nothing else opened it).
// Strings are printed unescaped, as conntrack does.
#include "format/proto_names.hpp"
#include "format/writers.hpp"

#include <sys/socket.h>

namespace ctd {

namespace {

constexpr uint64_t kNsecPerSec = 1000000000ull;

void appendAddr(TextBuffer& out, uint8_t family, const Address& a)
{
    if (family == AF_INET)
        out.appendIpv4(a.bytes.data());
    else if (family == AF_INET6)
        out.appendIpv6(a.bytes.data());
}

void appendCounters(TextBuffer& out, const Counters& c)
{
    out.append("<counters><packets>");
    out.appendDecimal(c.packets);
    out.append("</packets><bytes>");
    out.appendDecimal(c.bytes);
    out.append("</bytes></counters>");
}

// libnetfilter_conntrack tests the original counters for both directions: with them, the
// reply direction shows its counters (zero when absent); without them neither does.
void appendTupleMeta(TextBuffer& out, uint8_t family, const Tuple& t, bool original,
                     bool showCounters, const std::optional<Counters>& counters)
{
    out.append(original ? "<meta direction=\"original\">" : "<meta direction=\"reply\">");
    out.append("<layer3 protonum=\"");
    out.appendDecimal(family);
    out.append("\" protoname=\"");
    out.append(l3ProtoName(family));
    out.append("\">");
    appendXmlAddresses(out, family, t);
    out.append("</layer3><layer4 protonum=\"");
    const uint8_t p = t.protocol.value_or(0);
    out.appendDecimal(p);
    out.append("\" protoname=\"");
    out.append(l4ProtoName(p));
    out.append("\">");
    appendXmlProto(out, t);
    out.append("</layer4>");
    if (t.zone) {
        out.append("<zone>");
        out.appendDecimal(*t.zone);
        out.append("</zone>");
    }
    if (showCounters)
        appendCounters(out, counters.value_or(Counters{}));
    out.append("</meta>");
}

// libnetfilter_conntrack prints every protocol's state through the TCP name table.
std::string_view xmlStateName(uint8_t state) { return tcpStateName(state).value_or("NONE"); }

bool hasIndependentMeta(const Entry& e)
{
    return (e.tcp && e.tcp->state) || (e.sctp && e.sctp->state) || (e.dccp && e.dccp->state) ||
           e.timeout || e.mark || e.secmark || e.zone || e.use || e.status || e.id ||
           !e.labels.empty() || e.timestamps; // labels open it even when not printed
}

} // namespace

void appendXmlAddresses(TextBuffer& out, uint8_t family, const Tuple& t)
{
    out.append("<src>");
    appendAddr(out, family, t.src);
    out.append("</src><dst>");
    appendAddr(out, family, t.dst);
    out.append("</dst>");
}

void appendXmlFlowOpen(TextBuffer& out, EventType type)
{
    switch (type) {
    case EventType::New: out.append("<flow type=\"new\">"); break;
    case EventType::Update: out.append("<flow type=\"update\">"); break;
    case EventType::Destroy: out.append("<flow type=\"destroy\">"); break;
    case EventType::None: out.append("<flow>"); break;
    }
}

void appendXmlProto(TextBuffer& out, const Tuple& t)
{
    const uint8_t p = t.protocol.value_or(0);
    if (hasPorts(p)) {
        out.append("<sport>");
        out.appendDecimal(t.sport.value_or(0));
        out.append("</sport><dport>");
        out.appendDecimal(t.dport.value_or(0));
        out.append("</dport>");
    } else if (p == proto::kGre) {
        out.append("<srckey>0x");
        out.appendHex(t.sport.value_or(0));
        out.append("</srckey><dstkey>0x");
        out.appendHex(t.dport.value_or(0));
        out.append("</dstkey>");
    }
}

void writeConntrackXml(TextBuffer& out, const Entry& e, const WriteContext& ctx)
{
    const uint8_t family = entryFamily(e);
    appendXmlFlowOpen(out, ctx.type);
    appendTupleMeta(out, family, e.orig, true, e.countersOrig.has_value(), e.countersOrig);
    // conntrackd's external cache has no reply tuple; libnetfilter_conntrack then prints
    // the reply's layer 3 as family 0 with empty addresses.
    const bool noReply = e.reply.src.family == 0 && e.reply.dst.family == 0 && !e.reply.protocol;
    appendTupleMeta(out, noReply ? uint8_t{0} : family, e.reply, false, e.countersOrig.has_value(),
                    e.countersReply);

    const bool meta = hasIndependentMeta(e);
    if (meta)
        out.append("<meta direction=\"independent\">");
    if (e.tcp && e.tcp->state) {
        out.append("<state>");
        out.append(xmlStateName(*e.tcp->state));
        out.append("</state>");
    }
    if (e.sctp && e.sctp->state) {
        out.append("<state>");
        out.append(xmlStateName(*e.sctp->state));
        out.append("</state>");
    }
    if (e.dccp && e.dccp->state) {
        out.append("<state>");
        out.append(xmlStateName(*e.dccp->state));
        out.append("</state>");
    }
    if (e.timeout) {
        out.append("<timeout>");
        out.appendDecimal(*e.timeout);
        out.append("</timeout>");
    }
    if (e.mark) {
        out.append("<mark>");
        out.appendDecimal(*e.mark);
        out.append("</mark>");
    }
    if (ctx.labels && !e.labels.empty()) {
        out.append("<labels>");
        const unsigned bits = labelBitCount(e.labels);
        for (unsigned i = 0; i < bits; ++i) {
            if (!labelBitSet(e.labels, i))
                continue;
            if (const std::string* name = ctx.labels->name(i)) {
                out.append("<label>");
                out.append(*name);
                out.append("</label>");
            }
        }
        out.append("</labels>");
    }
    if (e.secmark) {
        out.append("<secmark>");
        out.appendDecimal(*e.secmark);
        out.append("</secmark>");
    }
    if (e.secctx) {
        out.append("<secctx>");
        out.append(*e.secctx);
        out.append("</secctx>");
    }
    if (e.zone) {
        out.append("<zone>");
        out.appendDecimal(*e.zone);
        out.append("</zone>");
    }
    if (e.use) {
        out.append("<use>");
        out.appendDecimal(*e.use);
        out.append("</use>");
    }
    if (e.id) {
        out.append("<id>");
        out.appendDecimal(*e.id);
        out.append("</id>");
    }
    if (e.status && (*e.status & ips::kAssured))
        out.append("<assured/>");
    if (e.status && !(*e.status & ips::kSeenReply))
        out.append("<unreplied/>");
    if (e.timestamps) {
        if (ctx.ktimestamp) {
            out.append("<timestamp><start>");
            out.appendDecimal(e.timestamps->start);
            out.append("</start>");
            if (e.timestamps->stop) {
                out.append("<stop>");
                out.appendDecimal(*e.timestamps->stop);
                out.append("</stop>");
            }
            out.append("</timestamp>");
        }
        int64_t delta;
        if (e.timestamps->stop)
            delta = static_cast<int64_t>((*e.timestamps->stop - e.timestamps->start) / kNsecPerSec);
        else
            delta = ctx.now - static_cast<int64_t>(e.timestamps->start / kNsecPerSec);
        out.append("<deltatime>");
        out.appendDecimal(static_cast<uint64_t>(delta));
        out.append("</deltatime>");
    }
    if (meta)
        out.append("</meta>");
    if (ctx.when) {
        out.append("<when>");
        appendXmlLocalTime(out, ctx.whenSec);
        out.append("</when>");
    }
    if (e.helper) {
        out.append("<helper>");
        out.append(helperName(*e.helper));
        out.append("</helper>");
    }
    out.append("</flow>");
}

} // namespace ctd
