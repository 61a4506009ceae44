#include "sync/engine/commit_prep.hpp"
#include "sync/wire/sync_wire.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace ctd::sync {
namespace {

TEST(CommitPrep, IcmpEchoInvertsToEchoReply)
{
    Tuple t;
    t.src.family = t.dst.family = AF_INET;
    t.src.bytes[0] = 1;
    t.dst.bytes[0] = 2;
    t.protocol = IPPROTO_ICMP;
    t.icmpType = 8;
    t.icmpCode = 0;
    t.icmpId = 77;
    Tuple r = replyTupleOf(t);
    EXPECT_EQ(r.icmpType, 0);
    EXPECT_EQ(r.icmpId, 77);
    EXPECT_EQ(r.src, t.dst);
}

TEST(CommitPrep, CommitTimeoutWinsAndExpectedBitIsCleared)
{
    Entry e;
    e.family = AF_INET;
    e.orig.src.family = e.orig.dst.family = AF_INET;
    e.orig.protocol = IPPROTO_UDP;
    e.status = 0x1 | 0x8; // EXPECTED | SEEN_REPLY
    e.timeout = 100;
    e.id = 5;
    CommitSettings s;
    s.commitTimeout = 180;
    Entry c = prepareForCommit(e, s, 30);
    EXPECT_EQ(c.timeout, 180u);
    EXPECT_EQ(c.status, 0x8u);
    EXPECT_FALSE(c.id);
    s.commitTimeout = 0;
    EXPECT_EQ(prepareForCommit(e, s, 30).timeout, 70u) << "the time spent waiting is taken off";
    EXPECT_EQ(prepareForCommit(e, s, 500).timeout, 60u) << "conntrackd gives the expired ones 60 s";
}

TEST(CommitPrep, WindowTrackingOnKeepsItStrict)
{
    Entry e;
    e.tcp = TcpInfo{};
    e.tcp->state = 3;
    CommitSettings s;
    s.tcpWindowTracking = true;
    Entry c = prepareForCommit(e, s, 0);
    EXPECT_FALSE(c.tcp->flagsOrig->flags & 0x08);
    EXPECT_TRUE(c.tcp->flagsOrig->flags & 0x01) << "WINDOW_SCALE";
}

} // namespace
} // namespace ctd::sync
