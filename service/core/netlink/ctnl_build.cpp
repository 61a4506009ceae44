#include "ctnl_build.hpp"

#include "ctnl_constants.hpp"
#include "format/proto_names.hpp"

#include <cerrno>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string>

namespace ctd::nl {

namespace {

constexpr uint16_t kChange = NLM_F_REQUEST | NLM_F_ACK;
constexpr uint16_t kDump = NLM_F_REQUEST | NLM_F_DUMP;

bool hasPorts(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
    case IPPROTO_DCCP:
    case IPPROTO_GRE:
        return true;
    default:
        return false;
    }
}

size_t addrLen(uint8_t family) { return family == AF_INET ? 4 : 16; }

void putAddr(NlWriter& w, uint16_t v4Type, uint16_t v6Type, const Address& a)
{
    w.putBytes(a.family == AF_INET ? v4Type : v6Type, ByteView(a.bytes.data(), addrLen(a.family)));
}

void putProto(NlWriter& w, const Tuple& t)
{
    if (!t.protocol && !t.sport && !t.dport && !t.icmpType && !t.icmpCode && !t.icmpId)
        return;
    size_t nest = w.beginNest(CTA_TUPLE_PROTO);
    if (t.protocol)
        w.putU8(CTA_PROTO_NUM, *t.protocol);
    if (t.sport)
        w.putBe16(CTA_PROTO_SRC_PORT, *t.sport);
    if (t.dport)
        w.putBe16(CTA_PROTO_DST_PORT, *t.dport);
    bool v6 = t.protocol == IPPROTO_ICMPV6;
    if (t.icmpId)
        w.putBe16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, *t.icmpId);
    if (t.icmpType)
        w.putU8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, *t.icmpType);
    if (t.icmpCode)
        w.putU8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, *t.icmpCode);
    w.endNest(nest);
}

void putNat(NlWriter& w, uint16_t type, const NatRange& n)
{
    size_t nest = w.beginNest(type);
    if (n.minAddr.family)
        putAddr(w, CTA_NAT_V4_MINIP, CTA_NAT_V6_MINIP, n.minAddr);
    if (n.maxAddr.family)
        putAddr(w, CTA_NAT_V4_MAXIP, CTA_NAT_V6_MAXIP, n.maxAddr);
    if (n.minPort || n.maxPort) {
        size_t proto = w.beginNest(CTA_NAT_PROTO);
        if (n.minPort)
            w.putBe16(CTA_PROTONAT_PORT_MIN, *n.minPort);
        if (n.maxPort)
            w.putBe16(CTA_PROTONAT_PORT_MAX, *n.maxPort);
        w.endNest(proto);
    }
    w.endNest(nest);
}

void putProtoinfo(NlWriter& w, const Entry& e)
{
    if (!e.tcp && !e.sctp && !e.dccp)
        return;
    size_t nest = w.beginNest(CTA_PROTOINFO);
    if (e.tcp) {
        size_t n = w.beginNest(CTA_PROTOINFO_TCP);
        if (e.tcp->state)
            w.putU8(CTA_PROTOINFO_TCP_STATE, *e.tcp->state);
        if (e.tcp->wscaleOrig)
            w.putU8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, *e.tcp->wscaleOrig);
        if (e.tcp->wscaleReply)
            w.putU8(CTA_PROTOINFO_TCP_WSCALE_REPLY, *e.tcp->wscaleReply);
        if (e.tcp->flagsOrig) {
            uint8_t f[2] = {e.tcp->flagsOrig->flags, e.tcp->flagsOrig->mask};
            w.putBytes(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, f);
        }
        if (e.tcp->flagsReply) {
            uint8_t f[2] = {e.tcp->flagsReply->flags, e.tcp->flagsReply->mask};
            w.putBytes(CTA_PROTOINFO_TCP_FLAGS_REPLY, f);
        }
        w.endNest(n);
    }
    if (e.dccp) {
        size_t n = w.beginNest(CTA_PROTOINFO_DCCP);
        if (e.dccp->state)
            w.putU8(CTA_PROTOINFO_DCCP_STATE, *e.dccp->state);
        if (e.dccp->role)
            w.putU8(CTA_PROTOINFO_DCCP_ROLE, *e.dccp->role);
        if (e.dccp->handshakeSeq)
            w.putBe64(CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, *e.dccp->handshakeSeq);
        w.endNest(n);
    }
    if (e.sctp) {
        size_t n = w.beginNest(CTA_PROTOINFO_SCTP);
        if (e.sctp->state)
            w.putU8(CTA_PROTOINFO_SCTP_STATE, *e.sctp->state);
        if (e.sctp->vtagOrig)
            w.putBe32(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, *e.sctp->vtagOrig);
        if (e.sctp->vtagReply)
            w.putBe32(CTA_PROTOINFO_SCTP_VTAG_REPLY, *e.sctp->vtagReply);
        w.endNest(n);
    }
    w.endNest(nest);
}

