// "-o save" output and its parser. The save lines below were printed by conntrack 1.4.7
// -L -o save for entries created in a namespace.
#include "builders.hpp"
#include "format/formatter.hpp"
#include "format/save_parser.hpp"

#include <gtest/gtest.h>
#include <random>

using namespace ctd;
using namespace ctd::test;

namespace {

const char* const kRealSaveLines[] = {
    "-A -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 77",
    "-A -t 49 -u UNSET -w 7 -s 2001:db8::1 -d 2001:db8::1:0:0:2 -r 2001:db8::1:0:0:2 -q 2001:db8::1 -p udp --sport 53 --dport 5353 --reply-port-src 5353 --reply-port-dst 53",
    "-A -t 99 -u ASSURED -s 192.0.2.1 -d 198.18.0.2 -r 198.18.0.2 -q 192.0.2.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED",
    "-A -t 29 -u UNSET -s 10.2.0.1 -d 10.2.0.2 -r 10.2.0.2 -q 10.2.0.1 -p dccp",
    "-A -t 29 -u UNSET -s 10.4.0.1 -d 10.4.0.2 -r 10.4.0.2 -q 10.4.0.1 -p gre --srckey 16 --dstkey 32 --reply-key-src 32 --reply-key-dst 16",
    "-A -t 29 -u UNSET -s 10.1.0.1 -d 10.1.0.2 -r 10.1.0.2 -q 10.1.0.1 -p sctp --sport 100 --dport 200 --reply-port-src 200 --reply-port-dst 100 --state ESTABLISHED --orig-vtag 1234 --reply-vtag 5678",
    "-A -t 29 -u UNSET -s ::ffff:1.2.3.4 -d 2001:db8:0:1:1:1:1:1 -r 2001:db8:0:1:1:1:1:1 -q ::ffff:1.2.3.4 -p tcp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state SYN_SENT2",
    "-A -t 29 -u UNSET -s fe80::1 -d ff02::1 -r ff02::1 -q fe80::1 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 9",
    "-A -t 29 -u UNSET -s 10.6.0.1 -d 10.6.0.2 -r 10.6.0.2 -q 10.6.0.1 -p 99",
    "-A -t 29 -u UNSET -s ::1.2.3.4 -d :: -r :: -q ::1.2.3.4 -p tcp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state SYN_RECV",
    "-A -t 29 -u UNSET -s 1:0:0:1::1 -d 1::1:0:0:0 -r 1::1:0:0:0 -q 1:0:0:1::1 -p tcp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state SYN_RECV",
    "-A -t 29 -u UNSET -s 10.3.0.1 -d 10.3.0.2 -r 10.3.0.2 -q 10.3.0.1 -p udplite --sport 100 --dport 200 --reply-port-src 200 --reply-port-dst 100",
    "-A -t 29 -u SEEN_REPLY,ASSURED -s 10.7.0.1 -d 10.7.0.2 -r 10.7.0.2 -q 10.7.0.1 -p tcp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state TIME_WAIT",
    "-A -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p sctp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state SHUTDOWN_ACK_SENT --orig-vtag 1 --reply-vtag 2",
};

std::string save(const Entry& e) { return formatEntry(e, *parseFormatSpec("save")); }

} // namespace

TEST(Save, RealLinesParseAndPrintBack)
{
    for (const char* line : kRealSaveLines) {
        auto r = parseSaveLine(line);
        ASSERT_TRUE(r.ok()) << line << ": " << r.error().message;
        ASSERT_TRUE(r->has_value());
        EXPECT_EQ((*r)->command, 'A');
        EXPECT_EQ(save((*r)->entry), std::string(line) + "\n");
    }
}

