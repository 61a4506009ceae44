#include "golden.hpp"
#include "helpers.hpp"
#include "netlink/query_match.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

Entry base()
{
    Entry e;
    e.family = AF_INET;
    e.orig = udp("192.0.2.1", "198.18.0.1", 1000, 53);
    e.reply = udp("198.18.0.1", "192.0.2.1", 53, 1000);
    e.status = 0x8;
    e.mark = 0x1234;
    return e;
}

} // namespace

TEST(QueryMatch, EmptyMatchesAll) { EXPECT_TRUE(matches(Query{}, base())); }

TEST(QueryMatch, Prefixes)
{
    EXPECT_TRUE(prefixContains(prefix("192.0.2.0", 24), addr("192.0.2.77")));
    EXPECT_FALSE(prefixContains(prefix("192.0.2.0", 25), addr("192.0.2.200")));
    EXPECT_TRUE(prefixContains(prefix("0.0.0.0", 0), addr("192.0.2.1")));
    EXPECT_FALSE(prefixContains(prefix("0.0.0.0", 0), addr("2001:db8::1")));
    EXPECT_TRUE(prefixContains(prefix("2001:db8::", 32), addr("2001:db8:1::5")));
    EXPECT_FALSE(prefixContains(prefix("2001:db8::", 33), addr("2001:db8:8000::")));
}

TEST(QueryMatch, Fields)
{
    Entry e = base();
    Query q;
    q.protocol = IPPROTO_UDP;
    q.src = prefix("192.0.2.0", 24);
    q.dport = 53;
    q.replySport = 53;
    EXPECT_TRUE(matches(q, e));
    q.sport = 999;
    EXPECT_FALSE(matches(q, e));
    q = Query{};
    q.family = AF_INET6;
    EXPECT_FALSE(matches(q, e));
}

TEST(QueryMatch, MarkStatusZone)
{
    Entry e = base();
    Query q;
    q.mark = Masked32{0x1200, 0xff00};
    EXPECT_TRUE(matches(q, e));
    q.mark = Masked32{0x1234, 0xffffffff};
    EXPECT_TRUE(matches(q, e));
    q.mark = Masked32{0x1235, 0xffffffff};
    EXPECT_FALSE(matches(q, e));
    q = Query{};
    q.status = 0x8 | 0x4;
    EXPECT_FALSE(matches(q, e));
    e.status = 0xc;
    EXPECT_TRUE(matches(q, e));
    q = Query{};
    q.zone = 0;
    EXPECT_TRUE(matches(q, e));
    e.orig.zone = 7; // directional zone: the kernel's CTA_ZONE filter matches its id
    EXPECT_FALSE(matches(q, e));
    q.zone = 7;
    EXPECT_TRUE(matches(q, e));
    q = Query{};
    q.replyZone = 0;
    EXPECT_TRUE(matches(q, e));
    q.origZone = 7;
    EXPECT_TRUE(matches(q, e));
}

TEST(QueryMatch, StateAndLabels)
{
    Entry e = base();
    e.tcp = TcpInfo{};
    e.tcp->state = 3;
    Query q;
    q.state = 3;
    EXPECT_TRUE(matches(q, e));
    q.state = 4;
    EXPECT_FALSE(matches(q, e));
    q = Query{};
    q.labels = {0x02};
    EXPECT_FALSE(matches(q, e));
    e.labels = std::vector<uint8_t>(16, 0);
    e.labels[0] = 0x06;
    EXPECT_TRUE(matches(q, e));
}

TEST(QueryMatch, NatAgainstRecordedEntries)
{
    std::vector<Entry> all;
    for (const auto& m : goldenMessages("ct-mixed.bin"))
        all.push_back(*parseConntrack(m));
    auto count = [&](const Query& q) {
        size_t n = 0;
        for (const auto& e : all)
            n += matches(q, e);
        return n;
    };
    Query snat;
    snat.nat.push_back(NatFilter{NatKind::Snat, {}, {}});
    EXPECT_EQ(count(snat), 1u);
    snat.nat[0].addr = addr("203.0.113.1");
    EXPECT_EQ(count(snat), 1u);
    snat.nat[0].addr = addr("203.0.113.9");
    EXPECT_EQ(count(snat), 0u);

    Query dnat;
    dnat.nat.push_back(NatFilter{NatKind::Dnat, addr("203.0.113.2"), 8080});
    EXPECT_EQ(count(dnat), 1u);
    dnat.nat[0].port = 8081;
    EXPECT_EQ(count(dnat), 0u);

    Query any;
    any.nat.push_back(NatFilter{NatKind::Any, {}, {}});
    EXPECT_EQ(count(any), 2u);

    Query both;
    both.nat.push_back(NatFilter{NatKind::Snat, {}, {}});
    both.nat.push_back(NatFilter{NatKind::Dnat, {}, {}});
    EXPECT_EQ(count(both), 0u); // conntrack ANDs --src-nat and --dst-nat
}
