#include "query_args.hpp"

#include "errors.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>

using namespace ctd::dbus;
using sdbus::Variant;

namespace {

// The InvalidArgument message a decode throws, or "" when it does not throw.
template <typename F>
std::string invalid(F&& decode)
{
    try {
        decode();
    } catch (const sdbus::Error& e) {
        EXPECT_EQ(e.getName(), errorName::InvalidArgument);
        return e.getMessage();
    }
    return {};
}

std::string queryError(const VariantMap& dict, QueryUse use = QueryUse::Match)
{
    return invalid([&] { decodeQuery(dict, use); });
}

ctd::Address v4(const char* text)
{
    ctd::Address a;
    a.family = AF_INET;
    inet_pton(AF_INET, text, a.bytes.data());
    return a;
}

ctd::Address v6(const char* text)
{
    ctd::Address a;
    a.family = AF_INET6;
    inet_pton(AF_INET6, text, a.bytes.data());
    return a;
}

} // namespace

TEST(QueryArgs, EmptyDictionaryMatchesEverything)
{
    auto args = decodeQuery({}, QueryUse::Match);
    EXPECT_TRUE(args.query.empty());
    EXPECT_FALSE(args.interactive);
    EXPECT_EQ(args.text, "");
}

TEST(QueryArgs, EveryKeyDecodes)
{
    VariantMap dict{
        {"family", Variant(std::string("ipv4"))},
        {"protocol", Variant(std::string("tcp"))},
        {"src", Variant(std::string("192.0.2.0/24"))},
        {"dst", Variant(std::string("198.18.0.2"))},
        {"reply-src", Variant(std::string("198.18.0.2"))},
        {"reply-dst", Variant(std::string("192.0.2.1/32"))},
        {"sport", Variant(uint16_t{1234})},
        {"dport", Variant(uint16_t{22})},
        {"reply-sport", Variant(uint16_t{22})},
        {"reply-dport", Variant(uint16_t{1234})},
        {"zone", Variant(uint16_t{1})},
        {"orig-zone", Variant(uint16_t{2})},
        {"reply-zone", Variant(uint16_t{3})},
        {"mark", Variant(uint32_t{0x10})},
        {"mark-mask", Variant(uint32_t{0xf0})},
        {"status", Variant(std::vector<std::string>{"ASSURED", "SEEN_REPLY"})},
        {"state", Variant(std::string("ESTABLISHED"))},
        {"labels", Variant(std::vector<std::string>{"0", "65"})},
        {"nat", Variant(std::string("snat"))},
        {"nat-address", Variant(std::string("192.0.2.9:80"))},
        {"id", Variant(uint32_t{42})},
        {"interactive", Variant(true)},
    };
    auto args = decodeQuery(dict, QueryUse::Match);
    const auto& q = args.query;
    EXPECT_EQ(q.family, AF_INET);
    EXPECT_EQ(q.protocol, IPPROTO_TCP);
    ASSERT_TRUE(q.src);
    EXPECT_EQ(q.src->addr, v4("192.0.2.0"));
    EXPECT_EQ(q.src->length, 24);
    EXPECT_EQ(q.dst->length, 32);
    EXPECT_EQ(q.replyDst->addr, v4("192.0.2.1"));
    EXPECT_EQ(q.sport, 1234);
    EXPECT_EQ(q.dport, 22);
    EXPECT_EQ(q.replySport, 22);
    EXPECT_EQ(q.replyDport, 1234);
    EXPECT_EQ(q.zone, 1);
    EXPECT_EQ(q.origZone, 2);
    EXPECT_EQ(q.replyZone, 3);
    EXPECT_EQ(q.mark, (ctd::Masked32{0x10, 0xf0}));
    EXPECT_EQ(q.status, (1u << 2) | (1u << 1));
    EXPECT_EQ(q.state, 3); // TCP_CONNTRACK_ESTABLISHED
    ASSERT_EQ(q.labels.size(), 16u);
    EXPECT_EQ(q.labels[0], 0x01);
    EXPECT_EQ(q.labels[8], 0x02);
    ASSERT_EQ(q.nat.size(), 1u);
    EXPECT_EQ(q.nat[0].kind, ctd::NatKind::Snat);
    EXPECT_EQ(q.nat[0].addr, v4("192.0.2.9"));
    EXPECT_EQ(q.nat[0].port, 80);
    EXPECT_EQ(q.id, 42u);
    EXPECT_TRUE(args.interactive);
    EXPECT_EQ(args.text,
              "-f ipv4 -p tcp --sport 1234 --dport 22 --reply-port-src 22 --reply-port-dst 1234 "
              "--zone 1 --orig-zone 2 --reply-zone 3 -s 192.0.2.0/24 -d 198.18.0.2/32 "
              "-r 198.18.0.2/32 -q 192.0.2.1/32 -m 16/240 -u SEEN_REPLY,ASSURED "
              "--state ESTABLISHED -l 0,65 --src-nat 192.0.2.9:80 --id 42");
}