void putSeqAdj(NlWriter& w, uint16_t type, const SeqAdjust& s)
{
    size_t n = w.beginNest(type);
    w.putBe32(CTA_SEQADJ_CORRECTION_POS, s.correctionPos);
    w.putBe32(CTA_SEQADJ_OFFSET_BEFORE, s.offsetBefore);
    w.putBe32(CTA_SEQADJ_OFFSET_AFTER, s.offsetAfter);
    w.endNest(n);
}

void putStringNest(NlWriter& w, uint16_t nestType, uint16_t type, const std::string& s)
{
    size_t n = w.beginNest(nestType);
    w.putString(type, s);
    w.endNest(n);
}

Tuple invert(const Tuple& t)
{
    Tuple r = t;
    std::swap(r.src, r.dst);
    std::swap(r.sport, r.dport);
    r.zone.reset();
    if (t.icmpType && t.protocol && isIcmp(*t.protocol))
        if (auto inv = invertIcmpType(*t.protocol, *t.icmpType))
            r.icmpType = inv;
    return r;
}

// Fields shared by create and update, in the kernel's ctnetlink_change_conntrack order.
void putChangeable(NlWriter& w, const Entry& e)
{
    if (e.status)
        w.putBe32(CTA_STATUS, *e.status | StatusConfirmed);
    if (e.timeout)
        w.putBe32(CTA_TIMEOUT, *e.timeout);
    if (e.mark)
        w.putBe32(CTA_MARK, *e.mark);
    if (e.helper)
        putStringNest(w, CTA_HELP, CTA_HELP_NAME, *e.helper);
    putProtoinfo(w, e);
    if (e.seqAdjOrig)
        putSeqAdj(w, CTA_SEQ_ADJ_ORIG, *e.seqAdjOrig);
    if (e.seqAdjReply)
        putSeqAdj(w, CTA_SEQ_ADJ_REPLY, *e.seqAdjReply);
    if (!e.labels.empty())
        w.putBytes(CTA_LABELS, e.labels);
    if (!e.labelsMask.empty())
        w.putBytes(CTA_LABELS_MASK, e.labelsMask);
    if (e.synproxy) {
        size_t n = w.beginNest(CTA_SYNPROXY);
        w.putBe32(CTA_SYNPROXY_ISN, e.synproxy->isn);
        w.putBe32(CTA_SYNPROXY_ITS, e.synproxy->its);
        w.putBe32(CTA_SYNPROXY_TSOFF, e.synproxy->tsoff);
        w.endNest(n);
    }
}

template <typename F>
Result<void> guarded(NlWriter& w, F&& body)
{
    auto r = body();
    if (!r)
        w.abandon();
    else
        w.end();
    return r;
}

void putFilter(NlWriter& w, const KernelFilter& f)
{
    if (f.needsCtaFilter()) {
        size_t n = w.beginNest(CTA_FILTER);
        // Unlike the rest of ctnetlink these are read with nla_get_u32: host order.
        w.putU32(CTA_FILTER_ORIG_FLAGS, f.origFlags);
        w.putU32(CTA_FILTER_REPLY_FLAGS, f.replyFlags);
        w.endNest(n);
        if (f.origFlags)
            putTuple(w, CTA_TUPLE_ORIG, f.orig);
        if (f.replyFlags)
            putTuple(w, CTA_TUPLE_REPLY, f.reply);
    }
    if (f.mark) {
        w.putBe32(CTA_MARK, f.mark->value);
        w.putBe32(CTA_MARK_MASK, f.mark->mask);
    }
    if (f.status) {
        w.putBe32(CTA_STATUS, f.status->value);
        w.putBe32(CTA_STATUS_MASK, f.status->mask);
    }
    if (f.zone)
        w.putBe16(CTA_ZONE, *f.zone);
}

} // namespace

Result<void> validateFullTuple(const Tuple& t, uint8_t family, const char* what)
{
    auto bad = [&](const char* why) { return makeError(EINVAL, std::string(what) + ": " + why); };
    if (family != AF_INET && family != AF_INET6)
        return bad("family must be ipv4 or ipv6");
    if (t.src.family != family || t.dst.family != family)
        return bad("source and destination addresses of the entry's family are required");
    if (!t.protocol)
        return bad("a layer 4 protocol is required");
    // GRE keys travel as ports and the kernel's parser wants both as well.
    if (hasPorts(*t.protocol) && (!t.sport || !t.dport))
        return bad("source and destination ports (GRE: keys) are required");
    if (isIcmp(*t.protocol) && (!t.icmpType || !t.icmpCode || !t.icmpId))
        return bad("ICMP type, code and id are required");
    return {};
}

