#include "conntrack_bus.hpp"

#include "format/proto_names.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace ctd::cli {

namespace {

std::string addressText(const Address& a)
{
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(a.family, a.bytes.data(), buf, sizeof buf);
    return buf;
}

// The prefix length of a contiguous netmask; -1 for masks like 255.0.255.0.
int prefixLength(const Address& mask, uint8_t family)
{
    const int bits = family == AF_INET ? 32 : 128;
    int length = 0;
    while (length < bits && (mask.bytes[length / 8] & (0x80u >> (length % 8))))
        ++length;
    for (int i = length; i < bits; ++i) {
        if (mask.bytes[i / 8] & (0x80u >> (i % 8)))
            return -1;
    }
    return length;
}

bool portProtocol(const L4Args& l4)
{
    return l4.handler == "tcp" || l4.handler == "udp" || l4.handler == "udplite" ||
        l4.handler == "sctp" || l4.handler == "dccp" || l4.handler == "gre";
}
bool icmpProtocol(const L4Args& l4) { return l4.handler == "icmp" || l4.handler == "icmpv6"; }
bool stateProtocol(const L4Args& l4)
{
    return l4.handler == "tcp" || l4.handler == "sctp" || l4.handler == "dccp";
}

std::string stateName(const L4Args& l4)
{
    std::optional<std::string_view> name;
    if (l4.handler == "tcp")
        name = tcpStateName(l4.state);
    else if (l4.handler == "sctp")
        name = sctpStateName(l4.state);
    else
        name = dccpStateName(l4.state);
    return name ? std::string(*name) : "NONE";
}

std::vector<std::string> statusWords(uint32_t bits)
{
    std::vector<std::string> words;
    for (const auto& s : kAllStatusNames) {
        if (bits & s.bit)
            words.emplace_back(s.name);
    }
    return words;
}

std::vector<std::string> labelWords(const std::vector<unsigned>& bits)
{
    std::vector<std::string> words;
    for (unsigned b : bits)
        words.push_back(std::to_string(b));
    return words;
}

std::string natText(const NatArg& n)
{
    std::string addr = addressText(*n.addr);
    if (!n.port)
        return addr;
    std::string text = n.addr->family == AF_INET6 ? "[" + addr + "]" : addr;
    text += ':';
    text += std::to_string(*n.port);
    return text;
}

void unsupported(BusMapping& m, const std::string& what)
{
    if (m.unsupported.empty())
        m.unsupported = what;
}

// Layer 4 keys shared by queries and entries.
void addL4(const Request& r, Dict& d, bool ports)
{
    if (!r.has(opt::Proto))
        return;
    d["protocol"] = sdbus::Variant(r.l4.protonum);
    const uint32_t f = r.l4.flags;
    if (portProtocol(r.l4) && ports) {
        if (f & 0x1) d["sport"] = sdbus::Variant(r.l4.sport);
        if (f & 0x2) d["dport"] = sdbus::Variant(r.l4.dport);
        if (f & 0x4) d["reply-sport"] = sdbus::Variant(r.l4.replySport);
        if (f & 0x8) d["reply-dport"] = sdbus::Variant(r.l4.replyDport);
    }
    if (icmpProtocol(r.l4)) {
        if (f & 0x1) d["icmp-type"] = sdbus::Variant(r.l4.icmpType);
        if (f & 0x2) d["icmp-code"] = sdbus::Variant(r.l4.icmpCode);
        if (f & 0x4) d["icmp-id"] = sdbus::Variant(r.l4.icmpId);
    }
}

void addZones(const Request& r, Dict& d)
{
    if (r.has(opt::Zone)) d["zone"] = sdbus::Variant(r.zone);
    if (r.has(opt::OrigZone)) d["orig-zone"] = sdbus::Variant(r.origZone);
    if (r.has(opt::ReplZone)) d["reply-zone"] = sdbus::Variant(r.replyZone);
}

void addFamily(const Request& r, Dict& d)
{
    if (r.family == AF_INET)
        d["family"] = sdbus::Variant(std::string("ipv4"));
    else if (r.family == AF_INET6)
        d["family"] = sdbus::Variant(std::string("ipv6"));
}

} // namespace

