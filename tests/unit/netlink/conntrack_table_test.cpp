// ConntrackTable against a fake transport replaying recorded kernel answers.
#include "fake_transport.hpp"
#include "golden.hpp"
#include "helpers.hpp"
#include "netlink/conntrack_table.hpp"
#include "netlink/ctnl_constants.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

// Answers a dump with the recorded entries of the requested family, as the kernel would.
void replayTable(FakeTransport& fake, const std::string& file = "ct-mixed.bin")
{
    auto msgs = goldenMessages(file);
    fake.answer = [msgs](ByteView req) {
        std::vector<Bytes> out;
        if (msgOf(typeOf(req)) != IPCTNL_MSG_CT_GET)
            return out;
        for (const auto& m : msgs)
            if (!familyOf(req) || familyOf(m) == familyOf(req))
                out.push_back(m);
        return out;
    };
}

std::vector<Entry> collect(ConntrackTable& t, const Query& q)
{
    std::vector<Entry> out;
    auto r = t.dump(q, [&](const Entry& e) {
        out.push_back(e);
        return true;
    });
    EXPECT_TRUE(r.ok());
    return out;
}

} // namespace

TEST(ConntrackTable, DumpAllIsOneRequest)
{
    FakeTransport fake;
    replayTable(fake);
    ConntrackTable table(fake);
    auto all = collect(table, Query{});
    EXPECT_EQ(all.size(), 11u);
    ASSERT_EQ(fake.requests.size(), 1u);
    EXPECT_EQ(familyOf(fake.requests[0]), 0);
    EXPECT_EQ(flagsOf(fake.requests[0]), NLM_F_REQUEST | NLM_F_DUMP);
}

TEST(ConntrackTable, UserspaceIsTheFinalAuthority)
{
    FakeTransport fake;
    replayTable(fake); // the fake ignores the kernel filter: userspace must still filter
    ConntrackTable table(fake);
    Query q;
    q.protocol = IPPROTO_UDP;
    q.dport = 53;
    auto got = collect(table, q);
    // udp to 53: 2001:db8::1, 192.0.2.7, 192.0.2.8
    EXPECT_EQ(got.size(), 3u);
    ASSERT_EQ(fake.requests.size(), 2u); // CTA_FILTER needs a family: one walk each
    EXPECT_EQ(familyOf(fake.requests[0]), AF_INET);
    EXPECT_EQ(familyOf(fake.requests[1]), AF_INET6);
    EXPECT_TRUE(topAttrs(fake.requests[0]).count(CTA_FILTER));
}