TEST(QueryArgs, ListAndWatchOnlyKeys)
{
    auto list = decodeQuery({{"table", Variant(std::string("dying"))},
                             {"zero-counters", Variant(true)}},
                            QueryUse::List);
    EXPECT_EQ(list.query.table, ctd::TableKind::Dying);
    EXPECT_TRUE(list.query.zeroCounters);
    EXPECT_EQ(list.text, "dying -z");
    EXPECT_EQ(decodeQuery({{"table", Variant(std::string("unconfirmed"))}}, QueryUse::List)
                  .query.table,
              ctd::TableKind::Unconfirmed);

    auto watch = decodeQuery({{"events", Variant(std::vector<std::string>{"new", "destroy"})}},
                             QueryUse::Watch);
    EXPECT_EQ(watch.events, eventMask::New | eventMask::Destroy);
    EXPECT_EQ(decodeQuery({}, QueryUse::Watch).events, eventMask::All);

    EXPECT_EQ(queryError({{"table", Variant(std::string("dying"))}}),
              "query key 'table': only List accepts it");
    EXPECT_EQ(queryError({{"zero-counters", Variant(true)}}, QueryUse::Watch),
              "query key 'zero-counters': only List accepts it");
    EXPECT_EQ(queryError({{"events", Variant(std::vector<std::string>{"new"})}}, QueryUse::List),
              "query key 'events': only Watch accepts it");
    EXPECT_EQ(queryError({{"events", Variant(std::vector<std::string>{})}}, QueryUse::Watch),
              "query key 'events': names no event (new, update, destroy)");
    EXPECT_EQ(queryError({{"events", Variant(std::vector<std::string>{"old"})}}, QueryUse::Watch),
              "query key 'events': unknown event 'old' (new, update, destroy)");
    EXPECT_EQ(queryError({{"table", Variant(std::string("expect"))}}, QueryUse::List),
              "query key 'table': must be conntrack, dying or unconfirmed, not 'expect'");
}

TEST(QueryArgs, UnknownKeysAndWrongTypesNameTheKey)
{
    EXPECT_EQ(queryError({{"dprot", Variant(uint16_t{22})}}), "unknown query key 'dprot'");
    EXPECT_EQ(queryError({{"dport", Variant(uint32_t{22})}, {"protocol", Variant(std::string("tcp"))}}),
              "query key 'dport': expected type 'q', got 'u'");
    EXPECT_EQ(queryError({{"mark", Variant(std::string("1"))}}),
              "query key 'mark': expected type 'u', got 's'");
    EXPECT_EQ(queryError({{"src", Variant(uint32_t{1})}}),
              "query key 'src': expected type 's', got 'u'");
    EXPECT_EQ(queryError({{"protocol", Variant(uint32_t{6})}}),
              "query key 'protocol': expected type 's', got 'u'");
    EXPECT_EQ(queryError({{"interactive", Variant(std::string("yes"))}}),
              "query key 'interactive': expected type 'b', got 's'");
    EXPECT_EQ(queryError({{"status", Variant(std::string("ASSURED"))}}),
              "query key 'status': expected type 'as', got 's'");
}

TEST(QueryArgs, ProtocolByNameOrNumber)
{
    EXPECT_EQ(decodeQuery({{"protocol", Variant(uint8_t{17})}}, QueryUse::Match).query.protocol, 17);
    EXPECT_EQ(decodeQuery({{"protocol", Variant(std::string("132"))}}, QueryUse::Match).query.protocol, 132);
    for (auto [name, number] : {std::pair{"udplite", 136}, std::pair{"dccp", 33},
                                std::pair{"gre", 47}, std::pair{"sctp", 132}}) {
        EXPECT_EQ(decodeQuery({{"protocol", Variant(std::string(name))}}, QueryUse::Match)
                      .query.protocol,
                  number);
    }
    EXPECT_EQ(queryError({{"protocol", Variant(std::string("tpc"))}}),
              "query key 'protocol': unknown protocol 'tpc'");
    EXPECT_EQ(queryError({{"protocol", Variant(std::string("256"))}}),
              "query key 'protocol': unknown protocol '256'");
}

