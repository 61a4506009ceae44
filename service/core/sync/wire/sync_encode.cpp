// Entry/Expectation -> conntrackd 1.4.7 message, mirroring ct2msg()/exp2msg() of
// conntrack-tools src/build.c attribute by attribute and in the same order.
#include "sync_wire.hpp"
#include "wire_bytes.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

namespace ctd::sync {
namespace {

using wire::AttrWriter;

constexpr uint32_t kSrcNatDone = 0x80; // IPS_SRC_NAT_DONE
constexpr uint32_t kDstNatDone = 0x100; // IPS_DST_NAT_DONE

bool isIcmp(uint8_t p) { return p == IPPROTO_ICMP || p == IPPROTO_ICMPV6; }

void putAddrPair(AttrWriter& w, uint16_t v4, uint16_t v6, uint8_t family, const Address& src,
                 const Address& dst)
{
    // nfct_attr_grp_ipv4/ipv6: src then dst, network order
    size_t n = family == AF_INET ? 4 : 16;
    std::array<uint8_t, 32> b{};
    std::copy_n(src.bytes.begin(), n, b.begin());
    std::copy_n(dst.bytes.begin(), n, b.begin() + n);
    w.bytes(family == AF_INET ? v4 : v6, b.data(), 2 * n);
}

void putPorts(AttrWriter& w, uint16_t type, const Tuple& t)
{
    uint16_t s = t.sport.value_or(0), d = t.dport.value_or(0);
    uint8_t b[4] = {uint8_t(s >> 8), uint8_t(s), uint8_t(d >> 8), uint8_t(d)};
    w.bytes(type, b, 4);
}

// libnetfilter_conntrack's union __nfct_l4_src/__nfct_l4_dst as two bytes in memory:
// ports in network order; for ICMP the source half is the id, the destination half
// {type, code}. getobjopt_is_spat/dpat (1.0.9, before the 2025 l4proto_has_ports fix)
// compare these raw for every protocol, ICMP included.
std::array<uint8_t, 2> l4src(const Tuple& t, uint8_t proto)
{
    uint16_t v = isIcmp(proto) ? t.icmpId.value_or(0) : t.sport.value_or(0);
    return {uint8_t(v >> 8), uint8_t(v)};
}
std::array<uint8_t, 2> l4dst(const Tuple& t, uint8_t proto)
{
    if (isIcmp(proto))
        return {t.icmpType.value_or(0), t.icmpCode.value_or(0)};
    uint16_t v = t.dport.value_or(0);
    return {uint8_t(v >> 8), uint8_t(v)};
}

void putL4(AttrWriter& w, const Entry& e, uint8_t proto, const EncodeOptions& opt)
{
    const Tuple& o = e.orig;
    switch (proto) {
    case IPPROTO_TCP:
        // build_l4proto_tcp: nothing at all without a TCP state
        if (!e.tcp || !e.tcp->state)
            return;
        putPorts(w, nta::Port, o);
        w.u8(nta::TcpState, *e.tcp->state);
        if (opt.tcpWindowTracking) {
            w.u8(nta::TcpWscaleOrig, e.tcp->wscaleOrig.value_or(0));
            w.u8(nta::TcpWscaleRepl, e.tcp->wscaleReply.value_or(0));
        }
        return;
    case IPPROTO_SCTP:
        if (!e.sctp || !e.sctp->state)
            return;
        putPorts(w, nta::Port, o);
        w.u8(nta::SctpState, *e.sctp->state);
        w.be32(nta::SctpVtagOrig, e.sctp->vtagOrig.value_or(0));
        w.be32(nta::SctpVtagRepl, e.sctp->vtagReply.value_or(0));
        return;
    case IPPROTO_DCCP:
        if (!e.dccp || !e.dccp->state)
            return;
        putPorts(w, nta::Port, o);
        w.u8(nta::DccpState, *e.dccp->state);
        w.u8(nta::DccpRole, e.dccp->role.value_or(0));
        return;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (!o.icmpType)
            return;
        w.u8(nta::IcmpType, *o.icmpType);
        w.u8(nta::IcmpCode, o.icmpCode.value_or(0));
        w.le16(nta::IcmpId, o.icmpId.value_or(0));
        return;
    case IPPROTO_UDP:
        putPorts(w, nta::Port, o);
        return;
    default:
        // UDPLITE, GRE and the rest: build.c has no builder, no layer 4 data travels
        return;
    }
}

void putNat(AttrWriter& w, const Entry& e, uint8_t family, uint8_t proto)
{
    // A kernel entry says NAT through its reply tuple: NFCT_GOPT_IS_* test the *_NAT_DONE
    // status bit (when a status is known) and a reply tuple that differs from the inverse
    // of the original one. A decoded (commit-shaped) entry carries snat/dnat instead; those
    // win so that decode + encode gives the same bytes.
    bool srcDone = !e.status || (*e.status & kSrcNatDone);
    bool dstDone = !e.status || (*e.status & kDstNatDone);
    size_t n = family == AF_INET ? 4 : 16;
    auto differs = [n](const Address& a, const Address& b) {
        return !std::equal(a.bytes.begin(), a.bytes.begin() + n, b.bytes.begin());
    };
    auto addr = [&](uint16_t v4, uint16_t v6, const Address& a) {
        w.bytes(family == AF_INET ? v4 : v6, a.bytes.data(), n);
    };
    const Tuple &o = e.orig, &r = e.reply;
    // The address goes in network order (observed on 1.4.7; see docs/sync-protocol.md).
    if (e.snat) {
        if (e.snat->minAddr.family)
            addr(nta::SnatIpv4, nta::SnatIpv6, e.snat->minAddr);
    } else if (srcDone && differs(r.dst, o.src)) {
        addr(nta::SnatIpv4, nta::SnatIpv6, r.dst);
    }
    if (e.dnat) {
        if (e.dnat->minAddr.family)
            addr(nta::DnatIpv4, nta::DnatIpv6, e.dnat->minAddr);
    } else if (dstDone && differs(r.src, o.dst)) {
        addr(nta::DnatIpv4, nta::DnatIpv6, r.src);
    }
    // Ports: htons() of the network-order field, so the two bytes come out reversed.
    auto rs = l4src(r, proto), rd = l4dst(r, proto);
    if (e.snat) {
        if (e.snat->minPort)
            w.le16(nta::SpatPort, *e.snat->minPort);
    } else if (srcDone && rd != l4src(o, proto)) {
        uint8_t b[2] = {rd[1], rd[0]};
        w.bytes(nta::SpatPort, b, 2);
    }
    if (e.dnat) {
        if (e.dnat->minPort)
            w.le16(nta::DpatPort, *e.dnat->minPort);
    } else if (dstDone && rs != l4dst(o, proto)) {
        uint8_t b[2] = {rs[1], rs[0]};
        w.bytes(nta::DpatPort, b, 2);
    }
}

void putLabels(AttrWriter& w, const std::vector<uint8_t>& labels)
{
    // ct_build_clabel: nothing when no bit is set; else every 32-bit word of the bitmap
    // (CTA_LABELS is the kernel's host-order bitmap), each sent big endian.
    bool any = false;
    for (uint8_t b : labels)
        any |= b != 0;
    if (!any)
        return;
    size_t words = (labels.size() + 3) / 4;
    std::vector<uint8_t> b;
    for (size_t i = 0; i < words; ++i) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4 && 4 * i + k < labels.size(); ++k)
            v |= uint32_t(labels[4 * i + k]) << (8 * k); // host (little endian) word
        wire::putBe32(b, v);
    }
    w.bytes(nta::Labels, b.data(), b.size());
}