TEST(ConntrackTable, TwoFamiliesOnTwoSockets)
{
    FakeTransport primary;
    replayTable(primary);
    size_t opened = 0;
    ConntrackTable table(primary, [&]() -> Result<std::unique_ptr<NetlinkTransport>> {
        auto f = std::make_unique<FakeTransport>();
        replayTable(*f);
        ++opened;
        return std::unique_ptr<NetlinkTransport>(std::move(f));
    });
    Query q;
    q.protocol = IPPROTO_UDP;
    size_t n = 0;
    auto r = table.dump(q, [&](const Entry&) {
        ++n;
        return true;
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(n, 3u); // 2001:db8::1 from the second socket, 192.0.2.7 and .8 from the first
    EXPECT_EQ(r->matched, n);
    ASSERT_EQ(primary.requests.size(), 1u);
    EXPECT_EQ(familyOf(primary.requests[0]), AF_INET);
    EXPECT_EQ(opened, 1u); // the IPv6 walk ran on its own socket
}

TEST(ConntrackTable, SinkCanStopEarly)
{
    FakeTransport fake;
    replayTable(fake);
    ConntrackTable table(fake);
    size_t n = 0;
    auto r = table.dump(Query{}, [&](const Entry&) { return ++n < 2; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(n, 2u);
    EXPECT_TRUE(r->stopped);
}

TEST(ConntrackTable, MalformedMessagesAreCountedNotDelivered)
{
    FakeTransport fake;
    auto good = goldenMessages("ct-mixed.bin");
    Bytes bad = good[0];
    bad.resize(bad.size() - 3);
    uint32_t len = uint32_t(bad.size());
    std::memcpy(bad.data(), &len, 4);
    fake.answer = [&](ByteView) { return std::vector<Bytes>{good[1], bad, good[2]}; };
    ConntrackTable table(fake);
    size_t n = 0;
    auto r = table.dump(Query{}, [&](const Entry&) { return ++n, true; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(r->malformed, 1u);
    EXPECT_FALSE(r->firstMalformed.empty());
}

TEST(ConntrackTable, EmptyDeleteIsRefusedWithoutTouchingTheKernel)
{
    FakeTransport fake;
    ConntrackTable table(fake);
    auto r = table.removeMatching(Query{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_TRUE(fake.requests.empty());
    EXPECT_EQ(fake.batchCalls, 0u);
}

TEST(ConntrackTable, FamilyDeleteIsAVersionOneKernelFlush)
{
    FakeTransport fake;
    ConntrackTable table(fake);
    Query q;
    q.family = AF_INET6;
    auto r = table.removeMatching(q);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->inKernel);
    // count, flush, count
    ASSERT_EQ(fake.requests.size(), 3u);
    const auto& del = fake.requests[1];
    EXPECT_EQ(typeOf(del), ctType(IPCTNL_MSG_CT_DELETE));
    EXPECT_EQ(familyOf(del), AF_INET6);
    EXPECT_EQ(versionOf(del), 1);
    EXPECT_TRUE(topAttrs(del).empty());
}

TEST(ConntrackTable, ExactTupleDeleteRunsInTheKernel)
{
    FakeTransport fake;
    ConntrackTable table(fake);
    Query q;
    q.protocol = IPPROTO_UDP;
    q.dport = 53;
    q.mark = Masked32{7, 0xffffffff};
    auto r = table.removeMatching(q);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->inKernel);
    ASSERT_EQ(fake.requests.size(), 4u); // count, v4 delete, v6 delete, count
    for (int i : {1, 2}) {
        auto attrs = topAttrs(fake.requests[i]);
        EXPECT_TRUE(attrs.count(CTA_FILTER));
        EXPECT_TRUE(attrs.count(CTA_TUPLE_ORIG));
        EXPECT_TRUE(attrs.count(CTA_MARK));
        EXPECT_TRUE(attrs.count(CTA_MARK_MASK));
        EXPECT_EQ(versionOf(fake.requests[i]), 1);
    }
}

TEST(ConntrackTable, InexactDeleteGoesEntryByEntry)
{
    FakeTransport fake;
    replayTable(fake);
    ConntrackTable table(fake);
    Query q;
    q.src = prefix("192.0.2.0", 29); // .1 - .7, a prefix the kernel cannot filter
    auto r = table.removeMatching(q);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->inKernel);
    EXPECT_EQ(r->done, 7u);
    ASSERT_EQ(fake.batchMessages.size(), 7u);
    for (const auto& m : fake.batchMessages) {
        EXPECT_EQ(typeOf(m), ctType(IPCTNL_MSG_CT_DELETE));
        auto attrs = topAttrs(m);
        EXPECT_TRUE(attrs.count(CTA_TUPLE_ORIG)); // never a flush
        EXPECT_TRUE(attrs.count(CTA_ID)); // never a newer entry on the same tuple
    }
}

TEST(ConntrackTable, DeleteReportsEachDeletedEntry)
{
    FakeTransport fake;
    replayTable(fake);
    // The first delete finds the entry gone already.
    size_t seen = 0;
    fake.batchOutcome = [&](ByteView) -> std::optional<Error> {
        if (seen++ == 0)
            return makeError(ENOENT, "gone");
        return std::nullopt;
    };
    ConntrackTable table(fake);
    Query q;
    q.family = AF_INET6; // exact, but onDeleted forces the entry-by-entry path
    std::vector<Entry> deleted;
    auto r = table.removeMatching(q, [&](const Entry& e) {
        deleted.push_back(e);
        return true;
    });
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->inKernel);
    EXPECT_EQ(r->done, 1u);
    EXPECT_EQ(r->vanished, 1u);
    EXPECT_EQ(r->failed, 0u);
    ASSERT_EQ(deleted.size(), 1u);
    EXPECT_EQ(deleted[0].family, AF_INET6);
}

TEST(ConntrackTable, UpdateMatchingKeepsTheTupleAndZone)
{
    FakeTransport fake;
    replayTable(fake);
    ConntrackTable table(fake);
    Query q;
    q.zone = 5;
    Entry changes;
    changes.mark = 99;
    auto r = table.updateMatching(q, changes);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->done, 1u);
    ASSERT_EQ(fake.batchMessages.size(), 1u);
    auto attrs = topAttrs(fake.batchMessages[0]);
    EXPECT_EQ(attrs.at(CTA_MARK), (Bytes{0, 0, 0, 99}));
    EXPECT_EQ(attrs.at(CTA_ZONE), (Bytes{0, 5}));
    EXPECT_EQ(flagsOf(fake.batchMessages[0]) & NLM_F_CREATE, 0);
}

TEST(ConntrackTable, CreateManyBatchesAndReportsIndexes)
{
    FakeTransport fake;
    fake.batchOutcome = [](ByteView m) -> std::optional<Error> {
        auto e = parseConntrack(m);
        if (e && e->orig.sport == 777)
            return makeError(EEXIST, "exists");
        return std::nullopt;
    };
    ConntrackTable table(fake);
    size_t i = 0;
    const size_t total = 5000;
    std::vector<size_t> failed;
    auto r = table.createMany(
        [&](Entry& e) {
            if (i == total)
                return false;
            e.family = AF_INET;
            e.orig = udp("192.0.2.1", "198.18.0.1", uint16_t(i + 1), 53);
            if (i == 100)
                e.orig.dport.reset(); // refused by the builder, never sent
            e.timeout = 60;
            ++i;
            return true;
        },
        [&](size_t index, const Error&) { failed.push_back(index); });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->done, total - 2);
    EXPECT_EQ(r->failed, 2u);
    EXPECT_EQ(failed, (std::vector<size_t>{100, 776}));
    EXPECT_GT(fake.batchCalls, 1u); // ~256 KiB per batch
    EXPECT_EQ(fake.batchMessages.size(), total - 1);
}

TEST(ConntrackTable, KernelErrorsPropagate)
{
    FakeTransport fake;
    fake.outcome = [](ByteView) -> Result<void> { return makeError(EEXIST, "kernel: File exists"); };
    ConntrackTable table(fake);
    Entry e;
    e.family = AF_INET;
    e.orig = udp("192.0.2.1", "198.18.0.1", 1, 2);
    e.timeout = 10;
    auto r = table.create(e);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EEXIST);
}