TEST(QueryArgs, PortsAndIcmpNeedTheirProtocol)
{
    EXPECT_EQ(queryError({{"dport", Variant(uint16_t{22})}}), "query key 'dport': needs 'protocol'");
    EXPECT_EQ(queryError({{"reply-sport", Variant(uint16_t{22})}}),
              "query key 'reply-sport': needs 'protocol'");
    EXPECT_EQ(queryError({{"sport", Variant(uint16_t{1})}, {"protocol", Variant(std::string("icmp"))}}),
              "query key 'sport': protocol icmp has no ports");
    EXPECT_EQ(queryError({{"icmp-type", Variant(uint8_t{8})}, {"protocol", Variant(std::string("tcp"))}}),
              "query key 'icmp-type': needs protocol icmp or icmpv6");
    auto icmp = decodeQuery({{"protocol", Variant(std::string("icmp"))},
                             {"icmp-type", Variant(uint8_t{8})},
                             {"icmp-code", Variant(uint8_t{0})},
                             {"icmp-id", Variant(uint16_t{77})}},
                            QueryUse::Match);
    EXPECT_EQ(icmp.query.family, AF_INET) << "icmp implies IPv4, as in conntrack";
    EXPECT_EQ(icmp.query.icmpType, 8);
    EXPECT_EQ(icmp.query.icmpCode, 0);
    EXPECT_EQ(icmp.query.icmpId, 77);
}

TEST(QueryArgs, AddressesAndPrefixesAreChecked)
{
    EXPECT_EQ(queryError({{"src", Variant(std::string("192.0.2.300"))}}),
              "query key 'src': '192.0.2.300' is not an address or CIDR prefix");
    EXPECT_EQ(queryError({{"dst", Variant(std::string("192.0.2.0/33"))}}),
              "query key 'dst': '192.0.2.0/33' is not an address or CIDR prefix");
    EXPECT_EQ(queryError({{"dst", Variant(std::string("2001:db8::/129"))}}),
              "query key 'dst': '2001:db8::/129' is not an address or CIDR prefix");
    EXPECT_EQ(queryError({{"dst", Variant(std::string("192.0.2.0/"))}}),
              "query key 'dst': '192.0.2.0/' is not an address or CIDR prefix");
    EXPECT_EQ(queryError({{"dst", Variant(std::string(""))}}),
              "query key 'dst': '' is not an address or CIDR prefix");
    auto v6q = decodeQuery({{"src", Variant(std::string("2001:db8::1/32"))}}, QueryUse::Match);
    EXPECT_EQ(v6q.query.family, AF_INET6);
    EXPECT_EQ(v6q.query.src->addr, v6("2001:db8::")) << "host bits are cleared";
    EXPECT_EQ(v6q.query.src->length, 32);
    auto hostBits = decodeQuery({{"src", Variant(std::string("192.0.2.77/25"))}}, QueryUse::Match);
    EXPECT_EQ(hostBits.query.src->addr, v4("192.0.2.0"));
    auto zero = decodeQuery({{"src", Variant(std::string("0.0.0.0/0"))}}, QueryUse::Match);
    EXPECT_EQ(zero.query.src->length, 0);
}

TEST(QueryArgs, FamiliesMustAgree)
{
    EXPECT_EQ(queryError({{"family", Variant(std::string("ipv6"))},
                          {"src", Variant(std::string("192.0.2.1"))}}),
              "query key 'src': is IPv4 but 'family' says IPv6");
    EXPECT_EQ(queryError({{"src", Variant(std::string("192.0.2.1"))},
                          {"dst", Variant(std::string("2001:db8::1"))}}),
              "query key 'dst': is IPv6 but 'src' says IPv4");
    EXPECT_EQ(queryError({{"protocol", Variant(std::string("icmpv6"))},
                          {"dst", Variant(std::string("192.0.2.1"))}}),
              "query key 'dst': is IPv4 but 'protocol' says IPv6");
    EXPECT_EQ(queryError({{"family", Variant(std::string("inet"))}}),
              "query key 'family': must be 'ipv4' or 'ipv6', not 'inet'");
    EXPECT_EQ(decodeQuery({{"dst", Variant(std::string("2001:db8::1"))}}, QueryUse::Match).query.family,
              AF_INET6);
}

