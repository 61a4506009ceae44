// Request bytes for representative operations, and the safety rules that keep a delete
// from turning into a flush.
#include "helpers.hpp"
#include "netlink/ctnl_build.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/ctnl_parse.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

std::vector<uint8_t> bytesOf(const NlWriter& w) { return {w.bytes().begin(), w.bytes().end()}; }

std::vector<uint8_t> hex(const char* s)
{
    std::vector<uint8_t> out;
    for (; *s; ++s) {
        if (*s == ' ')
            continue;
        out.push_back(uint8_t(std::stoi(std::string(s, 2), nullptr, 16)));
        ++s;
    }
    return out;
}

Entry udpEntry()
{
    Entry e;
    e.family = AF_INET;
    e.orig = udp("192.0.2.1", "198.18.0.1", 1000, 53);
    e.timeout = 100;
    return e;
}

} // namespace

TEST(Build, FlushIsVersionOneWithFamily)
{
    NlWriter w;
    buildConntrackFlush(w, AF_INET6);
    // nlmsghdr(len 20, CT_DELETE, REQUEST|ACK) + nfgenmsg(AF_INET6, version 1)
    EXPECT_EQ(bytesOf(w), hex("14000000 0201 0500 00000000 00000000 0a 01 0000"));
}

TEST(Build, FilteredDeleteExactBytes)
{
    KernelFilter f;
    f.family = AF_INET;
    f.origFlags = filter_flag::ProtoNum | filter_flag::ProtoDstPort;
    f.orig.protocol = IPPROTO_UDP;
    f.orig.dport = 53;
    NlWriter w;
    ASSERT_TRUE(buildConntrackFilteredDelete(w, f).ok());
    EXPECT_EQ(bytesOf(w), hex("40000000 0201 0500 00000000 00000000 02 01 0000"
                              // CTA_FILTER { ORIG_FLAGS 0x28 (host order), REPLY_FLAGS 0 }
                              "14001980 08000100 28000000 08000200 00000000"
                              // CTA_TUPLE_ORIG { CTA_TUPLE_PROTO { NUM 17, DST_PORT 53 } }
                              "18000180 14000280 05000100 11000000 06000300 00350000"));
}