void appendCt(std::vector<uint8_t>& out, const Entry& e, const EncodeOptions& opt)
{
    AttrWriter w(out);
    uint8_t family = e.family ? e.family : e.orig.src.family;
    uint8_t proto = e.orig.protocol.value_or(0);
    if (family == AF_INET || family == AF_INET6)
        putAddrPair(w, nta::Ipv4, nta::Ipv6, family, e.orig.src, e.orig.dst);
    w.be32(nta::Status, e.status.value_or(0)); // unconditional in ct2msg
    w.u8(nta::L4Proto, proto);
    putL4(w, e, proto, opt);
    if (!opt.commitTimeout && e.timeout)
        w.be32(nta::Timeout, *e.timeout);
    if (e.mark)
        w.be32(nta::Mark, *e.mark);
    if (e.master && (e.master->src.family == AF_INET || e.master->src.family == AF_INET6)) {
        const Tuple& m = *e.master;
        putAddrPair(w, nta::MasterIpv4, nta::MasterIpv6, m.src.family, m.src, m.dst);
        w.u8(nta::MasterL4Proto, m.protocol.value_or(0));
        if (m.sport && m.dport)
            putPorts(w, nta::MasterPort, m);
    }
    if (family == AF_INET || family == AF_INET6)
        putNat(w, e, family, proto);
    if (e.seqAdjOrig && e.seqAdjReply) {
        const SeqAdjust &so = *e.seqAdjOrig, &sr = *e.seqAdjReply;
        w.be32s(nta::NatSeqAdj, {so.correctionPos, so.offsetBefore, so.offsetAfter, sr.correctionPos,
                                 sr.offsetBefore, sr.offsetAfter});
    }
    if (e.helper)
        w.str(nta::HelperName, *e.helper);
    putLabels(w, e.labels);
    if (e.synproxy)
        w.be32s(nta::Synproxy, {e.synproxy->its, e.synproxy->isn, e.synproxy->tsoff});
    if (e.zone)
        w.be16(nta::Zone, *e.zone);
}