TEST(QueryArgs, MarkStatusStateLabelsNat)
{
    EXPECT_EQ(queryError({{"mark-mask", Variant(uint32_t{1})}}), "query key 'mark-mask': needs 'mark'");
    EXPECT_EQ(decodeQuery({{"mark", Variant(uint32_t{7})}}, QueryUse::Match).query.mark,
              (ctd::Masked32{7, 0xffffffff}));
    EXPECT_EQ(queryError({{"status", Variant(std::vector<std::string>{"ASSURED", "BOGUS"})}}),
              "query key 'status': unknown status flag 'BOGUS'");
    EXPECT_EQ(queryError({{"state", Variant(std::string("ESTABLISHED"))}}),
              "query key 'state': needs 'protocol'");
    EXPECT_EQ(queryError({{"state", Variant(std::string("ESTABLISHED"))},
                          {"protocol", Variant(std::string("udp"))}}),
              "query key 'state': protocol 17 has no states");
    EXPECT_EQ(queryError({{"state", Variant(std::string("OPEN"))},
                          {"protocol", Variant(std::string("tcp"))}}),
              "query key 'state': unknown state 'OPEN' for this protocol");
    EXPECT_EQ(decodeQuery({{"state", Variant(std::string("OPEN"))},
                           {"protocol", Variant(std::string("dccp"))}},
                          QueryUse::Match)
                  .query.state,
              4);
    EXPECT_EQ(decodeQuery({{"state", Variant(std::string("COOKIE_WAIT"))},
                           {"protocol", Variant(std::string("sctp"))}},
                          QueryUse::Match)
                  .query.state,
              2);
    EXPECT_EQ(queryError({{"labels", Variant(std::vector<std::string>{"128"})}}),
              "query key 'labels': unknown label '128'");
    EXPECT_EQ(queryError({{"labels", Variant(std::vector<std::string>{"blue"})}}),
              "query key 'labels': unknown label 'blue'");
    EXPECT_EQ(queryError({{"nat", Variant(std::string("masquerade"))}}),
              "query key 'nat': must be snat, dnat or any, not 'masquerade'");
    EXPECT_EQ(queryError({{"nat-address", Variant(std::string("192.0.2.1"))}}),
              "query key 'nat-address': needs 'nat'");
    EXPECT_EQ(queryError({{"nat", Variant(std::string("dnat"))},
                          {"nat-address", Variant(std::string("192.0.2.1:99999"))}}),
              "query key 'nat-address': '192.0.2.1:99999' is not ADDR or ADDR:PORT");
    auto v6nat = decodeQuery({{"nat", Variant(std::string("dnat"))},
                              {"nat-address", Variant(std::string("[2001:db8::5]:443"))}},
                             QueryUse::Match);
    EXPECT_EQ(v6nat.query.nat[0].addr, v6("2001:db8::5"));
    EXPECT_EQ(v6nat.query.nat[0].port, 443);
    auto any = decodeQuery({{"nat", Variant(std::string("any"))}}, QueryUse::Match);
    EXPECT_EQ(any.query.nat[0].kind, ctd::NatKind::Any);
    EXPECT_FALSE(any.query.nat[0].addr);
    EXPECT_EQ(any.text, "--any-nat");
}

