#include "../wire/test_util.hpp"
#include "sync/engine/compact_entry.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace ctd::sync {
namespace {

using test::ports;

// What an event of an ordinary TCP connection carries with accounting on.
Entry tcpEvent()
{
    Entry e;
    e.family = AF_INET;
    e.orig = ports("10.0.0.1", "10.0.0.2", IPPROTO_TCP, 40000, 80);
    e.reply = ports("10.0.0.2", "192.0.2.9", IPPROTO_TCP, 80, 40000);
    e.status = 0x18e;
    e.timeout = 431999;
    e.mark = 7;
    e.use = 2;
    e.id = 0xdeadbeef;
    e.zone = 3;
    e.countersOrig = Counters{10, 1000};
    e.countersReply = Counters{8, 4000};
    e.timestamps = Timestamps{1700000000000000000ull, std::nullopt};
    e.tcp = TcpInfo{3, 7, 6, TcpFlags{0x22, 0x22}, TcpFlags{0x23, 0x23}};
    e.synproxy = Synproxy{}; // every entry ctnetlink created has one
    return e;
}

Entry withoutUse(Entry e)
{
    e.use.reset();
    return e;
}

TEST(CompactEntry, OrdinaryConnectionNeedsNoSideAllocation)
{
    CompactEntry c(tcpEvent());
    EXPECT_FALSE(c.hasSideAllocation());
    EXPECT_EQ(c.expand(), withoutUse(tcpEvent()));
    EXPECT_LE(sizeof(CompactEntry), 176u) << "the point of the compact form";
}

TEST(CompactEntry, AbsentAndZeroStayDistinct)
{
    Entry e;
    e.family = AF_INET6;
    e.orig.src.family = AF_INET6;
    e.orig.protocol = IPPROTO_ICMPV6;
    e.orig.icmpType = 128;
    e.orig.icmpCode = 0;
    e.orig.icmpId = 0;
    e.mark = 0;
    e.tcp = TcpInfo{};
    CompactEntry c(e);
    Entry back = c.expand();
    EXPECT_EQ(back, e);
    EXPECT_FALSE(back.status.has_value());
    EXPECT_FALSE(back.orig.sport.has_value());
    EXPECT_TRUE(back.mark.has_value());
    EXPECT_TRUE(back.tcp.has_value());
    EXPECT_FALSE(back.tcp->state.has_value());
}

TEST(CompactEntry, EveryRareFieldSurvives)
{
    Entry e = withoutUse(tcpEvent());
    e.orig.zone = 4; // a directional zone: this tuple is not packed
    e.master = ports("1.2.3.4", "5.6.7.8", IPPROTO_TCP, 1, 21);
    e.secmark = 9;
    e.secctx = "system_u:object_r:ssh_t";
    e.helper = "ftp";
    e.labels = {1, 0, 0, 0x80};
    e.labelsMask = {0xff};
    e.sctp = SctpInfo{1, 2, 3};
    e.dccp = DccpInfo{1, 2, 3};
    e.snat = NatRange{test::addr("9.9.9.9"), test::addr("9.9.9.10"), 1024, 2048};
    e.dnat = NatRange{test::addr("8.8.8.8"), test::addr("8.8.8.8"), std::nullopt, std::nullopt};
    e.seqAdjOrig = SeqAdjust{1, 2, 3};
    e.seqAdjReply = SeqAdjust{4, 5, 6};
    e.synproxy = Synproxy{7, 8, 9};
    e.timestamps = Timestamps{5, 6}; // with a stop time: kept whole
    CompactEntry c(e);
    EXPECT_TRUE(c.hasSideAllocation());
    EXPECT_EQ(c.expand(), e);
}

TEST(CompactEntry, ReassigningReleasesOrReusesTheSideAllocation)
{
    Entry rich = withoutUse(tcpEvent());
    rich.helper = "ftp";
    CompactEntry c(rich);
    ASSERT_TRUE(c.hasSideAllocation());
    c.assign(tcpEvent());
    EXPECT_FALSE(c.hasSideAllocation());
    EXPECT_EQ(c.expand(), withoutUse(tcpEvent()));
    c.assign(rich);
    EXPECT_EQ(c.expand(), rich);
}

TEST(CompactEntry, CopiesAreDeep)
{
    Entry rich = withoutUse(tcpEvent());
    rich.labels = {1, 2, 3};
    CompactEntry a(rich);
    CompactEntry b(a);
    a.assign(tcpEvent());
    EXPECT_EQ(b.expand(), rich);
    b = a;
    EXPECT_EQ(b.expand(), withoutUse(tcpEvent()));
}

} // namespace
} // namespace ctd::sync