bool expHasPorts(uint8_t p)
{
    // exp_l4proto_fcn[] of build.c
    return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP || p == IPPROTO_DCCP;
}

void putExpTuple(AttrWriter& w, const Tuple& t, uint8_t fallbackFamily, uint16_t ip4, uint16_t ip6,
                 uint16_t l4, uint16_t port, uint8_t masterProto)
{
    uint8_t family = t.src.family ? t.src.family : fallbackFamily;
    if (family == AF_INET || family == AF_INET6)
        putAddrPair(w, ip4, ip6, family, t.src, t.dst);
    w.u8(l4, t.protocol.value_or(0));
    // the master's protocol decides for all four tuples
    if (expHasPorts(masterProto))
        putPorts(w, port, t);
}

void appendExp(std::vector<uint8_t>& out, const Expectation& x, const EncodeOptions& opt)
{
    AttrWriter w(out);
    uint8_t family = x.family ? x.family : x.master.src.family;
    uint8_t proto = x.master.protocol.value_or(0);
    putExpTuple(w, x.master, family, nta::ExpMasterIpv4, nta::ExpMasterIpv6, nta::ExpMasterL4Proto,
                nta::ExpMasterPort, proto);
    putExpTuple(w, x.tuple, family, nta::ExpExpectIpv4, nta::ExpExpectIpv6, nta::ExpExpectL4Proto,
                nta::ExpExpectPort, proto);
    putExpTuple(w, x.mask, family, nta::ExpMaskIpv4, nta::ExpMaskIpv6, nta::ExpMaskL4Proto, nta::ExpMaskPort,
                proto);
    if (!opt.commitTimeout && x.timeout)
        w.be32(nta::ExpTimeout, *x.timeout);
    w.be32(nta::ExpFlags, x.flags.value_or(0)); // unconditional in exp2msg
    if (x.expectClass)
        w.be32(nta::ExpClass, *x.expectClass);
    if (x.nat) {
        const Tuple& t = x.nat->tuple;
        // only an IPv4 NAT address has an attribute
        if (t.src.family == AF_INET)
            putAddrPair(w, nta::ExpNatIpv4, nta::ExpNatIpv4, AF_INET, t.src, t.dst);
        w.u8(nta::ExpNatL4Proto, t.protocol.value_or(0));
        if (expHasPorts(proto))
            putPorts(w, nta::ExpNatPort, t);
        w.be32(nta::ExpNatDir, x.nat->dir);
    }
    if (x.helper)
        w.str(nta::ExpHelperName, *x.helper);
    if (x.fn)
        w.str(nta::ExpFn, *x.fn);
}

} // namespace

void appendMessage(std::vector<uint8_t>& out, const SyncMessage& m, const EncodeOptions& opt)
{
    size_t start = out.size();
    out.push_back(uint8_t(m.version << 4 | (m.type & 0x0f)));
    out.push_back(m.flags);
    wire::putBe16(out, 0); // length, patched below
    wire::putBe32(out, m.seq);
    if (m.type == msg::Control) {
        if (hasRange(m.type, m.flags)) {
            SeqRange r = m.range.value_or(SeqRange{});
            wire::putBe32(out, r.from);
            wire::putBe32(out, r.to);
        }
    } else if (m.type <= msg::CtDel && m.entry) {
        appendCt(out, *m.entry, opt);
    } else if (m.type >= msg::ExpNew && m.type <= msg::ExpDel && m.expectation) {
        appendExp(out, *m.expectation, opt);
    }
    size_t len = out.size() - start;
    out[start + 2] = uint8_t(len >> 8);
    out[start + 3] = uint8_t(len);
}

} // namespace ctd::sync