BusMapping queryFor(const Request& r, bool interactive)
{
    BusMapping m;
    Dict& d = m.dict;
    if (r.command == Command::List && r.table == Table::Dying)
        d["table"] = sdbus::Variant(std::string("dying"));
    if (r.command == Command::List && r.table == Table::Unconfirmed)
        d["table"] = sdbus::Variant(std::string("unconfirmed"));
    addFamily(r, d);
    addL4(r, d, true);
    // A contiguous mask (also what -s ADDR/N gives) travels as a CIDR; any other netmask
    // as src-mask/dst-mask beside the plain address.
    auto prefix = [&](bool set, const AddressArg& a, bool masked, const AddressArg& mask,
                      const char* key, const char* maskKey) {
        if (!set)
            return;
        std::string text = addressText(a.addr);
        if (masked) {
            const int length = prefixLength(mask.addr, a.addr.family);
            if (length < 0) {
                d[key] = sdbus::Variant(text);
                d[maskKey] = sdbus::Variant(addressText(mask.addr));
                return;
            }
            // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "/" + to_string.
            text += '/';
            text += std::to_string(length);
        }
        d[key] = sdbus::Variant(text);
    };
    prefix(r.has(opt::OrigSrc), r.src, r.has(opt::MaskSrc), r.maskSrc, "src", "src-mask");
    prefix(r.has(opt::OrigDst), r.dst, r.has(opt::MaskDst), r.maskDst, "dst", "dst-mask");
    prefix(r.has(opt::ReplSrc), r.replySrc, false, r.maskSrc, "reply-src", nullptr);
    prefix(r.has(opt::ReplDst), r.replyDst, false, r.maskDst, "reply-dst", nullptr);
    addZones(r, d);
    if (r.command != Command::Update) {
        if (r.has(opt::Mark)) {
            d["mark"] = sdbus::Variant(r.mark);
            if (r.markMask != 0xffffffffu)
                d["mark-mask"] = sdbus::Variant(r.markMask);
        }
        if (r.has(opt::Status)) {
            // 1.4.7 lists what (status & mask) == set keeps, mask being the negated flags
            // (UNREPLIED: SEEN_REPLY) or else the set ones; the flags it means to be clear
            // are the mask's bits outside the set ones (docs/compat.md: status-mixed).
            if (r.status)
                d["status"] = sdbus::Variant(statusWords(r.status));
            if (const uint32_t clear = r.statusMask & ~r.status)
                d["status-clear"] = sdbus::Variant(statusWords(clear));
        }
    }
    if (stateProtocol(r.l4) && (r.l4.flags & 0x40))
        d["state"] = sdbus::Variant(stateName(r.l4));
    if (r.has(opt::Label) && !r.labels.empty())
        d["labels"] = sdbus::Variant(labelWords(r.labels));
    const bool snat = r.has(opt::SrcNat), dnat = r.has(opt::DstNat), any = r.has(opt::AnyNat);
    if (snat && dnat) {
        // Both must hold (1.4.7 filter_nat()): one key per side.
        d["snat"] = sdbus::Variant(r.srcNat.addr ? natText(r.srcNat) : std::string());
        d["dnat"] = sdbus::Variant(r.dstNat.addr ? natText(r.dstNat) : std::string());
    } else if (snat || dnat || any) {
        const NatArg& n = snat ? r.srcNat : r.dstNat;
        d["nat"] = sdbus::Variant(std::string(snat ? "snat" : dnat ? "dnat" : "any"));
        if (n.addr)
            d["nat-address"] = sdbus::Variant(natText(n));
    }
    if (r.has(opt::Id))
        d["id"] = sdbus::Variant(r.id);
    if (r.has(opt::Secmark))
        d["secmark"] = sdbus::Variant(r.secmark);
    if (r.has(opt::Zero) && r.command == Command::List)
        d["zero-counters"] = sdbus::Variant(true);
    if (r.command == Command::Event && r.has(opt::EventMask)) {
        std::vector<std::string> events;
        if (r.eventMask & event::New) events.emplace_back("new");
        if (r.eventMask & event::Update) events.emplace_back("update");
        if (r.eventMask & event::Destroy) events.emplace_back("destroy");
        d["events"] = sdbus::Variant(events);
    }
    if (interactive)
        d["interactive"] = sdbus::Variant(true);
    return m;
}