void putTuple(NlWriter& w, uint16_t nestType, const Tuple& t)
{
    size_t nest = w.beginNest(nestType);
    if (t.src.family || t.dst.family) {
        size_t ip = w.beginNest(CTA_TUPLE_IP);
        if (t.src.family)
            putAddr(w, CTA_IP_V4_SRC, CTA_IP_V6_SRC, t.src);
        if (t.dst.family)
            putAddr(w, CTA_IP_V4_DST, CTA_IP_V6_DST, t.dst);
        w.endNest(ip);
    }
    putProto(w, t);
    if (t.zone)
        w.putBe16(CTA_TUPLE_ZONE, *t.zone);
    w.endNest(nest);
}

Result<void> buildConntrackCreate(NlWriter& w, const Entry& e, bool exclusive)
{
    if (auto r = validateFullTuple(e.orig, e.family, "create: original tuple"); !r)
        return r;
    Tuple reply = e.reply.src.family ? e.reply : invert(e.orig);
    if (auto r = validateFullTuple(reply, e.family, "create: reply tuple"); !r)
        return r;
    w.begin(ctType(IPCTNL_MSG_CT_NEW), kChange | NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0), e.family);
    return guarded(w, [&]() -> Result<void> {
        putTuple(w, CTA_TUPLE_ORIG, e.orig);
        putTuple(w, CTA_TUPLE_REPLY, reply);
        if (e.master)
            putTuple(w, CTA_TUPLE_MASTER, *e.master);
        if (e.snat)
            putNat(w, CTA_NAT_SRC, *e.snat);
        if (e.dnat)
            putNat(w, CTA_NAT_DST, *e.dnat);
        putChangeable(w, e);
        if (e.zone)
            w.putBe16(CTA_ZONE, *e.zone);
        return {};
    });
}

Result<void> buildConntrackUpdate(NlWriter& w, const Entry& e)
{
    if (auto r = validateFullTuple(e.orig, e.family, "update: original tuple"); !r)
        return r;
    if (e.snat || e.dnat || e.master)
        return makeError(EINVAL, "update: NAT and master can only be set on create");
    w.begin(ctType(IPCTNL_MSG_CT_NEW), kChange, e.family);
    return guarded(w, [&]() -> Result<void> {
        putTuple(w, CTA_TUPLE_ORIG, e.orig);
        putChangeable(w, e);
        if (e.zone)
            w.putBe16(CTA_ZONE, *e.zone);
        return {};
    });
}

Result<void> buildConntrackGet(NlWriter& w, uint8_t family, const Tuple& orig, std::optional<uint16_t> zone)
{
    if (auto r = validateFullTuple(orig, family, "get"); !r)
        return r;
    w.begin(ctType(IPCTNL_MSG_CT_GET), kChange, family);
    putTuple(w, CTA_TUPLE_ORIG, orig);
    if (zone)
        w.putBe16(CTA_ZONE, *zone);
    w.end();
    return {};
}

Result<void> buildConntrackDelete(NlWriter& w, uint8_t family, const Tuple& orig, std::optional<uint16_t> zone,
                                  std::optional<uint32_t> id)
{
    // Without a complete CTA_TUPLE_ORIG the kernel takes a delete for a flush.
    if (auto r = validateFullTuple(orig, family, "delete"); !r)
        return r;
    w.begin(ctType(IPCTNL_MSG_CT_DELETE), kChange, family, kNfnetlinkV1);
    putTuple(w, CTA_TUPLE_ORIG, orig);
    if (zone)
        w.putBe16(CTA_ZONE, *zone);
    if (id)
        w.putBe32(CTA_ID, *id);
    w.end();
    return {};
}

Result<void> buildConntrackDump(NlWriter& w, TableKind table, const KernelFilter& f, bool zeroCounters)
{
    if (f.needsCtaFilter() && f.family != AF_INET && f.family != AF_INET6)
        return makeError(EINVAL, "dump: CTA_FILTER needs a concrete family");
    uint8_t msg = IPCTNL_MSG_CT_GET;
    if (table == TableKind::Dying)
        msg = IPCTNL_MSG_CT_GET_DYING;
    else if (table == TableKind::Unconfirmed)
        msg = IPCTNL_MSG_CT_GET_UNCONFIRMED;
    else if (zeroCounters)
        msg = IPCTNL_MSG_CT_GET_CTRZERO;
    w.begin(ctType(msg), kDump, f.family);
    if (table == TableKind::Conntrack)
        putFilter(w, f);
    w.end();
    return {};
}