TEST(Build, EmptyFilteredDeleteIsRefused)
{
    NlWriter w;
    auto r = buildConntrackFilteredDelete(w, KernelFilter{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_EQ(w.size(), 0u);
}

TEST(Build, FilteredDeleteNeedsFamilyForCtaFilter)
{
    KernelFilter f;
    f.origFlags = filter_flag::ProtoNum;
    f.orig.protocol = IPPROTO_TCP;
    NlWriter w;
    EXPECT_FALSE(buildConntrackFilteredDelete(w, f).ok());
    EXPECT_FALSE(buildConntrackDump(w, TableKind::Conntrack, f, false).ok());
    EXPECT_EQ(w.size(), 0u);
}

TEST(Build, FilteredDeleteMarkAndStatusAlwaysCarryTheirMask)
{
    KernelFilter f;
    f.mark = Masked32{0x10, 0xf0};
    f.status = Masked32{1u << 2, 1u << 2};
    NlWriter w;
    ASSERT_TRUE(buildConntrackFilteredDelete(w, f).ok());
    auto attrs = topAttrs(w.bytes());
    EXPECT_EQ(versionOf(w.bytes()), 1);
    EXPECT_EQ(attrs.at(CTA_MARK), hex("00000010"));
    EXPECT_EQ(attrs.at(CTA_MARK_MASK), hex("000000f0"));
    EXPECT_EQ(attrs.at(CTA_STATUS), hex("00000004"));
    EXPECT_EQ(attrs.at(CTA_STATUS_MASK), hex("00000004"));
    EXPECT_FALSE(attrs.count(CTA_FILTER));
}

TEST(Build, FilteredDeleteStatusClearBits)
{
    // -u !SEEN_REPLY: value 0, the clear bits in the mask only.
    KernelFilter f;
    f.family = AF_INET;
    f.status = Masked32{0, 1u << 1};
    NlWriter w;
    ASSERT_TRUE(buildConntrackFilteredDelete(w, f).ok());
    auto attrs = topAttrs(w.bytes());
    EXPECT_EQ(attrs.at(CTA_STATUS), hex("00000000"));
    EXPECT_EQ(attrs.at(CTA_STATUS_MASK), hex("00000002"));
    KernelFilter mixed;
    mixed.status = Masked32{1u << 2, (1u << 2) | (1u << 1)};
    NlWriter w2;
    ASSERT_TRUE(buildConntrackFilteredDelete(w2, mixed).ok());
    auto a2 = topAttrs(w2.bytes());
    EXPECT_EQ(a2.at(CTA_STATUS), hex("00000004"));
    EXPECT_EQ(a2.at(CTA_STATUS_MASK), hex("00000006"));
}

TEST(Build, FilteredDeleteRefusesZeroMasks)
{
    for (int i = 0; i < 2; ++i) {
        KernelFilter f;
        f.family = AF_INET;
        if (i == 0)
            f.mark = Masked32{0, 0};
        else
            f.status = Masked32{0, 0};
        NlWriter w;
        EXPECT_FALSE(buildConntrackFilteredDelete(w, f).ok()) << i;
        EXPECT_EQ(w.size(), 0u) << i;
    }
}

TEST(Build, DeleteNeedsACompleteTuple)
{
    NlWriter w;
    Tuple partial;
    partial.src = addr("192.0.2.1");
    partial.protocol = IPPROTO_UDP;
    EXPECT_FALSE(buildConntrackDelete(w, AF_INET, partial, {}, {}).ok());
    EXPECT_FALSE(buildConntrackDelete(w, AF_INET, Tuple{}, {}, 1234).ok()); // id alone = flush
    Tuple noPorts = udp("192.0.2.1", "198.18.0.1", 1, 2);
    noPorts.dport.reset();
    EXPECT_FALSE(buildConntrackDelete(w, AF_INET, noPorts, {}, {}).ok());
    EXPECT_FALSE(buildConntrackDelete(w, AF_INET6, udp("192.0.2.1", "198.18.0.1", 1, 2), {}, {}).ok());
    EXPECT_EQ(w.size(), 0u);
}

TEST(Build, DeleteByTupleAndId)
{
    NlWriter w;
    Tuple t = udp("192.0.2.1", "198.18.0.1", 1000, 53);
    t.zone = 7; // directional zone rides inside the tuple
    ASSERT_TRUE(buildConntrackDelete(w, AF_INET, t, 5, 0xdeadbeef).ok());
    EXPECT_EQ(typeOf(w.bytes()), ctType(IPCTNL_MSG_CT_DELETE));
    EXPECT_EQ(flagsOf(w.bytes()), NLM_F_REQUEST | NLM_F_ACK);
    EXPECT_EQ(versionOf(w.bytes()), 1);
    auto attrs = topAttrs(w.bytes());
    EXPECT_EQ(attrs.at(CTA_ID), hex("deadbeef"));
    EXPECT_EQ(attrs.at(CTA_ZONE), hex("0005"));
    auto tuple = parseTuple(attrs.at(CTA_TUPLE_ORIG));
    ASSERT_TRUE(tuple.ok());
    EXPECT_EQ(*tuple, t);
}

TEST(Build, DumpWithoutFilterHasNoAttributes)
{
    NlWriter w;
    ASSERT_TRUE(buildConntrackDump(w, TableKind::Conntrack, KernelFilter{}, false).ok());
    EXPECT_EQ(bytesOf(w), hex("14000000 0101 0103 00000000 00000000 00 00 0000"));
}

TEST(Build, DumpKinds)
{
    NlWriter w;
    KernelFilter f;
    f.family = AF_INET;
    f.mark = Masked32{1, 0xffffffff};
    ASSERT_TRUE(buildConntrackDump(w, TableKind::Conntrack, f, true).ok());
    EXPECT_EQ(typeOf(w.bytes()), ctType(IPCTNL_MSG_CT_GET_CTRZERO));
    w.clear();
    ASSERT_TRUE(buildConntrackDump(w, TableKind::Dying, f, false).ok());
    EXPECT_EQ(typeOf(w.bytes()), ctType(IPCTNL_MSG_CT_GET_DYING));
    EXPECT_TRUE(topAttrs(w.bytes()).empty()); // the dying list takes no filter
    w.clear();
    ASSERT_TRUE(buildConntrackDump(w, TableKind::Unconfirmed, f, false).ok());
    EXPECT_EQ(typeOf(w.bytes()), ctType(IPCTNL_MSG_CT_GET_UNCONFIRMED));
    EXPECT_EQ(flagsOf(w.bytes()), NLM_F_REQUEST | NLM_F_DUMP);
}

TEST(Build, CreateRoundTripsThroughTheParser)
{
    Entry e = udpEntry();
    e.reply = udp("198.18.0.1", "192.0.2.1", 53, 1000);
    e.status = 1u << 2;
    e.mark = 9;
    e.zone = 3;
    e.labels = std::vector<uint8_t>(16, 0);
    e.labels[0] = 1;
    e.labelsMask = std::vector<uint8_t>(16, 0xff);
    e.helper = "ftp";
    e.snat = NatRange{addr("203.0.113.1"), addr("203.0.113.1"), 2000, 2000};
    e.seqAdjOrig = SeqAdjust{1, 2, 3};
    e.synproxy = Synproxy{4, 5, 6};
    e.tcp.reset();
    NlWriter w;
    ASSERT_TRUE(buildConntrackCreate(w, e).ok());
    EXPECT_EQ(flagsOf(w.bytes()), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    auto back = parseConntrack(w.bytes());
    ASSERT_TRUE(back.ok()) << back.error().message;
    Entry want = e;
    want.status = *e.status | StatusConfirmed; // the kernel refuses creates without it
    EXPECT_EQ(*back, want);
}

TEST(Build, CreateDerivesTheReplyTuple)
{
    Entry e;
    e.family = AF_INET;
    e.orig.src = addr("192.0.2.1");
    e.orig.dst = addr("198.18.0.1");
    e.orig.protocol = IPPROTO_ICMP;
    e.orig.icmpType = 8;
    e.orig.icmpCode = 0;
    e.orig.icmpId = 5;
    e.timeout = 30;
    NlWriter w;
    ASSERT_TRUE(buildConntrackCreate(w, e).ok());
    auto back = parseConntrack(w.bytes());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->reply.src, e.orig.dst);
    EXPECT_EQ(back->reply.icmpType, 0);
    EXPECT_EQ(back->reply.icmpId, 5);
}

TEST(Build, ProtoinfoRoundTrips)
{
    Entry e = udpEntry();
    e.orig.protocol = IPPROTO_TCP;
    e.tcp = TcpInfo{3, 7, 7, TcpFlags{0x23, 0x23}, TcpFlags{0x22, 0x22}};
    e.sctp = SctpInfo{3, 1, 2};
    e.dccp = DccpInfo{4, 1, 0x123456789ull}; // DCCP is not in this kernel: synthetic only
    NlWriter w;
    ASSERT_TRUE(buildConntrackUpdate(w, e).ok());
    EXPECT_EQ(flagsOf(w.bytes()), NLM_F_REQUEST | NLM_F_ACK);
    auto back = parseConntrack(w.bytes());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->tcp, e.tcp);
    EXPECT_EQ(back->sctp, e.sctp);
    EXPECT_EQ(back->dccp, e.dccp);
}

TEST(Build, UpdateRefusesNatAndMaster)
{
    Entry e = udpEntry();
    e.snat = NatRange{};
    NlWriter w;
    EXPECT_FALSE(buildConntrackUpdate(w, e).ok());
    EXPECT_EQ(w.size(), 0u);
}

TEST(Build, Ipv6TupleUsesV6Attributes)
{
    NlWriter w;
    Tuple t = udp("2001:db8::1", "2001:db8::2", 1, 2);
    ASSERT_TRUE(buildConntrackGet(w, AF_INET6, t, {}).ok());
    auto attrs = topAttrs(w.bytes());
    auto back = parseTuple(attrs.at(CTA_TUPLE_ORIG));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
    EXPECT_EQ(familyOf(w.bytes()), AF_INET6);
}

TEST(Build, ExpectationCreateAndDelete)
{
    Expectation x;
    x.family = AF_INET;
    x.master = udp("192.0.2.1", "198.18.0.1", 1000, 21);
    x.master.protocol = IPPROTO_TCP;
    x.tuple = x.master;
    x.tuple.dport = 5000;
    x.mask.src = addr("255.255.255.255");
    x.mask.dst = addr("255.255.255.255");
    x.mask.sport = 0;
    x.mask.dport = 0xffff;
    x.timeout = 60;
    x.helper = "ftp";
    NlWriter w;
    ASSERT_TRUE(buildExpectationCreate(w, x).ok());
    auto back = parseExpectation(w.bytes());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->tuple, x.tuple);
    EXPECT_EQ(back->mask.dport, 0xffff);
    EXPECT_EQ(back->mask.protocol, IPPROTO_TCP);
    EXPECT_EQ(back->helper, "ftp");
    w.clear();
    EXPECT_FALSE(buildExpectationDelete(w, AF_INET, Tuple{}, {}, {}).ok()); // would flush
    ASSERT_TRUE(buildExpectationDelete(w, AF_INET, x.tuple, {}, 7).ok());
    EXPECT_EQ(typeOf(w.bytes()), expType(IPCTNL_MSG_EXP_DELETE));
}