TEST(QueryArgs, StatusClear)
{
    using Words = std::vector<std::string>;
    auto q = decodeQuery({{"status", Variant(Words{"ASSURED"})},
                          {"status-clear", Variant(Words{"SEEN_REPLY", "EXPECTED"})}},
                         QueryUse::Match);
    EXPECT_EQ(q.query.status, 0x4u);
    EXPECT_EQ(q.query.statusClear, 0x3u);
    EXPECT_EQ(q.text, "-u ASSURED,!EXPECTED,!SEEN_REPLY");
    auto clearOnly = decodeQuery({{"status-clear", Variant(Words{"SEEN_REPLY"})}}, QueryUse::Match);
    EXPECT_FALSE(clearOnly.query.status);
    EXPECT_EQ(clearOnly.query.statusClear, 0x2u);
    EXPECT_EQ(clearOnly.text, "-u !SEEN_REPLY");
    // An empty list filters nothing, as an empty status does.
    EXPECT_TRUE(decodeQuery({{"status-clear", Variant(Words{})}}, QueryUse::Match).query.empty());
    EXPECT_EQ(queryError({{"status-clear", Variant(Words{"UNREPLIED"})}}),
              "query key 'status-clear': unknown status flag 'UNREPLIED'");
    EXPECT_EQ(queryError({{"status", Variant(Words{"ASSURED", "SEEN_REPLY"})},
                          {"status-clear", Variant(Words{"ASSURED"})}}),
              "query key 'status-clear': 'ASSURED' is also in 'status': nothing can match");
    EXPECT_EQ(queryError({{"status-clear", Variant(std::string("ASSURED"))}}),
              "query key 'status-clear': expected type 'as', got 's'");
}

TEST(QueryArgs, NonContiguousMasks)
{
    auto q = decodeQuery({{"src", Variant(std::string("10.1.2.3"))},
                          {"src-mask", Variant(std::string("255.0.255.0"))}},
                         QueryUse::Match);
    ASSERT_TRUE(q.query.src);
    EXPECT_EQ(q.query.src->addr, v4("10.0.2.0")); // masked, as conntrack's network
    EXPECT_EQ(q.query.src->mask, v4("255.0.255.0"));
    EXPECT_EQ(q.query.family, AF_INET);
    EXPECT_EQ(q.text, "-s 10.1.2.3 --mask-src 255.0.255.0");
    // A contiguous mask is a prefix length: the kernel can take it.
    auto c = decodeQuery({{"dst", Variant(std::string("192.0.2.77"))},
                          {"dst-mask", Variant(std::string("255.255.255.0"))}},
                         QueryUse::Match);
    EXPECT_EQ(c.query.dst, (ctd::Prefix{v4("192.0.2.0"), 24}));
    auto v6q = decodeQuery({{"dst", Variant(std::string("2001:db8::1:2"))},
                            {"dst-mask", Variant(std::string("ffff::ffff"))}},
                           QueryUse::Match);
    EXPECT_EQ(v6q.query.dst->addr, v6("2001::2"));
    EXPECT_EQ(v6q.query.dst->mask, v6("ffff::ffff"));
    EXPECT_EQ(queryError({{"src-mask", Variant(std::string("255.0.255.0"))}}),
              "query key 'src-mask': needs 'src'");
    EXPECT_EQ(queryError({{"src", Variant(std::string("10.0.0.0/8"))},
                          {"src-mask", Variant(std::string("255.0.255.0"))}}),
              "query key 'src-mask': needs a plain address in 'src', not a prefix");
    EXPECT_EQ(queryError({{"src", Variant(std::string("10.0.0.1"))},
                          {"src-mask", Variant(std::string("ffff::"))}}),
              "query key 'src-mask': is not of the family of 'src'");
    EXPECT_EQ(queryError({{"dst", Variant(std::string("10.0.0.1"))},
                          {"dst-mask", Variant(std::string("255.0.255.0/8"))}}),
              "query key 'dst-mask': '255.0.255.0/8' is not an IPv4 or IPv6 address");
    EXPECT_EQ(queryError({{"dst", Variant(std::string("10.0.0.1"))},
                          {"dst-mask", Variant(uint32_t{7})}}),
              "query key 'dst-mask': expected type 's', got 'u'");
    // No mask for the reply direction: conntrack has none either.
    EXPECT_EQ(queryError({{"reply-src-mask", Variant(std::string("255.0.0.0"))}}),
              "unknown query key 'reply-src-mask'");
}

TEST(QueryArgs, SnatAndDnatTogether)
{
    auto q = decodeQuery({{"snat", Variant(std::string(""))},
                          {"dnat", Variant(std::string("198.51.100.7:80"))}},
                         QueryUse::Match);
    ASSERT_EQ(q.query.nat.size(), 2u);
    EXPECT_EQ(q.query.nat[0].kind, ctd::NatKind::Snat);
    EXPECT_FALSE(q.query.nat[0].addr);
    EXPECT_EQ(q.query.nat[1].kind, ctd::NatKind::Dnat);
    EXPECT_EQ(q.query.nat[1].addr, v4("198.51.100.7"));
    EXPECT_EQ(q.query.nat[1].port, 80);
    EXPECT_EQ(q.query.family, AF_INET);
    EXPECT_EQ(q.text, "--src-nat --dst-nat 198.51.100.7:80");
    EXPECT_EQ(queryError({{"snat", Variant(std::string("nonsense"))}}),
              "query key 'snat': 'nonsense' is not '', ADDR or ADDR:PORT");
    EXPECT_EQ(queryError({{"snat", Variant(std::string("192.0.2.1"))},
                          {"dnat", Variant(std::string("[2001:db8::1]:80"))}}),
              "query key 'dnat': is IPv6 but 'snat' says IPv4");
}

