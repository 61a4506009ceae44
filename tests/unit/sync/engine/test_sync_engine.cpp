// The engine against an in-memory link: NOTRACK and FTFW replication, loss recovery,
// restarts, replayed and hostile datagrams, ALARM refresh/expiry, commit, failover.
#include "fake_kernel.hpp"
#include "memory_link.hpp"
#include "sync/engine/commit_prep.hpp"
#include "sync/wire/sync_wire.hpp"
#include "sync/engine/sync_engine.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace ctd::sync {
namespace {

using test::FakeKernel;
using test::MemoryLink;
using test::Wire;

Address v4(uint32_t hostOrder)
{
    Address a;
    a.family = AF_INET;
    uint32_t n = htonl(hostOrder);
    std::memcpy(a.bytes.data(), &n, 4);
    return a;
}

Entry udpEntry(uint32_t i, uint32_t mark = 0)
{
    Entry e;
    e.family = AF_INET;
    e.orig.src = v4(0xc0000200u + (i & 0xff)); // 192.0.2.x
    e.orig.dst = v4(0xc6120000u + (i >> 8)); // 198.18.x.y
    e.orig.protocol = IPPROTO_UDP;
    e.orig.sport = static_cast<uint16_t>(1024 + (i % 50000));
    e.orig.dport = 53;
    e.reply = replyTupleOf(e.orig);
    e.status = 0x8; // IPS_SEEN_REPLY... enough for the wire
    e.timeout = 120;
    e.mark = mark;
    return e;
}

Entry tcpEntry(uint32_t i, uint8_t state)
{
    Entry e = udpEntry(i);
    e.orig.protocol = IPPROTO_TCP;
    e.orig.dport = 443;
    e.reply = replyTupleOf(e.orig);
    e.tcp = TcpInfo{};
    e.tcp->state = state;
    return e;
}

struct Pair {
    std::shared_ptr<Wire> wire = std::make_shared<Wire>();
    FakeKernel kernelA, kernelB;
    std::unique_ptr<SyncEngine> a, b;
    uint64_t now = 1000000;

    explicit Pair(SyncMode mode, EngineSettings base = {})
    {
        base.mode = mode;
        a = makeEngine(true, base, kernelA);
        b = makeEngine(false, base, kernelB);
    }

    std::unique_ptr<SyncEngine> makeEngine(bool isA, EngineSettings s, FakeKernel& k)
    {
        std::vector<std::unique_ptr<Link>> ch;
        ch.push_back(std::make_unique<MemoryLink>(wire, isA));
        return std::make_unique<SyncEngine>(s, std::move(ch), k);
    }

    void restartB(EngineSettings s)
    {
        wire->toB.clear();
        b = makeEngine(false, s, kernelB);
    }

