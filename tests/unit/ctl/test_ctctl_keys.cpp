// ctctl's filter options: each is one bus dictionary key with its documented type, values
// checked before any call.
#include "ctctl_keys.hpp"

#include <gtest/gtest.h>

using namespace ctd::ctl;

TEST(CtctlKeys, Types)
{
    Dict d;
    EXPECT_EQ(addKey(d, "dport", "22"), "");
    EXPECT_EQ(d["dport"].peekValueType(), "q");
    EXPECT_EQ(addKey(d, "protocol", "tcp"), "");
    EXPECT_EQ(d["protocol"].peekValueType(), "s");
    EXPECT_EQ(addKey(d, "protocol", "6"), "");
    EXPECT_EQ(d["protocol"].peekValueType(), "y");
    EXPECT_EQ(addKey(d, "icmp-type", "8"), "");
    EXPECT_EQ(d["icmp-type"].peekValueType(), "y");
    EXPECT_EQ(addKey(d, "mark", "0x10/0xf0"), "");
    EXPECT_EQ(d["mark"].get<uint32_t>(), 0x10u);
    EXPECT_EQ(d["mark-mask"].get<uint32_t>(), 0xf0u);
    EXPECT_EQ(addKey(d, "status", "ASSURED,SEEN_REPLY"), "");
    EXPECT_EQ(d["status"].get<std::vector<std::string>>(),
              (std::vector<std::string>{"ASSURED", "SEEN_REPLY"}));
    EXPECT_EQ(addKey(d, "zero-counters", ""), "");
    EXPECT_TRUE(d["zero-counters"].get<bool>());
    EXPECT_TRUE(isFlagKey("zero-counters"));
    EXPECT_FALSE(isFlagKey("src"));
}

TEST(CtctlKeys, BadValues)
{
    Dict d;
    EXPECT_EQ(addKey(d, "dport", "65536"), "invalid value '65536' for --dport");
    EXPECT_EQ(addKey(d, "dport", "-1"), "invalid value '-1' for --dport");
    EXPECT_EQ(addKey(d, "dport", "22x"), "invalid value '22x' for --dport");
    EXPECT_EQ(addKey(d, "dport", ""), "invalid value '' for --dport");
    EXPECT_EQ(addKey(d, "icmp-code", "256"), "invalid value '256' for --icmp-code");
    EXPECT_EQ(addKey(d, "mark", "99999999999999999999"),
              "invalid value '99999999999999999999' for --mark");
    EXPECT_EQ(addKey(d, "mark", "1/x"), "invalid value '1/x' for --mark");
    EXPECT_EQ(addKey(d, "src", ""), "invalid value '' for --src");
    EXPECT_EQ(addKey(d, "zero-counters", "maybe"), "invalid value 'maybe' for --zero-counters");
    EXPECT_EQ(addKey(d, "frobnicate", "1"), "unknown option '--frobnicate'");
    EXPECT_FALSE(knownKey("frobnicate"));
    EXPECT_TRUE(d.empty());
}

TEST(CtctlKeys, FiltersOfTheDropInRefusals)
{
    // --status-clear, --src-mask/--dst-mask, --secmark, and --snat/--dnat as filters.
    Dict d;
    EXPECT_EQ(addKey(d, "status-clear", "SEEN_REPLY,ASSURED"), "");
    EXPECT_EQ(d["status-clear"].get<std::vector<std::string>>(),
              (std::vector<std::string>{"SEEN_REPLY", "ASSURED"}));
    EXPECT_EQ(addKey(d, "src-mask", "255.0.255.0"), "");
    EXPECT_EQ(d["src-mask"].peekValueType(), "s");
    EXPECT_EQ(addKey(d, "dst-mask", ""), "invalid value '' for --dst-mask");
    EXPECT_EQ(addKey(d, "secmark", "7"), "");
    EXPECT_EQ(d["secmark"].get<uint32_t>(), 7u);
    EXPECT_EQ(addKey(d, "secmark", "x"), "invalid value 'x' for --secmark");
    // An empty NAT side means "NATed at all", as conntrack --src-nat without a value.
    EXPECT_EQ(addKey(d, "snat", ""), "");
    EXPECT_EQ(d["snat"].get<std::string>(), "");
    EXPECT_EQ(addKey(d, "dnat", "192.0.2.1:80"), "");
    EXPECT_EQ(d["dnat"].get<std::string>(), "192.0.2.1:80");
}