TEST(QueryArgs, SecmarkOnlyWhereConntrackTakesIt)
{
    auto list = decodeQuery({{"secmark", Variant(uint32_t{5})}}, QueryUse::List);
    EXPECT_EQ(list.query.secmark, 5u);
    EXPECT_EQ(list.text, "-c 5");
    EXPECT_EQ(decodeQuery({{"secmark", Variant(uint32_t{5})}}, QueryUse::Watch).query.secmark, 5u);
    EXPECT_EQ(queryError({{"secmark", Variant(uint32_t{5})}}, QueryUse::Match),
              "query key 'secmark': only List and Watch accept it (entries without a secmark match it)");
    EXPECT_EQ(queryError({{"secmark", Variant(std::string("5"))}}, QueryUse::List),
              "query key 'secmark': expected type 'u', got 's'");
}

TEST(QueryArgs, LabelNamesFromTheMap)
{
    char path[] = "/tmp/ctd-labels-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << "# connlabel.conf\n0 blue\n9 green\n";
    auto resolver = fileLabelResolver(path);
    auto args = decodeQuery({{"labels", Variant(std::vector<std::string>{"green", "blue"})}},
                            QueryUse::Match, resolver);
    EXPECT_EQ(args.query.labels[0], 0x01);
    EXPECT_EQ(args.query.labels[1], 0x02);
    EXPECT_EQ(invalid([&] {
                  decodeQuery({{"labels", Variant(std::vector<std::string>{"red"})}},
                              QueryUse::Match, resolver);
              }),
              "query key 'labels': unknown label 'red'");
    unlink(path);
}

TEST(EntryArgs, CreateNeedsTupleAndTimeoutAndInvertsReply)
{
    VariantMap dict{
        {"protocol", Variant(std::string("tcp"))},
        {"src", Variant(std::string("192.0.2.1"))},
        {"dst", Variant(std::string("198.18.0.2"))},
        {"sport", Variant(uint16_t{1})},
        {"dport", Variant(uint16_t{2})},
        {"timeout", Variant(uint32_t{100})},
        {"state", Variant(std::string("ESTABLISHED"))},
        {"status", Variant(std::vector<std::string>{"ASSURED"})},
        {"mark", Variant(uint32_t{5})},
        {"zone", Variant(uint16_t{9})},
        {"helper", Variant(std::string("ftp"))},
        {"snat", Variant(std::string("203.0.113.1:1000"))},
    };
    auto args = decodeEntry(dict, EntryUse::Create);
    const auto& e = args.entry;
    EXPECT_EQ(e.family, AF_INET);
    EXPECT_EQ(e.orig.src, v4("192.0.2.1"));
    EXPECT_EQ(e.orig.dst, v4("198.18.0.2"));
    EXPECT_EQ(e.orig.sport, 1);
    EXPECT_EQ(e.reply.src, v4("198.18.0.2"));
    EXPECT_EQ(e.reply.dst, v4("192.0.2.1"));
    EXPECT_EQ(e.reply.sport, 2);
    EXPECT_EQ(e.reply.dport, 1);
    EXPECT_EQ(e.reply.protocol, IPPROTO_TCP);
    EXPECT_EQ(e.timeout, 100u);
    ASSERT_TRUE(e.tcp);
    EXPECT_EQ(e.tcp->state, 3);
    EXPECT_EQ(e.status, 1u << 2);
    EXPECT_EQ(e.mark, 5u);
    EXPECT_EQ(e.zone, 9);
    EXPECT_EQ(e.helper, "ftp");
    ASSERT_TRUE(e.snat);
    EXPECT_EQ(e.snat->minAddr, v4("203.0.113.1"));
    EXPECT_EQ(e.snat->minPort, 1000);

    auto without = [&](const char* key) {
        VariantMap copy = dict;
        copy.erase(key);
        return invalid([&] { decodeEntry(copy, EntryUse::Create); });
    };
    EXPECT_EQ(without("timeout"), "entry key 'timeout': required");
    EXPECT_EQ(without("src"), "entry key 'src': required");
    EXPECT_EQ(without("protocol"), "entry key 'sport': needs 'protocol'");
    EXPECT_EQ(without("dport"), "entry key 'dport': required for protocol tcp");
    VariantMap prefixed = dict;
    prefixed["src"] = Variant(std::string("192.0.2.0/24"));
    EXPECT_EQ(invalid([&] { decodeEntry(prefixed, EntryUse::Create); }),
              "entry key 'src': '192.0.2.0/24' is not an IPv4 or IPv6 address");
    VariantMap withId = dict;
    withId["id"] = Variant(uint32_t{1});
    EXPECT_EQ(invalid([&] { decodeEntry(withId, EntryUse::Create); }),
              "entry key 'id': the kernel assigns ids; Create cannot set one");
    VariantMap queryKey = dict;
    queryKey["zero-counters"] = Variant(true);
    EXPECT_EQ(invalid([&] { decodeEntry(queryKey, EntryUse::Create); }),
              "unknown entry key 'zero-counters'");
}

