// The value readers on their own: numbers, switches, addresses, prefixes, names.
#include "config_test_util.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

using namespace ctd::sync;
using namespace ctd::sync::test;

TEST(SyncConfigValues, Numbers) {
    EXPECT_EQ(*parseNumber("0"), 0u);
    EXPECT_EQ(*parseNumber("2147483647"), 2147483647u);
    EXPECT_EQ(*parseNumber("007"), 7u); // atoi() reads it as 7 too
    EXPECT_FALSE(parseNumber("2147483648"));
    EXPECT_EQ(parseNumber("2147483648").error().code, ERANGE);
    EXPECT_FALSE(parseNumber(std::string(5000, '9')));
    EXPECT_FALSE(parseNumber(""));
    EXPECT_FALSE(parseNumber("12a"));
    EXPECT_FALSE(parseNumber("+1"));
    EXPECT_EQ(parseNumber("x").error().code, EINVAL);
    EXPECT_FALSE(parseNumber("5", 10, 20));
}

TEST(SyncConfigValues, SignedNumbers) {
    EXPECT_EQ(*parseSigned("-20", -20, 19), -20);
    EXPECT_EQ(*parseSigned("+19", -20, 19), 19);
    EXPECT_EQ(*parseSigned("5", -20, 19), 5);
    EXPECT_FALSE(parseSigned("-21", -20, 19));
    EXPECT_FALSE(parseSigned("-", -20, 19));
    EXPECT_FALSE(parseSigned("--1", -20, 19));
    EXPECT_FALSE(parseSigned("-99999999999999999999", -20, 19));
}

TEST(SyncConfigValues, Switches) {
    for (const char* on : {"on", "On", "ON", "oN", "yes", "Yes", "YES"})
        EXPECT_EQ(parseSwitch(on), std::optional<bool>(true)) << on;
    for (const char* off : {"off", "Off", "OFF", "no", "No", "NO"})
        EXPECT_EQ(parseSwitch(off), std::optional<bool>(false)) << off;
    for (const char* bad : {"", "1", "0", "true", "enable", "onn", "y"})
        EXPECT_FALSE(parseSwitch(bad)) << bad;
}

TEST(SyncConfigValues, Ipv4) {
    auto a = parseIpv4("192.168.100.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, AF_INET);
    EXPECT_EQ(a->bytes[0], 192);
    EXPECT_EQ(a->bytes[3], 1);
    EXPECT_EQ(a->bytes[4], 0);
    EXPECT_TRUE(parseIpv4("0.0.0.0"));
    EXPECT_TRUE(parseIpv4("255.255.255.255"));
    for (const char* bad :
         {"256.0.0.1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "01.2.3.4", "1.2.3.04",
          "1.2.3.4/24", "1..2.3", "a.b.c.d", "", "1.2.3.4 ", "1234.1.1.1"})
        EXPECT_FALSE(parseIpv4(bad)) << bad;
}

TEST(SyncConfigValues, Ipv6) {
    EXPECT_EQ(formatAddress(v6("fe80::215:58ff:fe28:5a27")), "fe80::215:58ff:fe28:5a27");
    EXPECT_EQ(v6("::1").family, AF_INET6);
    EXPECT_TRUE(parseIpv6("::ffff:1.2.3.4"));
    for (const char* bad :
         {"", ":::", "1::2::3", "fe80::1%eth0", "12345::", "abc", "::1/128", "g::1"})
        EXPECT_FALSE(parseIpv6(bad)) << bad;
    EXPECT_FALSE(parseIpv6(std::string(1000, ':')));
}

TEST(SyncConfigValues, Prefixes) {
    bool cleared = true;
    auto p = parsePrefix("192.168.0.0/16", AF_INET, &cleared);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 16);
    EXPECT_FALSE(cleared);
    auto host = parsePrefix("10.1.2.3", AF_INET, &cleared);
    EXPECT_EQ(host->length, 32);
    auto dirty = parsePrefix("10.1.2.3/8", AF_INET, &cleared);
    EXPECT_TRUE(cleared);
    EXPECT_EQ(dirty->address, v4("10.0.0.0"));
    auto odd = parsePrefix("10.255.0.0/9", AF_INET, &cleared);
    EXPECT_EQ(odd->address, v4("10.128.0.0"));
    EXPECT_EQ(parsePrefix("0.0.0.0/0", AF_INET, nullptr)->length, 0);
    auto v6p = parsePrefix("fd00:1:2:3::1/64", AF_INET6, &cleared);
    EXPECT_TRUE(cleared);
    EXPECT_EQ(v6p->address, v6("fd00:1:2:3::"));
    EXPECT_EQ(parsePrefix("::1", AF_INET6, nullptr)->length, 128);
    EXPECT_FALSE(parsePrefix("10.0.0.0/33", AF_INET, nullptr));
    EXPECT_FALSE(parsePrefix("::/129", AF_INET6, nullptr));
    EXPECT_FALSE(parsePrefix("10.0.0.0/", AF_INET, nullptr));
    EXPECT_FALSE(parsePrefix("10.0.0.0/8/8", AF_INET, nullptr));
    EXPECT_FALSE(parsePrefix("::1", AF_INET, nullptr));
    EXPECT_FALSE(parsePrefix("10.0.0.0/99999999999999999999", AF_INET, nullptr));
}

