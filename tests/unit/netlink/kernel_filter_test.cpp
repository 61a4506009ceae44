// Which parts of a query go to the kernel, and when the kernel result is exact enough
// for a kernel-side delete.
#include "helpers.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/kernel_filter.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

TEST(KernelFilter, EmptyQueryIsOneUnfilteredWalk)
{
    auto plan = planKernelFilter(Query{});
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0], KernelFilter{});
    EXPECT_FALSE(plan.requests[0].selective());
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, FamilyOnly)
{
    Query q;
    q.family = AF_INET6;
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].family, AF_INET6);
    EXPECT_TRUE(plan.requests[0].selective());
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, TupleFieldsWithoutFamilyNeedTwoWalks)
{
    Query q;
    q.protocol = IPPROTO_UDP;
    q.dport = 53;
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 2u);
    EXPECT_EQ(plan.requests[0].family, AF_INET);
    EXPECT_EQ(plan.requests[1].family, AF_INET6);
    for (const auto& f : plan.requests) {
        EXPECT_EQ(f.origFlags, filter_flag::ProtoNum | filter_flag::ProtoDstPort);
        EXPECT_EQ(f.orig.dport, 53);
        EXPECT_EQ(f.orig.protocol, IPPROTO_UDP);
    }
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, MarkStatusZoneNeedNoFamily)
{
    Query q;
    q.mark = Masked32{0x12, 0xf0};
    q.status = 1u << 2;
    q.zone = 0;
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    const auto& f = plan.requests[0];
    EXPECT_EQ(f.family, 0);
    EXPECT_EQ(f.mark, (Masked32{0x10, 0xf0})); // the kernel compares (mark & mask) with value as sent
    EXPECT_EQ(f.status, (Masked32{1u << 2, 1u << 2}));
    EXPECT_EQ(f.zone, 0);
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, StatusClearGoesInTheMask)
{
    // The kernel keeps (status & mask) == value: clear bits in the mask only.
    Query q;
    q.statusClear = 1u << 1; // -u UNREPLIED
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].status, (Masked32{0, 1u << 1}));
    EXPECT_TRUE(plan.requests[0].selective());
    EXPECT_TRUE(plan.exact);
    q.status = 1u << 2;
    plan = planKernelFilter(q);
    EXPECT_EQ(plan.requests[0].status, (Masked32{1u << 2, (1u << 2) | (1u << 1)}));
    EXPECT_TRUE(plan.exact);
    // Set and clear at once: nothing can match, so nothing is sent.
    q.statusClear = 1u << 2;
    plan = planKernelFilter(q);
    EXPECT_TRUE(plan.requests.empty());
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, NonContiguousMaskStaysInUserspace)
{
    Query q;
    q.family = AF_INET;
    q.src = Prefix{addr("10.0.0.1"), 32, addr("255.0.255.255")}; // a stray length is ignored
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].origFlags, 0u);
    EXPECT_FALSE(plan.exact);
}

TEST(KernelFilter, ZeroMaskAndZeroStatusMatchEverything)
{
    Query q;
    q.family = AF_INET;
    q.mark = Masked32{5, 0};
    q.status = 0;
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_FALSE(plan.requests[0].mark.has_value());
    EXPECT_FALSE(plan.requests[0].status.has_value()); // value 0 would be EINVAL
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, AddressesPinTheFamily)
{
    Query q;
    q.src = prefix("192.0.2.1", 32);
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].family, AF_INET);
    EXPECT_EQ(plan.requests[0].origFlags, filter_flag::IpSrc);
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, ContradictionMatchesNothing)
{
    Query q;
    q.family = AF_INET6;
    q.src = prefix("192.0.2.1", 32);
    auto plan = planKernelFilter(q);
    EXPECT_TRUE(plan.requests.empty());
}

TEST(KernelFilter, PrefixStaysInUserspace)
{
    Query q;
    q.dst = prefix("198.18.0.0", 15);
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].origFlags, 0u);
    EXPECT_EQ(plan.requests[0].family, AF_INET);
    EXPECT_FALSE(plan.exact);
}

TEST(KernelFilter, Ipv6AddressesStayInUserspaceUnlessProbed)
{
    // The kernel's IPv6 address compare is inverted (measured: a src filter returned
    // every other address), so it is opt-in.
    Query q;
    q.src = prefix("2001:db8::1", 128);
    auto plan = planKernelFilter(q);
    ASSERT_EQ(plan.requests.size(), 1u);
    EXPECT_EQ(plan.requests[0].origFlags, 0u);
    EXPECT_FALSE(plan.exact);
    KernelCaps caps;
    caps.ipv6AddressFilter = true;
    plan = planKernelFilter(q, caps);
    EXPECT_EQ(plan.requests[0].origFlags, filter_flag::IpSrc);
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, PortsOnlyForTcpAndUdp)
{
    Query q;
    q.family = AF_INET;
    q.protocol = IPPROTO_SCTP;
    q.dport = 2905;
    auto plan = planKernelFilter(q);
    EXPECT_EQ(plan.requests[0].origFlags, filter_flag::ProtoNum);
    EXPECT_FALSE(plan.exact); // the kernel ignores SCTP ports: a delete would widen

    q.protocol.reset();
    plan = planKernelFilter(q);
    EXPECT_EQ(plan.requests[0].origFlags, 0u); // port flags without PROTO_NUM are EINVAL
    EXPECT_FALSE(plan.exact);
}

TEST(KernelFilter, ReplyDirection)
{
    Query q;
    q.family = AF_INET;
    q.protocol = IPPROTO_TCP;
    q.replySrc = prefix("198.18.0.1", 32);
    q.replySport = 80;
    auto plan = planKernelFilter(q);
    const auto& f = plan.requests[0];
    EXPECT_EQ(f.replyFlags, filter_flag::IpSrc | filter_flag::ProtoSrcPort | filter_flag::ProtoNum);
    EXPECT_EQ(f.reply.protocol, IPPROTO_TCP);
    EXPECT_EQ(f.reply.sport, 80);
    EXPECT_TRUE(plan.exact);
}

TEST(KernelFilter, IcmpByFamily)
{
    Query q;
    q.protocol = IPPROTO_ICMP;
    q.icmpType = 8;
    q.family = AF_INET;
    auto plan = planKernelFilter(q);
    EXPECT_EQ(plan.requests[0].origFlags, filter_flag::ProtoNum | filter_flag::IcmpType);
    EXPECT_TRUE(plan.exact);
    q.protocol = IPPROTO_ICMPV6;
    q.family = AF_INET6;
    plan = planKernelFilter(q);
    EXPECT_EQ(plan.requests[0].origFlags, filter_flag::ProtoNum | filter_flag::Icmpv6Type);
}

TEST(KernelFilter, UserspaceOnlyFieldsClearExact)
{
    for (int i = 0; i < 6; ++i) {
        Query q;
        q.family = AF_INET;
        switch (i) {
        case 0: q.state = 3; break;
        case 1: q.labels = {1}; break;
        case 2: q.nat.push_back(NatFilter{}); break;
        case 3: q.id = 5; break;
        case 4: q.origZone = 1; break; // TUPLE_ZONE is accepted but not compared
        case 5: q.secmark = 1; break;
        }
        EXPECT_FALSE(planKernelFilter(q).exact) << i;
    }
    Query dying;
    dying.table = TableKind::Dying;
    EXPECT_FALSE(planKernelFilter(dying).exact);
}