TEST(EntryArgs, IcmpReplyTypeIsInverted)
{
    auto args = decodeEntry({{"protocol", Variant(std::string("icmp"))},
                             {"src", Variant(std::string("192.0.2.1"))},
                             {"dst", Variant(std::string("192.0.2.2"))},
                             {"icmp-type", Variant(uint8_t{8})},
                             {"icmp-code", Variant(uint8_t{0})},
                             {"icmp-id", Variant(uint16_t{5})},
                             {"timeout", Variant(uint32_t{30})}},
                            EntryUse::Create);
    EXPECT_EQ(args.entry.reply.icmpType, 0);
    EXPECT_EQ(args.entry.reply.icmpId, 5);
}

TEST(EntryArgs, GetNeedsFullTupleOrId)
{
    auto byId = decodeEntry({{"id", Variant(uint32_t{3})}}, EntryUse::Get);
    EXPECT_EQ(byId.entry.id, 3u);
    EXPECT_EQ(invalid([] { decodeEntry({}, EntryUse::Get); }),
              "entry key 'src': required (or give 'id')");
    EXPECT_EQ(invalid([] {
                  decodeEntry({{"protocol", Variant(std::string("udp"))},
                               {"src", Variant(std::string("192.0.2.1"))},
                               {"dst", Variant(std::string("192.0.2.2"))},
                               {"sport", Variant(uint16_t{53})}},
                              EntryUse::Get);
              }),
              "entry key 'dport': required for protocol udp");
    EXPECT_EQ(invalid([] { decodeEntry({{"timeout", Variant(uint32_t{1})}}, EntryUse::Get); }),
              "unknown entry key 'timeout'");
}

TEST(ExpectationArgs, CreateAndGet)
{
    auto args = decodeExpectation({{"protocol", Variant(std::string("tcp"))},
                                   {"master-src", Variant(std::string("192.0.2.1"))},
                                   {"master-dst", Variant(std::string("192.0.2.2"))},
                                   {"master-sport", Variant(uint16_t{1025})},
                                   {"master-dport", Variant(uint16_t{21})},
                                   {"src", Variant(std::string("192.0.2.1"))},
                                   {"dst", Variant(std::string("192.0.2.2"))},
                                   {"dport", Variant(uint16_t{2000})},
                                   {"mask-src", Variant(std::string("255.255.255.255"))},
                                   {"mask-dst", Variant(std::string("255.255.255.255"))},
                                   {"mask-dport", Variant(uint16_t{0xffff})},
                                   {"timeout", Variant(uint32_t{60})},
                                   {"flags", Variant(std::vector<std::string>{"PERMANENT"})}},
                                  EntryUse::Create);
    const auto& x = args.expectation;
    EXPECT_EQ(x.family, AF_INET);
    EXPECT_EQ(x.master.dport, 21);
    EXPECT_EQ(x.master.protocol, IPPROTO_TCP);
    EXPECT_EQ(x.tuple.dport, 2000);
    EXPECT_EQ(x.mask.dport, 0xffff);
    EXPECT_EQ(x.timeout, 60u);
    EXPECT_EQ(x.flags, 1u);
    EXPECT_EQ(invalid([] { decodeExpectation({{"protocol", Variant(std::string("tcp"))}}, EntryUse::Create); }),
              "expectation key 'master-src': required");
    EXPECT_EQ(decodeExpectation({{"id", Variant(uint32_t{8})}}, EntryUse::Get).expectation.id, 8u);
    EXPECT_EQ(invalid([] { decodeExpectation({{"master-src", Variant(std::string("192.0.2.1"))}}, EntryUse::Get); }),
              "unknown expectation key 'master-src'");
}

