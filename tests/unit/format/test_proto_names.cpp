// The one ICMP/ICMPv6 type-inversion table (format/proto_names.hpp), used by Create's reply
// tuple (ctnl_build, query_args), the sync commit's (replyTupleOf) and the save parser.
#include "format/proto_names.hpp"

#include <gtest/gtest.h>

using namespace ctd;

TEST(ProtoNames, InvertIcmpTypeBothWays)
{
    const std::pair<uint8_t, uint8_t> v4[] = {{8, 0}, {13, 14}, {15, 16}, {17, 18}};
    for (auto [query, reply] : v4) {
        EXPECT_EQ(invertIcmpType(proto::kIcmp, query), reply);
        EXPECT_EQ(invertIcmpType(proto::kIcmp, reply), query);
        EXPECT_EQ(icmpReplyType(query), reply);
        EXPECT_EQ(invertIcmpType(proto::kIcmpv6, query), std::nullopt) << int(query);
    }
    const std::pair<uint8_t, uint8_t> v6[] = {{128, 129}, {139, 140}};
    for (auto [query, reply] : v6) {
        EXPECT_EQ(invertIcmpType(proto::kIcmpv6, query), reply);
        EXPECT_EQ(invertIcmpType(proto::kIcmpv6, reply), query);
        EXPECT_EQ(icmpv6ReplyType(reply), query);
        EXPECT_EQ(invertIcmpType(proto::kIcmp, query), std::nullopt) << int(query);
    }
}

TEST(ProtoNames, InvertIcmpTypeWithoutReply)
{
    // Errors (3 unreachable, 11 time exceeded; ICMPv6 1, 135 neighbour solicitation) and
    // other protocols have no inverse; the setter's form is 255.
    for (uint8_t type : {3, 5, 11, 12, 255})
        EXPECT_EQ(invertIcmpType(proto::kIcmp, type), std::nullopt) << int(type);
    for (uint8_t type : {1, 2, 133, 135, 255})
        EXPECT_EQ(invertIcmpType(proto::kIcmpv6, type), std::nullopt) << int(type);
    EXPECT_EQ(invertIcmpType(proto::kTcp, 8), std::nullopt);
    EXPECT_EQ(icmpReplyType(3), 255);
    EXPECT_EQ(icmpv6ReplyType(135), 255);
}