TEST(SyncConfigValues, Words) {
    for (const char* w : {"eth0", "eth0.100", "veth-a_b", "q.931", "br0"})
        EXPECT_TRUE(isWord(w)) << w;
    for (const char* w : {"", "0eth", "-x", "_x", "a/b", "a:b", "a b"})
        EXPECT_FALSE(isWord(w)) << w;
}

TEST(SyncConfigValues, ProtocolNames) {
    EXPECT_EQ(protocolNumber("TCP"), std::optional<uint8_t>(IPPROTO_TCP));
    EXPECT_EQ(protocolNumber("tcp"), std::optional<uint8_t>(IPPROTO_TCP));
    EXPECT_EQ(protocolNumber("UDP"), std::optional<uint8_t>(IPPROTO_UDP));
    EXPECT_EQ(protocolNumber("SCTP"), std::optional<uint8_t>(IPPROTO_SCTP));
    EXPECT_EQ(protocolNumber("DCCP"), std::optional<uint8_t>(IPPROTO_DCCP));
    EXPECT_EQ(protocolNumber("ICMP"), std::optional<uint8_t>(IPPROTO_ICMP));
    EXPECT_EQ(protocolNumber("IPv6-ICMP"), std::optional<uint8_t>(IPPROTO_ICMPV6));
    EXPECT_EQ(protocolNumber("ipv6-icmp"), std::optional<uint8_t>(IPPROTO_ICMPV6));
    EXPECT_EQ(protocolNumber("UDPLite"), std::optional<uint8_t>(IPPROTO_UDPLITE));
    EXPECT_FALSE(protocolNumber("Tcp")); // getprotobyname() is case-sensitive
    EXPECT_FALSE(protocolNumber("no-such-protocol"));
    EXPECT_FALSE(protocolNumber(std::string(10000, 'x')));
}

TEST(SyncConfigValues, SyslogFacilities) {
    EXPECT_EQ(parseSyslogFacility("daemon"), SyslogFacility::Daemon);
    EXPECT_EQ(parseSyslogFacility("local0"), SyslogFacility::Local0);
    EXPECT_EQ(parseSyslogFacility("local7"), SyslogFacility::Local7);
    EXPECT_FALSE(parseSyslogFacility("Daemon"));
    EXPECT_FALSE(parseSyslogFacility("local8"));
    EXPECT_FALSE(parseSyslogFacility("local"));
    EXPECT_FALSE(parseSyslogFacility("user"));
}

TEST(SyncConfigValues, AddressClasses) {
    EXPECT_TRUE(isMulticast(v4("224.0.0.1")));
    EXPECT_TRUE(isMulticast(v4("239.255.255.255")));
    EXPECT_FALSE(isMulticast(v4("240.0.0.1")));
    EXPECT_FALSE(isMulticast(v4("223.255.255.255")));
    EXPECT_TRUE(isMulticast(v6("ff02::1")));
    EXPECT_FALSE(isMulticast(v6("fe80::1")));
    EXPECT_TRUE(isIpv6LinkLocal(v6("fe80::1")));
    EXPECT_TRUE(isIpv6LinkLocal(v6("febf::1")));
    EXPECT_FALSE(isIpv6LinkLocal(v6("fec0::1")));
    EXPECT_FALSE(isIpv6LinkLocal(v4("169.254.0.1")));
}
