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

TEST(QueryMatch, BothNatSidesOnOneEntry)
{
    // SNAT and DNAT on one entry: the reply tuple differs from the inverted original on
    // both sides, and both NAT_DONE bits are set.
    Entry e = base();
    e.status = 0x8 | (1u << 7) | (1u << 8);
    e.reply = udp("10.9.9.9", "203.0.113.1", 53, 1000);
    Query both;
    both.nat.push_back(NatFilter{NatKind::Snat, {}, {}});
    both.nat.push_back(NatFilter{NatKind::Dnat, addr("10.9.9.9"), {}});
    EXPECT_TRUE(matches(both, e));
    both.nat[1].addr = addr("10.9.9.8");
    EXPECT_FALSE(matches(both, e));
    e.status = 0x8 | (1u << 7); // DNAT not done: --dst-nat fails, so both fail
    both.nat[1].addr.reset();
    EXPECT_FALSE(matches(both, e));
}

TEST(QueryMatch, NonContiguousMask)
{
    Prefix p{addr("10.0.0.0"), 0, addr("255.0.255.0")};
    EXPECT_TRUE(prefixContains(p, addr("10.1.0.1")));
    EXPECT_TRUE(prefixContains(p, addr("10.200.0.99")));
    EXPECT_FALSE(prefixContains(p, addr("10.1.5.1")));
    EXPECT_FALSE(prefixContains(p, addr("11.0.0.1")));
    EXPECT_FALSE(prefixContains(p, addr("2001:db8::1"))); // other family
    // The length is ignored when a mask is given.
    p.length = 32;
    EXPECT_TRUE(prefixContains(p, addr("10.1.0.1")));
    Prefix six{addr("2001::1"), 0, addr("ffff::ff")};
    EXPECT_TRUE(prefixContains(six, addr("2001:db8::1")));
    EXPECT_FALSE(prefixContains(six, addr("2001:db8::2")));
    EXPECT_FALSE(prefixContains(six, addr("2002:db8::1")));
    Query q;
    q.src = Prefix{addr("192.0.0.1"), 0, addr("255.0.0.255")};
    EXPECT_TRUE(matches(q, base())); // 192.0.2.1
    q.dst = Prefix{addr("0.0.0.2"), 0, addr("0.0.0.255")};
    EXPECT_FALSE(matches(q, base())); // 198.18.0.1
}

TEST(QueryMatch, StatusClear)
{
    Entry e = base(); // CONFIRMED only
    Query q;
    q.statusClear = 0x2; // conntrack -u UNREPLIED
    EXPECT_TRUE(matches(q, e));
    e.status = 0x8 | 0x2;
    EXPECT_FALSE(matches(q, e));
    q.status = 0x4; // -u ASSURED,!SEEN_REPLY: both must hold
    e.status = 0x8 | 0x4;
    EXPECT_TRUE(matches(q, e));
    e.status = 0x8 | 0x4 | 0x2;
    EXPECT_FALSE(matches(q, e));
    e.status.reset(); // no CTA_STATUS: every bit is clear
    q.status.reset();
    EXPECT_TRUE(matches(q, e));
}

TEST(QueryMatch, SecmarkComparesOnlyWhenPresent)
{
    Entry e = base();
    Query q;
    q.secmark = 5;
    EXPECT_TRUE(matches(q, e)); // no CTA_SECMARK: not filtered out, as 1.4.7
    e.secmark = 5;
    EXPECT_TRUE(matches(q, e));
    e.secmark = 6;
    EXPECT_FALSE(matches(q, e));
}