TEST(Build, ExpectationOptionalFieldsRoundTrip)
{
    Expectation x;
    x.family = AF_INET6;
    x.master = udp("2001:db8::1", "2001:db8::2", 5060, 5060);
    x.tuple = udp("2001:db8::2", "2001:db8::1", 0, 7000);
    x.mask.src.family = AF_INET6;
    x.mask.src.bytes.fill(0xff);
    x.mask.dst = x.mask.src;
    x.mask.protocol = IPPROTO_UDP;
    x.mask.sport = 0;
    x.mask.dport = 0xffff;
    x.timeout = 30;
    x.zone = 4;
    x.flags = 1; // NF_CT_EXPECT_PERMANENT
    x.expectClass = 2;
    x.helper = "sip";
    x.fn = "nat-follow-master";
    x.nat = ExpectationNat{1, udp("2001:db8::9", "2001:db8::1", 0, 7000)};
    NlWriter w;
    ASSERT_TRUE(buildExpectationCreate(w, x).ok());
    auto back = parseExpectation(w.bytes());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, x);
}

TEST(Build, SecurityContextAndTimestampsParse)
{
    // The kernel sends these only with SELinux / on destroy; build the message by hand.
    NlWriter w;
    w.begin(ctType(IPCTNL_MSG_CT_NEW), 0, AF_INET);
    putTuple(w, CTA_TUPLE_ORIG, udp("192.0.2.1", "198.18.0.1", 1, 2));
    w.putBe32(CTA_SECMARK, 77);
    size_t n = w.beginNest(CTA_SECCTX);
    w.putString(CTA_SECCTX_NAME, "system_u:object_r:unlabeled_t:s0");
    w.endNest(n);
    n = w.beginNest(CTA_TIMESTAMP);
    w.putBe64(CTA_TIMESTAMP_START, 1000);
    w.putBe64(CTA_TIMESTAMP_STOP, 2000);
    w.endNest(n);
    n = w.beginNest(CTA_COUNTERS_REPLY);
    w.putBe32(CTA_COUNTERS32_PACKETS, 3); // the old 32-bit counters still decode
    w.putBe32(CTA_COUNTERS32_BYTES, 300);
    w.endNest(n);
    w.end();
    auto e = parseConntrack(w.bytes());
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->secmark, 77u);
    EXPECT_EQ(e->secctx, "system_u:object_r:unlabeled_t:s0");
    EXPECT_EQ(e->timestamps, (Timestamps{1000, 2000}));
    EXPECT_EQ(e->countersReply, (Counters{3, 300}));
    EXPECT_EQ(conntrackEventType(w.bytes()), EventType::Update);
}

TEST(Build, ManyMessagesInOneBuffer)
{
    NlWriter w;
    for (int i = 0; i < 100; ++i) {
        Entry e = udpEntry();
        e.orig.sport = uint16_t(i + 1);
        ASSERT_TRUE(buildConntrackCreate(w, e).ok());
    }
    EXPECT_EQ(w.messages(), 100u);
    size_t n = 0;
    ASSERT_TRUE(forEachMessage(w.bytes(), [&](ByteView m) {
        EXPECT_EQ(parseConntrack(m)->orig.sport, ++n);
        return true;
    }).ok());
    EXPECT_EQ(n, 100u);
}
