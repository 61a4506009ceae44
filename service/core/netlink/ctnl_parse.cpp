#include "ctnl_parse.hpp"

#include "attr_table.hpp"
#include "ctnl_constants.hpp"

#include <cerrno>
#include <cstring>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <string>

namespace ctd::nl {

namespace {

// Generic field decoders; the attribute table has already checked the payload size.
template <typename T, auto M>
Result<void> u8At(ByteView p, T& o)
{
    o.*M = p[0];
    return {};
}
template <typename T, auto M>
Result<void> be16At(ByteView p, T& o)
{
    o.*M = loadBe16(p.data());
    return {};
}
template <typename T, auto M>
Result<void> be32At(ByteView p, T& o)
{
    o.*M = loadBe32(p.data());
    return {};
}
template <typename T, auto M>
Result<void> be64At(ByteView p, T& o)
{
    o.*M = loadBe64(p.data());
    return {};
}
template <typename T, auto M>
Result<void> stringAt(ByteView p, T& o)
{
    // NLA_NUL_STRING: stop at the first NUL, tolerate a missing one.
    const char* s = reinterpret_cast<const char*>(p.data());
    o.*M = std::string(s, strnlen(s, p.size()));
    return {};
}
template <typename T, auto M>
Result<void> bytesAt(ByteView p, T& o)
{
    o.*M = std::vector<uint8_t>(p.begin(), p.end());
    return {};
}

void setAddr(Address& a, uint8_t family, ByteView p)
{
    a.family = family;
    a.bytes = {};
    std::memcpy(a.bytes.data(), p.data(), family == AF_INET ? 4 : 16);
}

constexpr std::array<AttrRule<Tuple>, 4> kIpRules{{
    {CTA_IP_V4_SRC, 4, "CTA_IP_V4_SRC", [](ByteView p, Tuple& t) -> Result<void> { setAddr(t.src, AF_INET, p); return {}; }},
    {CTA_IP_V4_DST, 4, "CTA_IP_V4_DST", [](ByteView p, Tuple& t) -> Result<void> { setAddr(t.dst, AF_INET, p); return {}; }},
    {CTA_IP_V6_SRC, 16, "CTA_IP_V6_SRC", [](ByteView p, Tuple& t) -> Result<void> { setAddr(t.src, AF_INET6, p); return {}; }},
    {CTA_IP_V6_DST, 16, "CTA_IP_V6_DST", [](ByteView p, Tuple& t) -> Result<void> { setAddr(t.dst, AF_INET6, p); return {}; }},
}};

// ICMP and ICMPv6 share the model's icmp* fields; GRE keys arrive as the port attributes.
constexpr std::array<AttrRule<Tuple>, 9> kProtoRules{{
    {CTA_PROTO_NUM, 1, "CTA_PROTO_NUM", u8At<Tuple, &Tuple::protocol>},
    {CTA_PROTO_SRC_PORT, 2, "CTA_PROTO_SRC_PORT", be16At<Tuple, &Tuple::sport>},
    {CTA_PROTO_DST_PORT, 2, "CTA_PROTO_DST_PORT", be16At<Tuple, &Tuple::dport>},
    {CTA_PROTO_ICMP_ID, 2, "CTA_PROTO_ICMP_ID", be16At<Tuple, &Tuple::icmpId>},
    {CTA_PROTO_ICMP_TYPE, 1, "CTA_PROTO_ICMP_TYPE", u8At<Tuple, &Tuple::icmpType>},
    {CTA_PROTO_ICMP_CODE, 1, "CTA_PROTO_ICMP_CODE", u8At<Tuple, &Tuple::icmpCode>},
    {CTA_PROTO_ICMPV6_ID, 2, "CTA_PROTO_ICMPV6_ID", be16At<Tuple, &Tuple::icmpId>},
    {CTA_PROTO_ICMPV6_TYPE, 1, "CTA_PROTO_ICMPV6_TYPE", u8At<Tuple, &Tuple::icmpType>},
    {CTA_PROTO_ICMPV6_CODE, 1, "CTA_PROTO_ICMPV6_CODE", u8At<Tuple, &Tuple::icmpCode>},
}};

constexpr std::array<AttrRule<Tuple>, 3> kTupleRules{{
    {CTA_TUPLE_IP, 0, "CTA_TUPLE_IP", [](ByteView p, Tuple& t) { return decodeAttrs(p, kIpRules, "CTA_TUPLE_IP", t); }},
    {CTA_TUPLE_PROTO, 0, "CTA_TUPLE_PROTO", [](ByteView p, Tuple& t) { return decodeAttrs(p, kProtoRules, "CTA_TUPLE_PROTO", t); }},
    {CTA_TUPLE_ZONE, 2, "CTA_TUPLE_ZONE", be16At<Tuple, &Tuple::zone>},
}};

Result<void> tupleInto(ByteView p, Tuple& t) { return decodeAttrs(p, kTupleRules, "CTA_TUPLE", t); }

template <typename T, auto M>
Result<void> tupleAt(ByteView p, T& o)
{
    return tupleInto(p, o.*M);
}

constexpr std::array<AttrRule<Counters>, 4> kCounterRules{{
    {CTA_COUNTERS_PACKETS, 8, "CTA_COUNTERS_PACKETS", be64At<Counters, &Counters::packets>},
    {CTA_COUNTERS_BYTES, 8, "CTA_COUNTERS_BYTES", be64At<Counters, &Counters::bytes>},
    {CTA_COUNTERS32_PACKETS, 4, "CTA_COUNTERS32_PACKETS", be32At<Counters, &Counters::packets>},
    {CTA_COUNTERS32_BYTES, 4, "CTA_COUNTERS32_BYTES", be32At<Counters, &Counters::bytes>},
}};

constexpr std::array<AttrRule<Timestamps>, 2> kTimestampRules{{
    {CTA_TIMESTAMP_START, 8, "CTA_TIMESTAMP_START", be64At<Timestamps, &Timestamps::start>},
    {CTA_TIMESTAMP_STOP, 8, "CTA_TIMESTAMP_STOP", be64At<Timestamps, &Timestamps::stop>},
}};

Result<void> tcpFlagsInto(ByteView p, std::optional<TcpFlags>& f)
{
    // struct nf_ct_tcp_flags { __u8 flags; __u8 mask; }
    f = TcpFlags{p[0], p[1]};
    return {};
}

constexpr std::array<AttrRule<TcpInfo>, 5> kTcpRules{{
    {CTA_PROTOINFO_TCP_STATE, 1, "CTA_PROTOINFO_TCP_STATE", u8At<TcpInfo, &TcpInfo::state>},
    {CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 1, "CTA_PROTOINFO_TCP_WSCALE_ORIGINAL", u8At<TcpInfo, &TcpInfo::wscaleOrig>},
    {CTA_PROTOINFO_TCP_WSCALE_REPLY, 1, "CTA_PROTOINFO_TCP_WSCALE_REPLY", u8At<TcpInfo, &TcpInfo::wscaleReply>},
    {CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, 2, "CTA_PROTOINFO_TCP_FLAGS_ORIGINAL", [](ByteView p, TcpInfo& t) { return tcpFlagsInto(p, t.flagsOrig); }},
    {CTA_PROTOINFO_TCP_FLAGS_REPLY, 2, "CTA_PROTOINFO_TCP_FLAGS_REPLY", [](ByteView p, TcpInfo& t) { return tcpFlagsInto(p, t.flagsReply); }},
}};

constexpr std::array<AttrRule<SctpInfo>, 3> kSctpRules{{
    {CTA_PROTOINFO_SCTP_STATE, 1, "CTA_PROTOINFO_SCTP_STATE", u8At<SctpInfo, &SctpInfo::state>},
    {CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, 4, "CTA_PROTOINFO_SCTP_VTAG_ORIGINAL", be32At<SctpInfo, &SctpInfo::vtagOrig>},
    {CTA_PROTOINFO_SCTP_VTAG_REPLY, 4, "CTA_PROTOINFO_SCTP_VTAG_REPLY", be32At<SctpInfo, &SctpInfo::vtagReply>},
}};

constexpr std::array<AttrRule<DccpInfo>, 3> kDccpRules{{
    {CTA_PROTOINFO_DCCP_STATE, 1, "CTA_PROTOINFO_DCCP_STATE", u8At<DccpInfo, &DccpInfo::state>},
    {CTA_PROTOINFO_DCCP_ROLE, 1, "CTA_PROTOINFO_DCCP_ROLE", u8At<DccpInfo, &DccpInfo::role>},
    {CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, 8, "CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ", be64At<DccpInfo, &DccpInfo::handshakeSeq>},
}};

template <typename T, size_t N>
Result<void> optionalNest(ByteView p, std::optional<T>& o, const std::array<AttrRule<T>, N>& rules, const char* name)
{
    if (!o)
        o.emplace();
    return decodeAttrs(p, rules, name, *o);
}

constexpr std::array<AttrRule<Entry>, 3> kProtoinfoRules{{
    {CTA_PROTOINFO_TCP, 0, "CTA_PROTOINFO_TCP", [](ByteView p, Entry& e) { return optionalNest(p, e.tcp, kTcpRules, "CTA_PROTOINFO_TCP"); }},
    {CTA_PROTOINFO_DCCP, 0, "CTA_PROTOINFO_DCCP", [](ByteView p, Entry& e) { return optionalNest(p, e.dccp, kDccpRules, "CTA_PROTOINFO_DCCP"); }},
    {CTA_PROTOINFO_SCTP, 0, "CTA_PROTOINFO_SCTP", [](ByteView p, Entry& e) { return optionalNest(p, e.sctp, kSctpRules, "CTA_PROTOINFO_SCTP"); }},
}};

struct StringHolder {
    std::optional<std::string> s;
};

constexpr std::array<AttrRule<StringHolder>, 1> kHelpRules{{
    {CTA_HELP_NAME, 1, "CTA_HELP_NAME", stringAt<StringHolder, &StringHolder::s>},
}};
constexpr std::array<AttrRule<StringHolder>, 1> kSecctxRules{{
    {CTA_SECCTX_NAME, 1, "CTA_SECCTX_NAME", stringAt<StringHolder, &StringHolder::s>},
}};

constexpr std::array<AttrRule<SeqAdjust>, 3> kSeqAdjRules{{
    {CTA_SEQADJ_CORRECTION_POS, 4, "CTA_SEQADJ_CORRECTION_POS", be32At<SeqAdjust, &SeqAdjust::correctionPos>},
    {CTA_SEQADJ_OFFSET_BEFORE, 4, "CTA_SEQADJ_OFFSET_BEFORE", be32At<SeqAdjust, &SeqAdjust::offsetBefore>},
    {CTA_SEQADJ_OFFSET_AFTER, 4, "CTA_SEQADJ_OFFSET_AFTER", be32At<SeqAdjust, &SeqAdjust::offsetAfter>},
}};

constexpr std::array<AttrRule<Synproxy>, 3> kSynproxyRules{{
    {CTA_SYNPROXY_ISN, 4, "CTA_SYNPROXY_ISN", be32At<Synproxy, &Synproxy::isn>},
    {CTA_SYNPROXY_ITS, 4, "CTA_SYNPROXY_ITS", be32At<Synproxy, &Synproxy::its>},
    {CTA_SYNPROXY_TSOFF, 4, "CTA_SYNPROXY_TSOFF", be32At<Synproxy, &Synproxy::tsoff>},
}};

constexpr std::array<AttrRule<NatRange>, 2> kProtoNatRules{{
    {CTA_PROTONAT_PORT_MIN, 2, "CTA_PROTONAT_PORT_MIN", be16At<NatRange, &NatRange::minPort>},
    {CTA_PROTONAT_PORT_MAX, 2, "CTA_PROTONAT_PORT_MAX", be16At<NatRange, &NatRange::maxPort>},
}};

// The kernel never reports NAT ranges, but requests carry them; decoding them keeps
// build and parse exact inverses for the builder tests.
constexpr std::array<AttrRule<NatRange>, 5> kNatRules{{
    {CTA_NAT_V4_MINIP, 4, "CTA_NAT_V4_MINIP", [](ByteView p, NatRange& n) -> Result<void> { setAddr(n.minAddr, AF_INET, p); return {}; }},
    {CTA_NAT_V4_MAXIP, 4, "CTA_NAT_V4_MAXIP", [](ByteView p, NatRange& n) -> Result<void> { setAddr(n.maxAddr, AF_INET, p); return {}; }},
    {CTA_NAT_V6_MINIP, 16, "CTA_NAT_V6_MINIP", [](ByteView p, NatRange& n) -> Result<void> { setAddr(n.minAddr, AF_INET6, p); return {}; }},
    {CTA_NAT_V6_MAXIP, 16, "CTA_NAT_V6_MAXIP", [](ByteView p, NatRange& n) -> Result<void> { setAddr(n.maxAddr, AF_INET6, p); return {}; }},
    {CTA_NAT_PROTO, 0, "CTA_NAT_PROTO", [](ByteView p, NatRange& n) { return decodeAttrs(p, kProtoNatRules, "CTA_NAT_PROTO", n); }},
}};

template <auto M>
Result<void> stringNestAt(ByteView p, Entry& e, const std::array<AttrRule<StringHolder>, 1>& rules, const char* name)
{
    StringHolder h;
    auto r = decodeAttrs(p, rules, name, h);
    if (r && h.s)
        e.*M = std::move(h.s);
    return r;
}

constexpr std::array<AttrRule<Entry>, 23> kEntryRules{{
    {CTA_TUPLE_ORIG, 0, "CTA_TUPLE_ORIG", tupleAt<Entry, &Entry::orig>},
    {CTA_TUPLE_REPLY, 0, "CTA_TUPLE_REPLY", tupleAt<Entry, &Entry::reply>},
    {CTA_STATUS, 4, "CTA_STATUS", be32At<Entry, &Entry::status>},
    {CTA_PROTOINFO, 0, "CTA_PROTOINFO", [](ByteView p, Entry& e) { return decodeAttrs(p, kProtoinfoRules, "CTA_PROTOINFO", e); }},
    {CTA_HELP, 0, "CTA_HELP", [](ByteView p, Entry& e) { return stringNestAt<&Entry::helper>(p, e, kHelpRules, "CTA_HELP"); }},
    {CTA_NAT_SRC, 0, "CTA_NAT_SRC", [](ByteView p, Entry& e) { return optionalNest(p, e.snat, kNatRules, "CTA_NAT_SRC"); }},
    {CTA_TIMEOUT, 4, "CTA_TIMEOUT", be32At<Entry, &Entry::timeout>},
    {CTA_MARK, 4, "CTA_MARK", be32At<Entry, &Entry::mark>},
    {CTA_COUNTERS_ORIG, 0, "CTA_COUNTERS_ORIG", [](ByteView p, Entry& e) { return optionalNest(p, e.countersOrig, kCounterRules, "CTA_COUNTERS_ORIG"); }},
    {CTA_COUNTERS_REPLY, 0, "CTA_COUNTERS_REPLY", [](ByteView p, Entry& e) { return optionalNest(p, e.countersReply, kCounterRules, "CTA_COUNTERS_REPLY"); }},
    {CTA_USE, 4, "CTA_USE", be32At<Entry, &Entry::use>},
    {CTA_ID, 4, "CTA_ID", be32At<Entry, &Entry::id>},
    {CTA_NAT_DST, 0, "CTA_NAT_DST", [](ByteView p, Entry& e) { return optionalNest(p, e.dnat, kNatRules, "CTA_NAT_DST"); }},
    {CTA_TUPLE_MASTER, 0, "CTA_TUPLE_MASTER", [](ByteView p, Entry& e) { e.master.emplace(); return tupleInto(p, *e.master); }},
    {CTA_SEQ_ADJ_ORIG, 0, "CTA_SEQ_ADJ_ORIG", [](ByteView p, Entry& e) { return optionalNest(p, e.seqAdjOrig, kSeqAdjRules, "CTA_SEQ_ADJ_ORIG"); }},
    {CTA_SEQ_ADJ_REPLY, 0, "CTA_SEQ_ADJ_REPLY", [](ByteView p, Entry& e) { return optionalNest(p, e.seqAdjReply, kSeqAdjRules, "CTA_SEQ_ADJ_REPLY"); }},
    {CTA_SECMARK, 4, "CTA_SECMARK", be32At<Entry, &Entry::secmark>},
    {CTA_ZONE, 2, "CTA_ZONE", be16At<Entry, &Entry::zone>},
    {CTA_SECCTX, 0, "CTA_SECCTX", [](ByteView p, Entry& e) { return stringNestAt<&Entry::secctx>(p, e, kSecctxRules, "CTA_SECCTX"); }},
    {CTA_TIMESTAMP, 0, "CTA_TIMESTAMP", [](ByteView p, Entry& e) { return optionalNest(p, e.timestamps, kTimestampRules, "CTA_TIMESTAMP"); }},
    {CTA_LABELS, 0, "CTA_LABELS", bytesAt<Entry, &Entry::labels>},
    {CTA_LABELS_MASK, 0, "CTA_LABELS_MASK", bytesAt<Entry, &Entry::labelsMask>},
    {CTA_SYNPROXY, 0, "CTA_SYNPROXY", [](ByteView p, Entry& e) { return optionalNest(p, e.synproxy, kSynproxyRules, "CTA_SYNPROXY"); }},
}};

constexpr std::array<AttrRule<ExpectationNat>, 2> kExpNatRules{{
    {CTA_EXPECT_NAT_DIR, 4, "CTA_EXPECT_NAT_DIR", be32At<ExpectationNat, &ExpectationNat::dir>},
    {CTA_EXPECT_NAT_TUPLE, 0, "CTA_EXPECT_NAT_TUPLE", tupleAt<ExpectationNat, &ExpectationNat::tuple>},
}};

constexpr std::array<AttrRule<Expectation>, 11> kExpectRules{{
    {CTA_EXPECT_MASTER, 0, "CTA_EXPECT_MASTER", tupleAt<Expectation, &Expectation::master>},
    {CTA_EXPECT_TUPLE, 0, "CTA_EXPECT_TUPLE", tupleAt<Expectation, &Expectation::tuple>},
    {CTA_EXPECT_MASK, 0, "CTA_EXPECT_MASK", tupleAt<Expectation, &Expectation::mask>},
    {CTA_EXPECT_TIMEOUT, 4, "CTA_EXPECT_TIMEOUT", be32At<Expectation, &Expectation::timeout>},
    {CTA_EXPECT_ID, 4, "CTA_EXPECT_ID", be32At<Expectation, &Expectation::id>},
    {CTA_EXPECT_HELP_NAME, 1, "CTA_EXPECT_HELP_NAME", stringAt<Expectation, &Expectation::helper>},
    {CTA_EXPECT_ZONE, 2, "CTA_EXPECT_ZONE", be16At<Expectation, &Expectation::zone>},
    {CTA_EXPECT_FLAGS, 4, "CTA_EXPECT_FLAGS", be32At<Expectation, &Expectation::flags>},
    {CTA_EXPECT_CLASS, 4, "CTA_EXPECT_CLASS", be32At<Expectation, &Expectation::expectClass>},
    {CTA_EXPECT_NAT, 0, "CTA_EXPECT_NAT", [](ByteView p, Expectation& x) { return optionalNest(p, x.nat, kExpNatRules, "CTA_EXPECT_NAT"); }},
    {CTA_EXPECT_FN, 1, "CTA_EXPECT_FN", stringAt<Expectation, &Expectation::fn>},
}};

constexpr std::array<AttrRule<CpuStats>, 15> kCpuStatsRules{{
    {CTA_STATS_SEARCHED, 4, "CTA_STATS_SEARCHED", be32At<CpuStats, &CpuStats::searched>},
    {CTA_STATS_FOUND, 4, "CTA_STATS_FOUND", be32At<CpuStats, &CpuStats::found>},
    {CTA_STATS_NEW, 4, "CTA_STATS_NEW", be32At<CpuStats, &CpuStats::newCount>},
    {CTA_STATS_INVALID, 4, "CTA_STATS_INVALID", be32At<CpuStats, &CpuStats::invalid>},
    {CTA_STATS_IGNORE, 4, "CTA_STATS_IGNORE", be32At<CpuStats, &CpuStats::ignore>},
    {CTA_STATS_DELETE, 4, "CTA_STATS_DELETE", be32At<CpuStats, &CpuStats::deleted>},
    {CTA_STATS_DELETE_LIST, 4, "CTA_STATS_DELETE_LIST", be32At<CpuStats, &CpuStats::deleteList>},
    {CTA_STATS_INSERT, 4, "CTA_STATS_INSERT", be32At<CpuStats, &CpuStats::insert>},
    {CTA_STATS_INSERT_FAILED, 4, "CTA_STATS_INSERT_FAILED", be32At<CpuStats, &CpuStats::insertFailed>},
    {CTA_STATS_DROP, 4, "CTA_STATS_DROP", be32At<CpuStats, &CpuStats::drop>},
    {CTA_STATS_EARLY_DROP, 4, "CTA_STATS_EARLY_DROP", be32At<CpuStats, &CpuStats::earlyDrop>},
    {CTA_STATS_ERROR, 4, "CTA_STATS_ERROR", be32At<CpuStats, &CpuStats::error>},
    {CTA_STATS_SEARCH_RESTART, 4, "CTA_STATS_SEARCH_RESTART", be32At<CpuStats, &CpuStats::searchRestart>},
    {CTA_STATS_CLASH_RESOLVE, 4, "CTA_STATS_CLASH_RESOLVE", be32At<CpuStats, &CpuStats::clashResolve>},
    {CTA_STATS_CHAIN_TOOLONG, 4, "CTA_STATS_CHAIN_TOOLONG", be32At<CpuStats, &CpuStats::chainTooLong>},
}};

constexpr std::array<AttrRule<GlobalStats>, 2> kGlobalStatsRules{{
    {CTA_STATS_GLOBAL_ENTRIES, 4, "CTA_STATS_GLOBAL_ENTRIES", be32At<GlobalStats, &GlobalStats::entries>},
    {CTA_STATS_GLOBAL_MAX_ENTRIES, 4, "CTA_STATS_GLOBAL_MAX_ENTRIES", be32At<GlobalStats, &GlobalStats::maxEntries>},
}};

constexpr std::array<AttrRule<ExpectCpuStats>, 3> kExpStatsRules{{
    {CTA_STATS_EXP_NEW, 4, "CTA_STATS_EXP_NEW", be32At<ExpectCpuStats, &ExpectCpuStats::newCount>},
    {CTA_STATS_EXP_CREATE, 4, "CTA_STATS_EXP_CREATE", be32At<ExpectCpuStats, &ExpectCpuStats::create>},
    {CTA_STATS_EXP_DELETE, 4, "CTA_STATS_EXP_DELETE", be32At<ExpectCpuStats, &ExpectCpuStats::deleted>},
}};

const nfgenmsg& genHeader(ByteView message)
{
    return *reinterpret_cast<const nfgenmsg*>(message.data() + NLMSG_HDRLEN);
}

uint16_t nlTypeOf(ByteView message) { return loadHost<uint16_t>(message.data() + 4); }
uint16_t nlFlagsOf(ByteView message) { return loadHost<uint16_t>(message.data() + 6); }

Result<void> expectSubsys(ByteView message, uint8_t subsys, const char* what)
{
    if (subsysOf(nlTypeOf(message)) != subsys)
        return makeError(EBADMSG, std::string("not a ") + what + " message");
    return {};
}

template <typename T, size_t N>
Result<T> parseMessage(ByteView message, uint8_t subsys, const char* what, const std::array<AttrRule<T>, N>& rules, T value)
{
    auto attrs = messageAttrs(message);
    if (!attrs)
        return attrs.error();
    if (auto r = expectSubsys(message, subsys, what); !r)
        return r.error();
    if (auto r = decodeAttrs(*attrs, rules, what, value); !r)
        return r.error();
    return value;
}

static_assert(distinctTypes(kIpRules) &&
              distinctTypes(kProtoRules) &&
              distinctTypes(kTupleRules) &&
              distinctTypes(kCounterRules) &&
              distinctTypes(kTimestampRules) &&
              distinctTypes(kTcpRules) &&
              distinctTypes(kSctpRules) &&
              distinctTypes(kDccpRules) &&
              distinctTypes(kProtoinfoRules) &&
              distinctTypes(kHelpRules) &&
              distinctTypes(kSecctxRules) &&
              distinctTypes(kSeqAdjRules) &&
              distinctTypes(kSynproxyRules) &&
              distinctTypes(kProtoNatRules) &&
              distinctTypes(kNatRules) &&
              distinctTypes(kEntryRules) &&
              distinctTypes(kExpNatRules) &&
              distinctTypes(kExpectRules) &&
              distinctTypes(kCpuStatsRules) &&
              distinctTypes(kGlobalStatsRules) &&
              distinctTypes(kExpStatsRules));

} // namespace

Result<void> checkMessageHeader(ByteView buffer, size_t& len)
{
    if (buffer.size() < NLMSG_HDRLEN)
        return makeError(EBADMSG, "truncated netlink message header");
    len = loadHost<uint32_t>(buffer.data());
    if (len < NLMSG_HDRLEN || len > buffer.size())
        return makeError(EBADMSG, "netlink message length out of bounds");
    return {};
}

Result<ByteView> messageAttrs(ByteView message)
{
    size_t len = 0;
    if (auto r = checkMessageHeader(message, len); !r)
        return r.error();
    constexpr size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (len < head)
        return makeError(EBADMSG, "netlink message too short for nfgenmsg");
    return message.subspan(head, len - head);
}

EventType conntrackEventType(ByteView message)
{
    if (message.size() < NLMSG_HDRLEN)
        return EventType::None;
    uint16_t t = nlTypeOf(message);
    if (subsysOf(t) != NFNL_SUBSYS_CTNETLINK)
        return EventType::None;
    if (msgOf(t) == IPCTNL_MSG_CT_DELETE)
        return EventType::Destroy;
    if (msgOf(t) != IPCTNL_MSG_CT_NEW)
        return EventType::None;
    // ctnetlink_conntrack_event marks new entries with CREATE|EXCL, updates with neither.
    return (nlFlagsOf(message) & (NLM_F_CREATE | NLM_F_EXCL)) ? EventType::New : EventType::Update;
}

EventType expectationEventType(ByteView message)
{
    if (message.size() < NLMSG_HDRLEN)
        return EventType::None;
    uint16_t t = nlTypeOf(message);
    if (subsysOf(t) != NFNL_SUBSYS_CTNETLINK_EXP)
        return EventType::None;
    if (msgOf(t) == IPCTNL_MSG_EXP_DELETE)
        return EventType::Destroy;
    if (msgOf(t) != IPCTNL_MSG_EXP_NEW)
        return EventType::None;
    return (nlFlagsOf(message) & (NLM_F_CREATE | NLM_F_EXCL)) ? EventType::New : EventType::Update;
}

Result<Tuple> parseTuple(ByteView nestPayload)
{
    Tuple t;
    if (auto r = tupleInto(nestPayload, t); !r)
        return r.error();
    return t;
}

Result<void> parseConntrackInto(ByteView message, Entry& e)
{
    auto attrs = messageAttrs(message);
    if (!attrs)
        return attrs.error();
    if (auto r = expectSubsys(message, NFNL_SUBSYS_CTNETLINK, "conntrack"); !r)
        return r;
    e.family = genHeader(message).nfgen_family; // messageAttrs checked the length
    return decodeAttrs(*attrs, kEntryRules, "conntrack", e);
}

Result<Entry> parseConntrack(ByteView message)
{
    Entry e;
    if (auto r = parseConntrackInto(message, e); !r)
        return r.error();
    return e;
}

Result<Expectation> parseExpectation(ByteView message)
{
    Expectation x;
    if (message.size() >= NLMSG_HDRLEN + sizeof(nfgenmsg))
        x.family = genHeader(message).nfgen_family;
    return parseMessage(message, NFNL_SUBSYS_CTNETLINK_EXP, "expectation", kExpectRules, std::move(x));
}

Result<CpuStats> parseCpuStats(ByteView message)
{
    CpuStats s;
    if (message.size() >= NLMSG_HDRLEN + sizeof(nfgenmsg))
        s.cpu = ntohs(genHeader(message).res_id);
    return parseMessage(message, NFNL_SUBSYS_CTNETLINK, "conntrack statistics", kCpuStatsRules, s);
}

Result<GlobalStats> parseGlobalStats(ByteView message)
{
    return parseMessage(message, NFNL_SUBSYS_CTNETLINK, "conntrack count", kGlobalStatsRules, GlobalStats{});
}

Result<ExpectCpuStats> parseExpectCpuStats(ByteView message)
{
    ExpectCpuStats s;
    if (message.size() >= NLMSG_HDRLEN + sizeof(nfgenmsg))
        s.cpu = ntohs(genHeader(message).res_id);
    // ctnetlink_exp_stat_fill_info() answers under the conntrack subsystem, not the
    // expectation one it was asked on.
    return parseMessage(message, NFNL_SUBSYS_CTNETLINK, "expectation statistics", kExpStatsRules, s);
}

} // namespace ctd::nl
