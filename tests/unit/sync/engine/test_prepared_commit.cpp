// The commit built ahead on the loop (PreparedCommit) and sent by NetlinkKernelPort: the
// same messages as the entry-by-entry commit, in order; EEXIST counts as "existed" (live
// traffic, left alone), other failures and builder failures as failed.
#include "../../netlink/fake_transport.hpp"
#include "netlink/ctnl_parse.hpp"
#include "sync/engine/netlink_kernel_port.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace ctd::sync {
namespace {

Entry udp(uint16_t sport)
{
    Entry e;
    e.family = AF_INET;
    e.orig.src.family = e.orig.dst.family = AF_INET;
    const uint32_t src = htonl(0xc0000201u), dst = htonl(0xc6120001u);
    std::memcpy(e.orig.src.bytes.data(), &src, 4);
    std::memcpy(e.orig.dst.bytes.data(), &dst, 4);
    e.orig.protocol = IPPROTO_UDP;
    e.orig.sport = sport;
    e.orig.dport = 53;
    e.timeout = 60;
    return e;
}

} // namespace

TEST(PreparedCommit, SendsInOrderAndCountsLikeTheEntryCommit)
{
    std::vector<Entry> entries;
    for (uint16_t i = 1; i <= 5000; ++i)
        entries.push_back(udp(i));
    entries[99].orig.dport.reset(); // refused by the builder: never sent

    auto outcome = [](nl::ByteView m) -> std::optional<Error> {
        auto e = nl::parseConntrack(m);
        if (e && e->orig.sport == 7)
            return makeError(EEXIST, "exists");
        if (e && e->orig.sport == 4000)
            return makeError(EPERM, "not permitted");
        return std::nullopt;
    };
    test::FakeTransport viaEntries, viaPrepared;
    viaEntries.batchOutcome = viaPrepared.batchOutcome = outcome;
    nl::ConntrackTable t1(viaEntries), t2(viaPrepared);
    NetlinkKernelPort p1(t1), p2(t2);

    PreparedCommit prepared;
    for (const Entry& e : entries)
        prepared.add(e);
    EXPECT_EQ(prepared.entries(), 5000u);

    auto a = p1.commit(entries);
    auto b = p2.commit(prepared);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(b->created, 4997u);
    EXPECT_EQ(b->existed, 1u);
    EXPECT_EQ(b->failed, 2u);
    ASSERT_TRUE(b->firstError);
    EXPECT_EQ(b->firstError->code, EINVAL) << b->firstError->message; // the builder's, first in order
    EXPECT_EQ(a->created, b->created);
    EXPECT_EQ(a->existed, b->existed);
    EXPECT_EQ(a->failed, b->failed);
    EXPECT_EQ(viaPrepared.batchMessages, viaEntries.batchMessages) << "same bytes, same order";
    EXPECT_GT(viaPrepared.batchCalls, 1u) << "chunks of a batch each";
}

TEST(PreparedCommit, EmptyCommitSendsNothing)
{
    test::FakeTransport fake;
    nl::ConntrackTable t(fake);
    NetlinkKernelPort port(t);
    auto r = port.commit(PreparedCommit{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->created + r->existed + r->failed, 0u);
    EXPECT_EQ(fake.batchCalls, 0u);
}

} // namespace ctd::sync