TEST(Save, WriterMatchesConntrackForNat)
{
    // conntrack -I ... --src-nat 10.9.9.9 / --dst-nat 10.9.9.8:99, then -L -o save.
    Entry snat = portEntry(6, "10.7.0.1", "10.7.0.2", 5, 6);
    snat.reply.dst = v4("10.9.9.9");
    snat.tcp.emplace();
    snat.tcp->state = 7;
    snat.timeout = 29;
    snat.status = 0x2 | 0x4 | 0x8 | 0x10 | 0x80 | 0x100 /* DST_NAT_DONE without DNAT */;
    EXPECT_EQ(save(snat), "-A -t 29 -u SEEN_REPLY,ASSURED -s 10.7.0.1 -d 10.7.0.2 -r 10.7.0.2 -n 10.9.9.9 -p tcp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state TIME_WAIT\n");

    Entry dnat = portEntry(6, "10.7.0.1", "10.7.0.3", 5, 6);
    dnat.reply.src = v4("10.9.9.8");
    dnat.reply.sport = 99;
    dnat.tcp.emplace();
    dnat.tcp->state = 8;
    dnat.timeout = 29;
    dnat.status = 0x2 | 0x8 | 0x20 | 0x100;
    EXPECT_EQ(save(dnat), "-A -t 29 -u SEEN_REPLY -s 10.7.0.1 -d 10.7.0.3 -g 10.9.9.8 -q 10.7.0.1 -p tcp --sport 5 --dport 6 --reply-port-src 99 --reply-port-dst 5 --state CLOSE\n");

    auto parsed = parseSaveLine("-A -t 29 -u SEEN_REPLY -s 10.7.0.1 -d 10.7.0.3 -g 10.9.9.8 -q 10.7.0.1 -p tcp --sport 5 --dport 6 --reply-port-src 99 --reply-port-dst 5 --state CLOSE");
    ASSERT_TRUE(parsed.ok());
    const Entry& p = (*parsed)->entry;
    ASSERT_TRUE(p.dnat);
    EXPECT_EQ(p.dnat->minAddr, v4("10.9.9.8"));
    EXPECT_EQ(p.reply.src, v4("10.9.9.8"));
    EXPECT_EQ(p.reply.sport, 99);
}

TEST(Save, StatusZonesSecmark)
{
    Entry e = portEntry(17, "10.8.0.1", "10.8.0.2", 5, 6);
    e.timeout = 30;
    e.status = 0x1 | 0x400 | 0x8;
    e.secmark = 7;
    e.zone = 1;
    e.orig.zone = 3;
    e.reply.zone = 4;
    e.mark = 9; // conntrack's save output has no mark
    EXPECT_EQ(save(e), "-A -t 30 -u EXPECTED,FIXED_TIMEOUT -c 7 -w 1 --orig-zone 3 --reply-zone 4 -s 10.8.0.1 -d 10.8.0.2 -r 10.8.0.2 -q 10.8.0.1 -p udp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5\n");
}

TEST(Save, RoundTripRandomEntries)
{
    for (uint64_t seed = 0; seed < 5000; ++seed) {
        const Entry e = randomEntry(seed);
        const std::string line = save(e);
        auto r = parseSaveLine(line);
        ASSERT_TRUE(r.ok()) << line << ": " << r.error().message;
        ASSERT_TRUE(r->has_value());
        EXPECT_EQ((*r)->entry, e) << line;
        EXPECT_EQ(save((*r)->entry), line);
    }
}

TEST(Save, AutocompletesMissingDirection)
{
    auto r = parseSaveLine("-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state LISTEN -t 10");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Entry& e = (*r)->entry;
    EXPECT_EQ((*r)->command, 'I');
    EXPECT_EQ(e.reply.src, v4("2.2.2.2"));
    EXPECT_EQ(e.reply.dst, v4("1.1.1.1"));
    EXPECT_EQ(e.reply.sport, 2);
    EXPECT_EQ(e.reply.dport, 1);
    EXPECT_EQ(e.tcp->state, 9);

    r = parseSaveLine("-A -p icmp -r 1.1.1.1 -q 2.2.2.2 --icmp-type 13 --icmp-code 0 --icmp-id 5 -t 10 -m 0x10/0xff");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->entry.orig.src, v4("2.2.2.2"));
    EXPECT_EQ((*r)->entry.reply.icmpType, 14);
    EXPECT_EQ((*r)->entry.mark, 16u);
    EXPECT_EQ((*r)->markMask, 255u);
}