Result<void> buildConntrackFilteredDelete(NlWriter& w, const KernelFilter& f)
{
    if (!f.selective())
        return makeError(EINVAL, "filtered delete: empty filter would flush the whole table");
    if (f.needsCtaFilter() && f.family != AF_INET && f.family != AF_INET6)
        return makeError(EINVAL, "filtered delete: CTA_FILTER needs a concrete family");
    // A zero mark mask keeps every entry; a zero status mask is EINVAL. Neither may pass
    // for a filter (kernel_filter.hpp never builds one).
    if ((f.mark && f.mark->mask == 0) || (f.status && f.status->mask == 0))
        return makeError(EINVAL, "filtered delete: a zero mark or status mask selects nothing");
    // Version 1: a version-0 flush ignores the family and deletes every family.
    w.begin(ctType(IPCTNL_MSG_CT_DELETE), kChange, f.family, kNfnetlinkV1);
    putFilter(w, f);
    w.end();
    return {};
}

void buildConntrackFlush(NlWriter& w, uint8_t family)
{
    w.begin(ctType(IPCTNL_MSG_CT_DELETE), kChange, family, kNfnetlinkV1);
    w.end();
}

void buildConntrackCount(NlWriter& w)
{
    w.begin(ctType(IPCTNL_MSG_CT_GET_STATS), kChange, AF_UNSPEC);
    w.end();
}

void buildConntrackCpuStats(NlWriter& w)
{
    w.begin(ctType(IPCTNL_MSG_CT_GET_STATS_CPU), kDump, AF_UNSPEC);
    w.end();
}

Result<void> buildExpectationCreate(NlWriter& w, const Expectation& x)
{
    if (auto r = validateFullTuple(x.master, x.family, "expectation create: master tuple"); !r)
        return r;
    if (auto r = validateFullTuple(x.tuple, x.family, "expectation create: tuple"); !r)
        return r;
    w.begin(expType(IPCTNL_MSG_EXP_NEW), kChange | NLM_F_CREATE | NLM_F_EXCL, x.family);
    return guarded(w, [&]() -> Result<void> {
        putTuple(w, CTA_EXPECT_MASTER, x.master);
        putTuple(w, CTA_EXPECT_TUPLE, x.tuple);
        Tuple mask = x.mask;
        if (!mask.protocol)
            mask.protocol = x.tuple.protocol; // the kernel parses the mask with the tuple's protocol
        putTuple(w, CTA_EXPECT_MASK, mask);
        if (x.timeout)
            w.putBe32(CTA_EXPECT_TIMEOUT, *x.timeout);
        if (x.helper)
            w.putString(CTA_EXPECT_HELP_NAME, *x.helper);
        if (x.zone)
            w.putBe16(CTA_EXPECT_ZONE, *x.zone);
        if (x.flags)
            w.putBe32(CTA_EXPECT_FLAGS, *x.flags);
        if (x.expectClass)
            w.putBe32(CTA_EXPECT_CLASS, *x.expectClass);
        if (x.nat) {
            size_t n = w.beginNest(CTA_EXPECT_NAT);
            w.putBe32(CTA_EXPECT_NAT_DIR, x.nat->dir);
            putTuple(w, CTA_EXPECT_NAT_TUPLE, x.nat->tuple);
            w.endNest(n);
        }
        if (x.fn)
            w.putString(CTA_EXPECT_FN, *x.fn);
        return {};
    });
}

Result<void> buildExpectationGet(NlWriter& w, uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone)
{
    if (auto r = validateFullTuple(tuple, family, "expectation get"); !r)
        return r;
    w.begin(expType(IPCTNL_MSG_EXP_GET), kChange, family);
    putTuple(w, CTA_EXPECT_TUPLE, tuple);
    if (zone)
        w.putBe16(CTA_EXPECT_ZONE, *zone);
    w.end();
    return {};
}

Result<void> buildExpectationDelete(NlWriter& w, uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone,
                                    std::optional<uint32_t> id)
{
    // Without CTA_EXPECT_TUPLE the kernel flushes every expectation.
    if (auto r = validateFullTuple(tuple, family, "expectation delete"); !r)
        return r;
    w.begin(expType(IPCTNL_MSG_EXP_DELETE), kChange, family, kNfnetlinkV1);
    putTuple(w, CTA_EXPECT_TUPLE, tuple);
    if (zone)
        w.putBe16(CTA_EXPECT_ZONE, *zone);
    if (id)
        w.putBe32(CTA_EXPECT_ID, *id);
    w.end();
    return {};
}

void buildExpectationDump(NlWriter& w, uint8_t family)
{
    w.begin(expType(IPCTNL_MSG_EXP_GET), kDump, family);
    w.end();
}

void buildExpectationFlush(NlWriter& w, uint8_t family)
{
    w.begin(expType(IPCTNL_MSG_EXP_DELETE), kChange, family, kNfnetlinkV1);
    w.end();
}

void buildExpectationCpuStats(NlWriter& w)
{
    w.begin(expType(IPCTNL_MSG_EXP_GET_STATS_CPU), kDump, AF_UNSPEC);
    w.end();
}

} // namespace ctd::nl