TEST(ChangesArgs, DecodeAndReject)
{
    auto changes = decodeChanges({{"mark", Variant(uint32_t{1})},
                                  {"mark-mask", Variant(uint32_t{0xff})},
                                  {"timeout", Variant(uint32_t{50})},
                                  {"labels-add", Variant(std::vector<std::string>{"3"})},
                                  {"labels-del", Variant(std::vector<std::string>{"4"})}});
    EXPECT_EQ(changes.mark, (ctd::Masked32{1, 0xff}));
    EXPECT_EQ(changes.timeout, 50u);
    EXPECT_EQ((*changes.labelsAdd)[0], 0x08);
    EXPECT_EQ((*changes.labelsDel)[0], 0x10);
    EXPECT_FALSE(changes.labels);
    EXPECT_EQ(changes.text, "-m 1/255 -t 50 --label-add 3 --label-del 4");
    EXPECT_EQ(invalid([] { decodeChanges({}); }),
              "changes: nothing to change (give mark, timeout, status or labels)");
    EXPECT_EQ(invalid([] { decodeChanges({{"dport", Variant(uint16_t{1})}}); }),
              "unknown changes key 'dport'");
    EXPECT_EQ(invalid([] { decodeChanges({{"mark-mask", Variant(uint32_t{1})}}); }),
              "changes key 'mark-mask': needs 'mark'");
    EXPECT_EQ(invalid([] {
                  decodeChanges({{"labels", Variant(std::vector<std::string>{"1"})},
                                 {"labels-add", Variant(std::vector<std::string>{"2"})}});
              }),
              "changes key 'labels': replaces the label set; cannot combine with "
              "labels-add/labels-del");
}

TEST(OptionsArgs, OnlyInteractive)
{
    EXPECT_TRUE(decodeOptions({{"interactive", Variant(true)}}).interactive);
    EXPECT_FALSE(decodeOptions({}).interactive);
    EXPECT_EQ(invalid([] { decodeOptions({{"force", Variant(true)}}); }), "unknown option 'force'");
}

TEST(FormatArgs, WordsAndModifiers)
{
    using Base = OutputFormat::Base;
    EXPECT_TRUE(decodeFormat("").writesNothing());
    EXPECT_EQ(decodeFormat("plain").base, Base::Plain);
    auto ext = decodeFormat("extended,id,timestamp");
    EXPECT_EQ(ext.base, Base::Extended);
    EXPECT_TRUE(ext.id);
    EXPECT_TRUE(ext.timestamp);
    EXPECT_FALSE(ext.labels);
    auto modifierOnly = decodeFormat("ktimestamp,labels,userspace");
    EXPECT_EQ(modifierOnly.base, Base::Plain);
    EXPECT_TRUE(modifierOnly.ktimestamp && modifierOnly.labels && modifierOnly.userspace);
    EXPECT_EQ(decodeFormat("xml").base, Base::Xml);
    EXPECT_EQ(decodeFormat("save").base, Base::Save);
    EXPECT_EQ(decodeFormat("json").base, Base::Json);
    EXPECT_EQ(invalid([] { decodeFormat("default"); }),
              "format: 'default' is rejected, as conntrack 1.4.7 rejects -o default");
    EXPECT_EQ(invalid([] { decodeFormat("extended,zone"); }),
              "format: 'zone' is rejected, as conntrack 1.4.7 rejects -o zone");
    EXPECT_EQ(invalid([] { decodeFormat("xml,json"); }),
              "format: 'json' conflicts with an earlier output format");
    EXPECT_EQ(invalid([] { decodeFormat("extended,,id"); }), "format: unknown word ''");
    EXPECT_EQ(invalid([] { decodeFormat("yaml"); }), "format: unknown word 'yaml'");
}