BusMapping entryFor(const Request& r, bool create, bool interactive)
{
    BusMapping m;
    Dict& d = m.dict;
    addFamily(r, d);
    addL4(r, d, false);
    // conntrack fills the missing direction by inverting the other one (the kernel needs
    // the original tuple, the bus requires src/dst).
    const bool orig = r.has(opt::OrigSrc) || r.has(opt::OrigDst);
    const uint32_t f = r.l4.flags;
    if (orig) {
        if (r.has(opt::OrigSrc)) d["src"] = sdbus::Variant(addressText(r.src.addr));
        if (r.has(opt::OrigDst)) d["dst"] = sdbus::Variant(addressText(r.dst.addr));
        if (r.has(opt::ReplSrc)) d["reply-src"] = sdbus::Variant(addressText(r.replySrc.addr));
        if (r.has(opt::ReplDst)) d["reply-dst"] = sdbus::Variant(addressText(r.replyDst.addr));
    } else if (create) {
        if (r.has(opt::ReplDst)) d["src"] = sdbus::Variant(addressText(r.replyDst.addr));
        if (r.has(opt::ReplSrc)) d["dst"] = sdbus::Variant(addressText(r.replySrc.addr));
    } else {
        // conntrack -G with only the reply tuple fails in the kernel (EINVAL); pass it on
        // as given and let the service refuse it the same way.
        if (r.has(opt::ReplSrc)) d["reply-src"] = sdbus::Variant(addressText(r.replySrc.addr));
        if (r.has(opt::ReplDst)) d["reply-dst"] = sdbus::Variant(addressText(r.replyDst.addr));
    }
    if (r.has(opt::Proto) && portProtocol(r.l4)) {
        const bool origPorts = f & 0x3;
        if (origPorts || !(f & 0xc) || !create) {
            if (f & 0x1) d["sport"] = sdbus::Variant(r.l4.sport);
            if (f & 0x2) d["dport"] = sdbus::Variant(r.l4.dport);
            if (f & 0x4) d["reply-sport"] = sdbus::Variant(r.l4.replySport);
            if (f & 0x8) d["reply-dport"] = sdbus::Variant(r.l4.replyDport);
        } else {
            if (f & 0x8) d["sport"] = sdbus::Variant(r.l4.replyDport);
            if (f & 0x4) d["dport"] = sdbus::Variant(r.l4.replySport);
        }
    }
    if (r.has(opt::Proto) && icmpProtocol(r.l4)) {
        // Get needs all three; conntrack sends the id as 0 when it is not given.
        d["icmp-type"] = sdbus::Variant(r.l4.icmpType);
        d["icmp-code"] = sdbus::Variant(r.l4.icmpCode);
        d["icmp-id"] = sdbus::Variant(r.l4.icmpId);
    }
    addZones(r, d);
    if (r.has(opt::Id))
        d["id"] = sdbus::Variant(r.id);
    if (create) {
        d["timeout"] = sdbus::Variant(r.timeout);
        if (r.has(opt::Status) && r.status)
            d["status"] = sdbus::Variant(statusWords(r.status));
        if (stateProtocol(r.l4) && (f & 0x40))
            d["state"] = sdbus::Variant(stateName(r.l4));
        if (r.has(opt::Mark))
            d["mark"] = sdbus::Variant(r.mark);
        if (r.has(opt::AddLabel) && !r.labelsModify.empty())
            d["labels"] = sdbus::Variant(labelWords(r.labelsModify));
        if (r.has(opt::SrcNat) && r.srcNat.addr)
            d["snat"] = sdbus::Variant(natText(r.srcNat));
        if (r.has(opt::DstNat) && r.dstNat.addr)
            d["dnat"] = sdbus::Variant(natText(r.dstNat));
        if (r.has(opt::Secmark))
            unsupported(m, "setting --secmark");
    }
    if (interactive)
        d["interactive"] = sdbus::Variant(true);
    return m;
}