TEST(Save, LongOptionsWithEquals)
{
    auto r = parseSaveLine("--create --protonum=udp --timeout=30 --orig-src=1.1.1.1 --orig-dst 2.2.2.2 --sport=7 --dport=8 --zone=3");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->entry.timeout, 30u);
    EXPECT_EQ((*r)->entry.zone, 3);
    EXPECT_EQ((*r)->entry.reply.dport, 7);
}

TEST(Save, FileWithCommentsAndQuotes)
{
    auto r = parseSaveText("# saved\n\n   \t-D -p tcp -s \"10.0.0.1\" \n-F\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].command, 'D');
    EXPECT_EQ((*r)[0].entry.orig.src, v4("10.0.0.1"));
    EXPECT_EQ((*r)[1].command, 'F');
}

TEST(Save, MalformedLinesAreRejectedWithLineNumbers)
{
    struct Case {
        const char* line;
        const char* message;
    } cases[] = {
        {"-A -t 1 -s 1.1.1.1 -d 2.2.2.2", "You need to supply the `--protonum' option for this command"},
        {"-A -p tcp -s 1.1.1.1 -d 2.2.2.2", "You need to supply the `--timeout' option for this command"},
        {"-A -p tcp -t 1 -s 1.1.1.1", "you have to specify `--src' and `--dst'"},
        {"-A -A -p tcp", "Invalid commands combination"},
        {"-p tcp -s 1.1.1.1", "no command given"},
        {"-A -p tcp -t 1 -s 1.1.1.1 -d ::1", "mismatched address family"},
        {"-A -p tcp -t 1 -s 1.1.1.300 -d 2.2.2.2", "Invalid IP address `1.1.1.300'"},
        {"-A -p tcp -t 99999999999 -s 1.1.1.1 -d 2.2.2.2", "Invalid value `99999999999' for `-t'"},
        {"-A -p tcp -t 1 -s 1.1.1.1 -d 2.2.2.2 --sport 65536", "Invalid value `65536' for `--sport'"},
        {"-A -p tcp -t 1 -s 1.1.1.1 -d 2.2.2.2 --state BOGUS", "unknown TCP state `BOGUS'"},
        {"-A -p udp -t 1 -s 1.1.1.1 -d 2.2.2.2 --state ESTABLISHED", "unknown option `--state' for protocol udp"},
        {"-A -t 1 -s 1.1.1.1 -d 2.2.2.2 --sport 1 -p tcp", "unknown option `--sport'"},
        {"-A -p nope -t 1", "`nope' unsupported protocol"},
        {"-A -p tcp -t 1 -u ASSURED,BOGUS", "Bad parameter `BOGUS'"},
        {"-A -p tcp -t", "option `-t' requires an argument"},
        {"-A -p tcp -t 1 \"unterminated", "unterminated quote"},
        {"-A stray", "unexpected argument `stray'"},
        {"-A -p tcp -t 1 -l foo -s 1.1.1.1 -d 2.2.2.2", "labels need a connlabel.conf map"},
    };
    for (const auto& c : cases) {
        auto r = parseSaveLine(c.line);
        ASSERT_FALSE(r.ok()) << c.line;
        EXPECT_EQ(r.error().code, EINVAL);
        EXPECT_NE(r.error().message.find(c.message), std::string::npos)
            << c.line << " -> " << r.error().message;
    }
    auto text = parseSaveText(std::string(kRealSaveLines[0]) + "\n# ok\n-A -p tcp\n");
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.error().message.rfind("line 3: ", 0), 0u) << text.error().message;
    EXPECT_FALSE(parseSaveLine(std::string(20000, 'a')).ok());
    EXPECT_FALSE(parseSaveLine("-A -s " + std::string(2000, '1')).ok());
    EXPECT_FALSE(parseSaveLine(std::string("-A -p tcp\0 -t 1", 15)).ok());
}

