// ctd's JSON lines, schema version 1 (docs/json.md). Hand-written because this is the hot
// path of a million-entry dump; tests validate every line with nlohmann::json.
#include "format/proto_names.hpp"
#include "format/writers.hpp"

#include <sys/socket.h>

namespace ctd {

namespace {

constexpr int kSchemaVersion = 1;

// Opens a JSON array or object, closes it when it goes out of scope, and puts the commas
// between its members: next() writes the separator and returns the buffer the member goes to.
class JsonList {
public:
    JsonList(TextBuffer& out, char open, char close) : out_(out), close_(close) { out_.append(open); }
    ~JsonList() { out_.append(close_); }
    JsonList(const JsonList&) = delete;
    JsonList& operator=(const JsonList&) = delete;

    TextBuffer& next()
    {
        if (!first_)
            out_.append(',');
        first_ = false;
        return out_;
    }

private:
    TextBuffer& out_;
    char close_;
    bool first_ = true;
};

class JsonArray : public JsonList {
public:
    explicit JsonArray(TextBuffer& out) : JsonList(out, '[', ']') {}
};

// Members are "key":value pairs.
class JsonObject : public JsonList {
public:
    explicit JsonObject(TextBuffer& out) : JsonList(out, '{', '}') {}

    TextBuffer& key(std::string_view k)
    {
        TextBuffer& out = next();
        out.append('"');
        out.append(k);
        out.append("\":");
        return out;
    }
    void num(std::string_view k, uint64_t v) { key(k).appendDecimal(v); }
    void snum(std::string_view k, int64_t v) { key(k).appendSigned(v); }
    void str(std::string_view k, std::string_view v)
    {
        TextBuffer& out = key(k);
        out.append('"');
        out.appendJsonEscaped(v);
        out.append('"');
    }
    template <typename T>
    void opt(std::string_view k, const std::optional<T>& v)
    {
        if (v)
            num(k, *v);
    }
};

void appendAddressString(TextBuffer& out, uint8_t family, const Address& a)
{
    out.append('"');
    if (family == AF_INET)
        out.appendIpv4(a.bytes.data());
    else if (family == AF_INET6)
        out.appendIpv6(a.bytes.data());
    out.append('"');
}

uint8_t addressFamily(uint8_t fallback, const Address& a) { return a.family ? a.family : fallback; }

void writeTuple(TextBuffer& out, uint8_t family, const Tuple& t)
{
    JsonObject o(out);
    if (t.src.family || family)
        appendAddressString(o.key("src"), addressFamily(family, t.src), t.src);
    if (t.dst.family || family)
        appendAddressString(o.key("dst"), addressFamily(family, t.dst), t.dst);
    if (t.protocol) {
        o.num("proto-num", *t.protocol);
        o.str("proto-name", l4ProtoName(*t.protocol));
    }
    o.opt("proto-src-port", t.sport);
    o.opt("proto-dst-port", t.dport);
    o.opt("proto-icmp-type", t.icmpType);
    o.opt("proto-icmp-code", t.icmpCode);
    o.opt("proto-icmp-id", t.icmpId);
    o.opt("zone", t.zone);
}

void writeCounters(TextBuffer& out, const Counters& c)
{
    JsonObject o(out);
    o.num("packets", c.packets);
    o.num("bytes", c.bytes);
}

void writeNames(TextBuffer& out, uint32_t bits, const StatusBitName* names, size_t count)
{
    JsonArray a(out);
    for (size_t i = 0; i < count; ++i) {
        if (!(bits & names[i].bit))
            continue;
        TextBuffer& el = a.next();
        el.append('"');
        el.append(names[i].name);
        el.append('"');
    }
}

void writeState(JsonObject& o, std::optional<std::string_view> name, uint8_t num)
{
    if (name)
        o.str("state", *name);
    o.num("state-num", num);
}

void writeTcp(TextBuffer& out, const TcpInfo& t)
{
    JsonObject o(out);
    if (t.state)
        writeState(o, tcpStateName(*t.state), *t.state);
    o.opt("wscale-original", t.wscaleOrig);
    o.opt("wscale-reply", t.wscaleReply);
    auto flags = [&](std::string_view k, const std::optional<TcpFlags>& f) {
        if (!f)
            return;
        JsonObject fo(o.key(k));
        fo.num("flags", f->flags);
        fo.num("mask", f->mask);
    };
    flags("flags-original", t.flagsOrig);
    flags("flags-reply", t.flagsReply);
}

void writeSctp(TextBuffer& out, const SctpInfo& s)
{
    JsonObject o(out);
    if (s.state)
        writeState(o, sctpStateName(*s.state), *s.state);
    o.opt("vtag-original", s.vtagOrig);
    o.opt("vtag-reply", s.vtagReply);
}

void writeDccp(TextBuffer& out, const DccpInfo& d)
{
    JsonObject o(out);
    if (d.state)
        writeState(o, dccpStateName(*d.state), *d.state);
    if (d.role) {
        if (auto name = dccpRoleName(*d.role))
            o.str("role", *name);
        o.num("role-num", *d.role);
    }
    o.opt("handshake-seq", d.handshakeSeq);
}

void writeSeqAdj(TextBuffer& out, const SeqAdjust& s)
{
    JsonObject o(out);
    o.num("correction-pos", s.correctionPos);
    o.num("offset-before", s.offsetBefore);
    o.num("offset-after", s.offsetAfter);
}

void writeNat(TextBuffer& out, uint8_t family, const NatRange& n)
{
    JsonObject o(out);
    if (n.minAddr.family)
        appendAddressString(o.key("min-ip"), addressFamily(family, n.minAddr), n.minAddr);
    if (n.maxAddr.family)
        appendAddressString(o.key("max-ip"), addressFamily(family, n.maxAddr), n.maxAddr);
    o.opt("min-port", n.minPort);
    o.opt("max-port", n.maxPort);
}

void writeBitmap(TextBuffer& out, const std::vector<uint8_t>& bitmap)
{
    JsonArray a(out);
    const unsigned bits = labelBitCount(bitmap);
    for (unsigned i = 0; i < bits; ++i)
        if (labelBitSet(bitmap, i))
            a.next().appendDecimal(i);
}

std::string_view eventName(EventType t)
{
    switch (t) {
    case EventType::New: return "new";
    case EventType::Update: return "update";
    case EventType::Destroy: return "destroy";
    case EventType::None: break;
    }
    return "unknown";
}

void writeEventFields(JsonObject& o, const JsonContext& ctx)
{
    if (!ctx.event)
        return;
    o.str("event", eventName(ctx.type));
    JsonObject t(o.key("event-time"));
    t.snum("sec", ctx.sec);
    t.snum("usec", ctx.usec);
}

void writeEventOrigin(JsonObject& o, const JsonContext& ctx)
{
    if (!ctx.event || ctx.portid == 0)
        return;
    o.num("portid", ctx.portid);
    if (!ctx.progname.empty())
        o.str("progname", ctx.progname);
}

} // namespace

void writeConntrackJson(TextBuffer& out, const Entry& e, const JsonContext& ctx)
{
    const uint8_t family = entryFamily(e);
    JsonObject o(out);
    o.num("version", kSchemaVersion);
    o.str("object", "conntrack");
    writeEventFields(o, ctx);
    o.str("family", l3ProtoName(family));
    o.num("family-num", family);
    writeTuple(o.key("tuple-orig"), family, e.orig);
    writeTuple(o.key("tuple-reply"), family, e.reply);
    if (e.master)
        writeTuple(o.key("tuple-master"), family, *e.master);
    if (e.status) {
        o.num("status", *e.status);
        writeNames(o.key("status-names"), *e.status, kAllStatusNames, std::size(kAllStatusNames));
    }
    o.opt("timeout", e.timeout);
    o.opt("mark", e.mark);
    o.opt("secmark", e.secmark);
    if (e.secctx)
        o.str("secctx", *e.secctx);
    o.opt("zone", e.zone);
    o.opt("use", e.use);
    o.opt("id", e.id);
    if (e.countersOrig)
        writeCounters(o.key("counters-orig"), *e.countersOrig);
    if (e.countersReply)
        writeCounters(o.key("counters-reply"), *e.countersReply);
    if (e.timestamps) {
        JsonObject t(o.key("timestamp"));
        t.num("start", e.timestamps->start);
        t.opt("stop", e.timestamps->stop);
    }
    if (e.helper)
        o.str("helper", *e.helper);
    if (!e.labels.empty()) {
        writeBitmap(o.key("labels"), e.labels);
        if (ctx.labels) {
            JsonArray names(o.key("label-names"));
            const unsigned bits = labelBitCount(e.labels);
            for (unsigned i = 0; i < bits; ++i) {
                const std::string* name = labelBitSet(e.labels, i) ? ctx.labels->name(i) : nullptr;
                if (!name)
                    continue;
                TextBuffer& el = names.next();
                el.append('"');
                el.appendJsonEscaped(*name);
                el.append('"');
            }
        }
    }
    if (!e.labelsMask.empty())
        writeBitmap(o.key("labels-mask"), e.labelsMask);
    if (e.tcp)
        writeTcp(o.key("protoinfo-tcp"), *e.tcp);
    if (e.sctp)
        writeSctp(o.key("protoinfo-sctp"), *e.sctp);
    if (e.dccp)
        writeDccp(o.key("protoinfo-dccp"), *e.dccp);
    if (e.snat)
        writeNat(o.key("nat-src"), family, *e.snat);
    if (e.dnat)
        writeNat(o.key("nat-dst"), family, *e.dnat);
    if (e.seqAdjOrig)
        writeSeqAdj(o.key("seq-adj-orig"), *e.seqAdjOrig);
    if (e.seqAdjReply)
        writeSeqAdj(o.key("seq-adj-reply"), *e.seqAdjReply);
    if (e.synproxy) {
        JsonObject s(o.key("synproxy"));
        s.num("isn", e.synproxy->isn);
        s.num("its", e.synproxy->its);
        s.num("tsoff", e.synproxy->tsoff);
    }
    writeEventOrigin(o, ctx);
}

void writeExpectationJson(TextBuffer& out, const Expectation& x, const JsonContext& ctx)
{
    static constexpr StatusBitName kFlagNames[] = {
        {0x1, "PERMANENT"}, {0x2, "INACTIVE"}, {0x4, "USERSPACE"}};
    JsonObject o(out);
    o.num("version", kSchemaVersion);
    o.str("object", "expect");
    writeEventFields(o, ctx);
    o.str("family", l3ProtoName(x.family));
    o.num("family-num", x.family);
    writeTuple(o.key("tuple-master"), x.family, x.master);
    writeTuple(o.key("tuple"), x.family, x.tuple);
    writeTuple(o.key("mask"), x.family, x.mask);
    o.opt("timeout", x.timeout);
    o.opt("id", x.id);
    if (x.helper)
        o.str("helper", *x.helper);
    o.opt("zone", x.zone);
    if (x.flags) {
        o.num("flags", *x.flags);
        writeNames(o.key("flag-names"), *x.flags, kFlagNames, std::size(kFlagNames));
    }
    o.opt("class", x.expectClass);
    if (x.nat) {
        JsonObject n(o.key("nat"));
        n.num("dir", x.nat->dir);
        writeTuple(n.key("tuple"), x.family, x.nat->tuple);
    }
    if (x.fn)
        o.str("fn", *x.fn);
    writeEventOrigin(o, ctx);
}

} // namespace ctd