BusMapping changesFor(const Request& r, bool interactive)
{
    BusMapping m;
    Dict& d = m.dict;
    if (r.has(opt::Mark)) {
        d["mark"] = sdbus::Variant(r.mark);
        if (r.markMask != 0xffffffffu)
            d["mark-mask"] = sdbus::Variant(r.markMask);
    }
    if (r.has(opt::Timeout))
        d["timeout"] = sdbus::Variant(r.timeout);
    if (r.has(opt::Status) && r.status)
        d["status"] = sdbus::Variant(statusWords(r.status));
    if (r.has(opt::AddLabel) && !r.labelsModify.empty())
        d["labels-add"] = sdbus::Variant(labelWords(r.labelsModify));
    if (r.has(opt::DelLabel)) {
        if (r.labelDelAll)
            d["labels"] = sdbus::Variant(std::vector<std::string>{});
        else if (!r.labelsModify.empty())
            d["labels-del"] = sdbus::Variant(labelWords(r.labelsModify));
    }
    if (!d.empty() && interactive)
        d["interactive"] = sdbus::Variant(true);
    return m;
}

BusMapping expectationFor(const Request& r, bool create, bool interactive)
{
    BusMapping m;
    Dict& d = m.dict;
    addFamily(r, d);
    const uint32_t f = r.l4.flags;
    const bool ports = r.has(opt::Proto) && portProtocol(r.l4);
    if (r.has(opt::Proto))
        d["protocol"] = sdbus::Variant(r.l4.protonum);
    if (!create) {
        // -G/-D expect: the expected tuple, given as -s -d -p --sport --dport.
        if (r.has(opt::OrigSrc)) d["src"] = sdbus::Variant(addressText(r.src.addr));
        if (r.has(opt::OrigDst)) d["dst"] = sdbus::Variant(addressText(r.dst.addr));
        if (ports && (f & 0x1)) d["sport"] = sdbus::Variant(r.l4.sport);
        if (ports && (f & 0x2)) d["dport"] = sdbus::Variant(r.l4.dport);
    } else {
        d["master-src"] = sdbus::Variant(addressText(r.src.addr));
        d["master-dst"] = sdbus::Variant(addressText(r.dst.addr));
        if (ports && (f & 0x1)) d["master-sport"] = sdbus::Variant(r.l4.sport);
        if (ports && (f & 0x2)) d["master-dport"] = sdbus::Variant(r.l4.dport);
        if (r.has(opt::ExpSrc)) d["src"] = sdbus::Variant(addressText(r.tupleSrc.addr));
        if (r.has(opt::ExpDst)) d["dst"] = sdbus::Variant(addressText(r.tupleDst.addr));
        if (r.has(opt::MaskSrc)) d["mask-src"] = sdbus::Variant(addressText(r.maskSrc.addr));
        if (r.has(opt::MaskDst)) d["mask-dst"] = sdbus::Variant(addressText(r.maskDst.addr));
        // The tuple and mask ports sit at different option codes per protocol: tcp/sctp/
        // dccp put the tuple ports after --state (bits 7, 8), udp/gre at bits 6, 7.
        const bool afterState = stateProtocol(r.l4);
        const uint32_t tupleS = afterState ? 0x80 : 0x40, tupleD = afterState ? 0x100 : 0x80;
        if (ports && (f & tupleS)) d["sport"] = sdbus::Variant(r.l4.tupleSport);
        if (ports && (f & tupleD)) d["dport"] = sdbus::Variant(r.l4.tupleDport);
        if (ports && (f & 0x10)) d["mask-sport"] = sdbus::Variant(r.l4.maskSport);
        if (ports && (f & 0x20)) d["mask-dport"] = sdbus::Variant(r.l4.maskDport);
        d["timeout"] = sdbus::Variant(r.timeout);
    }
    if (interactive)
        d["interactive"] = sdbus::Variant(true);
    return m;
}

std::string formatFor(const Request& r)
{
    const FormatOptions& o = r.output;
    std::string words;
    switch (o.kind) {
    case OutputKind::Xml: words = "xml"; break;
    case OutputKind::Save: words = "save"; break;
    case OutputKind::Json: words = "json"; break;
    case OutputKind::Default: words = o.extended ? "extended" : "plain"; break;
    }
    if (o.id) words += ",id";
    if (o.timestamp) words += ",timestamp";
    if (o.ktimestamp) words += ",ktimestamp";
    if (o.labels) words += ",labels";
    if (o.userspace) words += ",userspace";
    return words;
}

} // namespace ctd::cli