TEST(Save, LabelsWithMap)
{
    auto map = LabelMap::parse("3 three\n40 forty\n");
    SaveParseOptions o;
    o.labels = &*map;
    auto r = parseSaveLine("-A -p udp -t 1 -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -l three,forty", o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(labelBitSet((*r)->entry.labels, 3));
    EXPECT_TRUE(labelBitSet((*r)->entry.labels, 40));
    EXPECT_FALSE(parseSaveLine("-A -p udp -t 1 -l nope", o).ok());
}

TEST(Save, RandomBytesAndMutationsDoNotCrash)
{
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20000; ++i) {
        std::string line(rng() % 300, '\0');
        for (auto& c : line)
            c = static_cast<char>(rng());
        (void)parseSaveLine(line);
    }
    static const char* pieces[] = {"-A", "-D", "-p", "tcp", "icmp", "gre", "sctp", "dccp", "-s",
                                   "-d", "-r", "-q", "-g", "-n", "::", "1.2.3.4", "[::1]:5", "--sport",
                                   "--state", "--role", "-u", "ASSURED,", "-t", "0x", "99999", "\"",
                                   "\\", "-m", "1/2", "--icmp-type", "--orig-vtag", "-l", "-w", "", " "};
    for (int i = 0; i < 50000; ++i) {
        std::string line;
        const int n = static_cast<int>(rng() % 20);
        for (int k = 0; k < n; ++k) {
            line += pieces[rng() % std::size(pieces)];
            line += ' ';
        }
        (void)parseSaveLine(line);
    }
    for (const char* real : kRealSaveLines) {
        std::string base(real);
        for (int i = 0; i < 2000; ++i) {
            std::string m = base;
            m[rng() % m.size()] = static_cast<char>(rng());
            (void)parseSaveLine(m);
        }
    }
    (void)parseSaveText(std::string(100000, '\n'));
}

TEST(Save, Ipv6NatUsesNatOptionsLikeConntrack)
{
    // A live IPv6 DNAT (nft dnat to [2001:db8:1::1]:8080) as conntrack 1.4.7 saves it.
    Entry dnat = portEntry(6, "2001:db8::2", "2001:db8::1", 59250, 80);
    dnat.reply.src = v6("2001:db8:1::1");
    dnat.reply.sport = 8080;
    dnat.tcp.emplace();
    dnat.tcp->state = 3;
    dnat.timeout = 431999;
    dnat.status = 0x2 | 0x4 | 0x8 | 0x20 | 0x100 | 0x80;
    EXPECT_EQ(save(dnat), "-A -t 431999 -u SEEN_REPLY,ASSURED -s 2001:db8::2 -d 2001:db8::1 -g 2001:db8:1::1 -q 2001:db8::2 -p tcp --sport 59250 --dport 80 --reply-port-src 8080 --reply-port-dst 59250 --state ESTABLISHED\n");
}

TEST(Save, SctpVtagsAreByteSwappedLikeConntrack)
{
    // A live association with vtags 0x01020304 / 0x0a0b0c0d: conntrack 1.4.7 -o save prints
    // them byte-swapped, and -R reads them back the same way.
    Entry e = portEntry(132, "192.0.2.2", "192.0.2.1", 40132, 3868);
    e.sctp.emplace();
    e.sctp->state = 4; // SCTP_CONNTRACK_ESTABLISHED
    e.sctp->vtagOrig = 0x01020304;
    e.sctp->vtagReply = 0x0a0b0c0d;
    e.timeout = 3042;
    e.status = 0x2 | 0x4 | 0x8;
    const std::string line = save(e);
    EXPECT_EQ(line, "-A -t 3042 -u SEEN_REPLY,ASSURED -s 192.0.2.2 -d 192.0.2.1 -r 192.0.2.1 -q 192.0.2.2 -p sctp --sport 40132 --dport 3868 --reply-port-src 3868 --reply-port-dst 40132 --state ESTABLISHED --orig-vtag 67305985 --reply-vtag 218893066\n");
    auto parsed = parseSaveLine(line.substr(0, line.size() - 1));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_TRUE((*parsed)->entry.sctp);
    EXPECT_EQ((*parsed)->entry.sctp->vtagOrig, 0x01020304u);
    EXPECT_EQ((*parsed)->entry.sctp->vtagReply, 0x0a0b0c0du);
}