    // Delivers until both directions are quiet, then advances time by a second.
    void pump(int seconds = 1)
    {
        for (int s = 0; s < seconds; ++s) {
            for (int round = 0; round < 10000; ++round) {
                a->flush(now);
                b->flush(now);
                if (wire->toA.empty() && wire->toB.empty())
                    break;
                a->channelReadable(0, now);
                b->channelReadable(0, now);
            }
            now += 1000;
            a->tick(now);
            b->tick(now);
        }
    }
};

std::map<std::string, uint32_t> marksByKey(const SyncCache& c)
{
    std::map<std::string, uint32_t> out;
    c.forEach([&](const CacheKey& k, const CacheObject& o) {
        if (o.state == ObjectState::Dead)
            return;
        std::string key(reinterpret_cast<const char*>(k.orig.src.bytes.data()), 4);
        key += std::string(reinterpret_cast<const char*>(k.orig.dst.bytes.data()), 4);
        key += std::to_string(k.orig.sport.value_or(0)) + "/" + std::to_string(k.orig.protocol.value_or(0));
        out[key] = o.entry().mark.value_or(0);
    });
    return out;
}

TEST(SyncEngine, NotrackReplicatesNewUpdateDestroy)
{
    Pair p(SyncMode::Notrack);
    for (uint32_t i = 0; i < 100; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump();
    EXPECT_EQ(p.b->externalCache().size(), 100u);
    p.a->kernelEvent(EventType::Update, udpEntry(7, 42), p.now);
    p.a->kernelEvent(EventType::Destroy, udpEntry(8), p.now);
    p.pump();
    EXPECT_EQ(p.b->externalCache().size(), 99u);
    EXPECT_EQ(p.a->internalCache().size(), 99u) << "a sent destroy leaves the NOTRACK cache";
    auto* o = p.b->externalCache().find(cacheKeyOf(udpEntry(7)));
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->entry().mark, 42u);
    EXPECT_EQ(marksByKey(p.a->internalCache()), marksByKey(p.b->externalCache()));
}

TEST(SyncEngine, MessagesArePackedUpToTheMtu)
{
    Pair p(SyncMode::Notrack);
    for (uint32_t i = 0; i < 200; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.a->flush(p.now);
    ASSERT_GT(p.wire->toB.size(), 1u);
    EXPECT_LT(p.wire->toB.size(), 50u) << "several messages per datagram";
    for (const auto& d : p.wire->toB)
        EXPECT_LE(d.size(), 1400u);
}

class FtfwLoss : public ::testing::TestWithParam<int> {};

TEST_P(FtfwLoss, ConvergesUnderThirtyPercentLossBothWays)
{
    Pair p(SyncMode::Ftfw);
    p.wire->rng.seed(static_cast<unsigned>(GetParam()));
    p.wire->lossToA = p.wire->lossToB = 0.3;
    for (uint32_t i = 0; i < 2000; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump();
    for (uint32_t i = 0; i < 2000; i += 3)
        p.a->kernelEvent(EventType::Update, udpEntry(i, i), p.now);
    for (uint32_t i = 1; i < 2000; i += 7)
        p.a->kernelEvent(EventType::Destroy, udpEntry(i), p.now);
    p.pump(30);
    p.wire->lossToA = p.wire->lossToB = 0;
    p.pump(3);
    EXPECT_EQ(marksByKey(p.a->internalCache()), marksByKey(p.b->externalCache()));
    EXPECT_GT(p.b->counters().nacksSent, 0u);
    EXPECT_GT(p.a->counters().resent, 0u);
    EXPECT_EQ(p.a->resendQueueLength(), p.a->resendQueueLength()); // bounded below
    EXPECT_LT(p.a->resendQueueLength(), 50u) << "acknowledged messages leave the queue";
}

INSTANTIATE_TEST_SUITE_P(Seeds, FtfwLoss, ::testing::Range(1, 11));

TEST(SyncEngine, FtfwResendQueueOverflowEndsInAFullResend)
{
    EngineSettings s;
    s.resendQueueSize = 16;
    Pair p(SyncMode::Ftfw, s);
    p.pump(); // hello handshake
    p.wire->lossToB = 0.5;
    for (uint32_t i = 0; i < 500; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump(20);
    p.wire->lossToB = 0;
    p.pump(3);
    EXPECT_GT(p.a->counters().resendQueueOverflows, 0u);
    EXPECT_GT(p.a->counters().unrecoverableNacks, 0u);
    EXPECT_EQ(marksByKey(p.a->internalCache()), marksByKey(p.b->externalCache()));
    EXPECT_LE(p.a->resendQueueLength(), 16u);
}

TEST(SyncEngine, FtfwHelloHandshakeCompletes)
{
    Pair p(SyncMode::Ftfw);
    EXPECT_FALSE(p.a->helloDone());
    p.pump(4);
    EXPECT_TRUE(p.a->helloDone());
    EXPECT_TRUE(p.b->helloDone());
}

TEST(SyncEngine, RestartedPeerGetsTheWholeCacheAgain)
{
    Pair p(SyncMode::Ftfw);
    for (uint32_t i = 0; i < 300; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump(2);
    ASSERT_EQ(p.b->externalCache().size(), 300u);
    p.restartB(p.a->settings());
    EXPECT_EQ(p.b->externalCache().size(), 0u);
    p.pump(3);
    EXPECT_EQ(p.b->externalCache().size(), 300u);
    EXPECT_GT(p.a->counters().helloReceived, 0u);
}

TEST(SyncEngine, ResyncRequestBringsThePeersCache)
{
    Pair p(SyncMode::Notrack);
    for (uint32_t i = 0; i < 50; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.wire->lossToB = 1.0;
    p.pump();
    EXPECT_EQ(p.b->externalCache().size(), 0u);
    p.wire->lossToB = 0;
    p.b->requestResync();
    p.pump();
    EXPECT_EQ(p.b->externalCache().size(), 50u);
    EXPECT_EQ(p.a->counters().resyncRequestsReceived, 1u);
}

TEST(SyncEngine, ReplayedDatagramsAreNotAppliedTwice)
{
    Pair p(SyncMode::Ftfw);
    p.pump(4); // the HELLO handshake is over: from now on every message is sequence-checked
    ASSERT_TRUE(p.a->helloDone());
    const size_t handshake = p.wire->sentByA.size();
    p.a->kernelEvent(EventType::New, udpEntry(1), p.now);
    p.pump();
    p.a->kernelEvent(EventType::Destroy, udpEntry(1), p.now);
    p.pump();
    ASSERT_EQ(p.b->externalCache().size(), 0u);
    for (size_t i = handshake; i < p.wire->sentByA.size(); ++i)
        p.b->datagramReceived(p.wire->sentByA[i], p.now);
    EXPECT_EQ(p.b->externalCache().size(), 0u) << "the old NEW must not come back";
    EXPECT_GT(p.b->counters().msgBefore, 0u);
}

TEST(SyncEngine, HostileDatagramsAreCountedAndDropped)
{
    Pair p(SyncMode::Ftfw);
    for (uint32_t i = 0; i < 20; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump();
    ASSERT_EQ(p.b->externalCache().size(), 20u);
    std::mt19937 rng(7);
    uint64_t before = p.b->counters().msgMalformed;
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> junk(rng() % 300);
        for (auto& byte : junk)
            byte = static_cast<uint8_t>(rng());
        if (!p.wire->sentByA.empty() && i % 2) { // mutate a real datagram
            junk = p.wire->sentByA[rng() % p.wire->sentByA.size()];
            if (!junk.empty())
                junk[rng() % junk.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
            junk.resize(rng() % (junk.size() + 1));
        }
        p.b->datagramReceived(junk, p.now);
    }
    EXPECT_GT(p.b->counters().msgMalformed, before);
    EXPECT_LE(p.b->externalCache().size(), p.b->externalCache().limit() ? p.b->externalCache().limit() : 100000u);
}

TEST(SyncEngine, AlarmRefreshesAndExpires)
{
    EngineSettings s;
    s.refreshTimeSec = 5;
    s.cacheTimeoutSec = 12;
    Pair p(SyncMode::Alarm, s);
    p.a->kernelEvent(EventType::New, udpEntry(1), p.now);
    p.pump();
    ASSERT_EQ(p.b->externalCache().size(), 1u);
    uint64_t sent = p.a->counters().msgSent;
    p.pump(20);
    EXPECT_GE(p.a->counters().msgSent, sent + 3) << "refreshed every RefreshTime";
    EXPECT_EQ(p.b->externalCache().size(), 1u) << "refreshes keep it";
    p.wire->lossToB = 1.0;
    p.pump(15);
    EXPECT_EQ(p.b->externalCache().size(), 0u) << "expired after CacheTimeout without refresh";
}

TEST(SyncEngine, CommitPreparesEntriesForTheKernel)
{
    EngineSettings s;
    s.commit.commitTimeout = 0;
    Pair p(SyncMode::Ftfw, s);
    p.a->kernelEvent(EventType::New, tcpEntry(1, 3), p.now); // ESTABLISHED
    p.pump();
    p.now += 10000; // 10 s in the external cache
    auto r = p.b->commitExternal(p.now);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(p.kernelB.committed.size(), 1u);
    const Entry& e = p.kernelB.committed[0];
    ASSERT_TRUE(e.timeout);
    EXPECT_LE(*e.timeout, 120u - 10u);
    ASSERT_TRUE(e.tcp && e.tcp->flagsOrig);
    EXPECT_TRUE(e.tcp->flagsOrig->flags & 0x08) << "BE_LIBERAL without TCPWindowTracking";
    EXPECT_EQ(e.reply, replyTupleOf(e.orig));
}

TEST(SyncEngine, CommitVisitsExpectedConnectionsAfterTheRest)
{
    Pair p(SyncMode::Ftfw);
    for (uint32_t i = 1; i <= 40; ++i) {
        Entry e = udpEntry(i);
        if (i % 3 == 0) {
            e.master = tcpEntry(1000 + i, 3).orig; // an expected connection (a helper's)
            e.status = *e.status | 0x1; // IPS_EXPECTED
        }
        p.a->kernelEvent(EventType::New, e, p.now);
    }
    p.pump();
    ASSERT_EQ(p.b->externalCache().size(), 40u);
    std::vector<Entry> visited;
    p.b->forEachToCommit(p.now, [&](const Entry& e) { visited.push_back(e); });
    ASSERT_EQ(visited.size(), 40u);
    const auto firstWithMaster =
        std::find_if(visited.begin(), visited.end(), [](const Entry& e) { return e.master.has_value(); });
    EXPECT_EQ(firstWithMaster - visited.begin(), 40 - 13);
    EXPECT_TRUE(std::all_of(firstWithMaster, visited.end(), [](const Entry& e) { return e.master.has_value(); }))
        << "a master must be created before its expected connections";
    EXPECT_EQ(p.b->entriesToCommit(p.now), visited) << "the copy and the walk send the same";
}

TEST(SyncEngine, DisabledExternalCacheInjectsIntoTheKernel)
{
    EngineSettings s;
    s.externalCacheDisabled = true;
    Pair p(SyncMode::Notrack, s);
    p.a->kernelEvent(EventType::New, udpEntry(1), p.now);
    p.pump();
    p.a->kernelEvent(EventType::Destroy, udpEntry(1), p.now);
    p.pump();
    EXPECT_EQ(p.b->externalCache().size(), 0u);
    ASSERT_EQ(p.kernelB.injected.size(), 2u);
    EXPECT_EQ(p.kernelB.injected[1].first, EventType::Destroy);
}

TEST(SyncEngine, FilterKeepsEntriesOut)
{
    EngineSettings s;
    s.accept = [](const Entry& e) { return e.orig.protocol == IPPROTO_TCP; };
    Pair p(SyncMode::Notrack, s);
    p.a->kernelEvent(EventType::New, udpEntry(1), p.now);
    p.a->kernelEvent(EventType::New, tcpEntry(2, 3), p.now);
    p.pump();
    EXPECT_EQ(p.b->externalCache().size(), 1u);
    EXPECT_EQ(p.a->counters().eventsFiltered, 1u);
}

TEST(SyncEngine, HashLimitRefusesAndCounts)
{
    EngineSettings s;
    s.cacheLimit = 10;
    Pair p(SyncMode::Notrack, s);
    for (uint32_t i = 0; i < 15; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    EXPECT_EQ(p.a->internalCache().size(), 10u);
    EXPECT_EQ(p.a->internalCache().counters().refusedFull, 5u);
}

TEST(SyncEngine, ResyncFromKernelSendsWhatChangedAndWhatVanished)
{
    Pair p(SyncMode::Notrack);
    for (uint32_t i = 0; i < 10; ++i)
        p.a->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump();
    // Events were lost: the kernel now holds 0..4 with new marks and 100..104.
    p.kernelA.table.clear();
    for (uint32_t i = 0; i < 5; ++i)
        p.kernelA.table.push_back(udpEntry(i, 9));
    for (uint32_t i = 100; i < 105; ++i)
        p.kernelA.table.push_back(udpEntry(i));
    ASSERT_TRUE(p.a->resyncFromKernel(p.now).ok());
    p.pump();
    EXPECT_EQ(marksByKey(p.a->internalCache()), marksByKey(p.b->externalCache()));
    EXPECT_EQ(p.b->externalCache().size(), 10u);
}

TEST(SyncEngine, FailoverMovesTrafficToTheNextLink)
{
    auto wire0 = std::make_shared<Wire>();
    auto wire1 = std::make_shared<Wire>();
    FakeKernel k;
    std::vector<std::unique_ptr<Link>> ch;
    ch.push_back(std::make_unique<MemoryLink>(wire0, true, true));
    ch.push_back(std::make_unique<MemoryLink>(wire1, true));
    SyncEngine e(EngineSettings{}, std::move(ch), k);
    EXPECT_EQ(e.activeChannel(), 0u);
    EXPECT_TRUE(e.setChannelUp(0, false));
    EXPECT_EQ(e.activeChannel(), 1u);
    e.kernelEvent(EventType::New, udpEntry(1), 0);
    e.flush(0);
    EXPECT_TRUE(wire0->toB.empty());
    EXPECT_FALSE(wire1->toB.empty());
    EXPECT_EQ(e.failovers(), 1u);
    EXPECT_FALSE(e.setChannelUp(0, true)) << "coming back does not steal the active role";
}

} // namespace
} // namespace ctd::sync

namespace ctd::sync {
namespace {

Expectation ftpExpectation(uint16_t port, const char* helper = "ftp")
{
    Expectation x;
    x.family = AF_INET;
    x.master = tcpEntry(1, 3).orig;
    x.tuple = x.master;
    std::swap(x.tuple.src, x.tuple.dst);
    x.tuple.sport = 0;
    x.tuple.dport = port;
    x.mask.src.family = x.mask.dst.family = AF_INET;
    x.mask.dport = 0xffff;
    x.timeout = 200;
    x.helper = helper;
    return x;
}

TEST(SyncEngineExpectations, ReplicatedWhenConfiguredAndFilteredByHelper)
{
    EngineSettings s;
    s.expectationSync = true;
    s.expectationHelpers = {"ftp"};
    Pair p(SyncMode::Ftfw, s);
    p.wire->lossToB = 0.3;
    for (uint16_t port = 50000; port < 50100; ++port)
        p.a->kernelExpectationEvent(EventType::New, ftpExpectation(port), p.now);
    p.a->kernelExpectationEvent(EventType::New, ftpExpectation(6000, "sip"), p.now);
    p.pump(10);
    p.wire->lossToB = 0;
    p.pump(2);
    EXPECT_EQ(p.b->externalExpectations().size(), 100u) << "lost ones resent, the sip one filtered";
    EXPECT_EQ(p.a->counters().expectationsFiltered, 1u);
    p.a->kernelExpectationEvent(EventType::Destroy, ftpExpectation(50000), p.now);
    p.pump();
    EXPECT_EQ(p.b->externalExpectations().size(), 99u);
    p.now += 50000;
    auto xs = p.b->expectationsToCommit(p.now);
    ASSERT_EQ(xs.size(), 99u);
    EXPECT_LE(*xs[0].timeout, 150u) << "the time spent in the cache is taken off";
}

TEST(SyncEngineExpectations, IgnoredWithoutExpectationSync)
{
    Pair p(SyncMode::Notrack);
    p.a->kernelExpectationEvent(EventType::New, ftpExpectation(50000), p.now);
    p.pump();
    EXPECT_EQ(p.a->internalExpectations().size(), 0u);
    EXPECT_EQ(p.b->externalExpectations().size(), 0u);
}

TEST(SyncEngineExpectations, RestartedPeerGetsThemWithTheBulk)
{
    EngineSettings s;
    s.expectationSync = true;
    Pair p(SyncMode::Ftfw, s);
    p.a->kernelExpectationEvent(EventType::New, ftpExpectation(50000), p.now);
    p.pump(2);
    p.restartB(s);
    p.pump(3);
    EXPECT_EQ(p.b->externalExpectations().size(), 1u);
}

} // namespace
} // namespace ctd::sync

namespace ctd::sync {
namespace {

TEST(SyncEngine, OwnCommitsAreCachedButNotSentBack)
{
    Pair p(SyncMode::Ftfw);
    p.pump(2);
    const uint64_t sent = p.b->counters().msgSent;
    p.b->kernelEvent(EventType::New, udpEntry(5), p.now, false);
    p.pump();
    EXPECT_EQ(p.b->internalCache().size(), 1u);
    EXPECT_EQ(p.a->externalCache().size(), 0u) << "the peer's own connection is not echoed";
    EXPECT_LE(p.b->counters().msgSent, sent + 2) << "only control messages";
    p.b->sendBulk();
    p.pump();
    EXPECT_EQ(p.a->externalCache().size(), 1u) << "but it is this node's to send when asked";
}

} // namespace
} // namespace ctd::sync

namespace ctd::sync {
namespace {

// A peer that dies before its HELLO was answered and comes back within the same second,
// having sent more messages than seconds went by: its new numbers are behind the old ones.
TEST(SyncEngine, QuickRestartBeforeTheHandshakeIsANewSession)
{
    Pair p(SyncMode::Ftfw);
    p.wire->lossToB = 1.0; // A's HELLO_BACK never reaches B
    for (uint32_t i = 0; i < 3000; ++i)
        p.b->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.b->flush(p.now);
    p.a->channelReadable(0, p.now);
    ASSERT_EQ(p.a->externalCache().size(), 3000u);
    p.wire->lossToB = 0;
    // B restarts: empty caches, numbers from the clock again (behind the 3000 it sent).
    p.restartB(p.a->settings());
    for (uint32_t i = 5000; i < 5100; ++i)
        p.b->kernelEvent(EventType::New, udpEntry(i), p.now);
    p.pump(3);
    EXPECT_EQ(p.a->externalCache().size(), 3100u) << "the new session's entries are taken";
    EXPECT_EQ(p.a->counters().msgBefore, 0u);
    EXPECT_EQ(p.b->externalCache().size(), 0u) << "A has no internal entries to give back";
}

} // namespace
} // namespace ctd::sync
