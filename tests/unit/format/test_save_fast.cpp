// The save-line parser (views into the line, one table look-up per option) against the
// parser it replaced (save_parser_reference.cpp): same entries, same errors, on real
// lines, random entries, mutations of both and hostile input.
#include "builders.hpp"
#include "format/formatter.hpp"
#include "format/label_map.hpp"
#include "format/save_parser.hpp"
#include "save_parser_reference.hpp"

#include <gtest/gtest.h>
#include <random>

using namespace ctd;
using namespace ctd::test;

namespace {

std::string save(const Entry& e)
{
    std::string s = formatEntry(e, *parseFormatSpec("save"));
    if (!s.empty() && s.back() == '\n')
        s.pop_back();
    return s;
}

// Same outcome as the reference parser, or a description of the difference.
::testing::AssertionResult sameAsReference(std::string_view line, const SaveParseOptions& o = {})
{
    auto fast = parseSaveLine(line, o);
    auto ref = reference::parseSaveLine(line, o);
    if (fast.ok() != ref.ok())
        return ::testing::AssertionFailure()
               << "ok " << fast.ok() << " vs reference " << ref.ok() << ": "
               << (fast.ok() ? ref.error().message : fast.error().message);
    if (!fast.ok()) {
        if (fast.error().code != ref.error().code || fast.error().message != ref.error().message)
            return ::testing::AssertionFailure()
                   << "error `" << fast.error().message << "' vs reference `" << ref.error().message << "'";
        return ::testing::AssertionSuccess();
    }
    if (*fast != *ref)
        return ::testing::AssertionFailure() << "different command or entry";
    return ::testing::AssertionSuccess();
}

std::vector<std::string> tokensOf(const std::string& line)
{
    std::vector<std::string> t;
    size_t pos = 0;
    while (pos < line.size()) {
        size_t sp = line.find(' ', pos);
        t.push_back(line.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos));
        pos = sp == std::string::npos ? line.size() : sp + 1;
    }
    return t;
}

std::string joined(const std::vector<std::string>& t)
{
    std::string s;
    for (size_t i = 0; i < t.size(); ++i)
        s += (i ? " " : "") + t[i];
    return s;
}

// One random edit of a line: token dropped, duplicated, swapped, replaced by an odd
// value, split with '=' or quotes, a byte changed or cut.
std::string mutate(const std::string& line, std::mt19937_64& rng)
{
    static const char* const kOdd[] = {
        "",          "-",        "--",          "=",         "\"",         "\"\"",          "\\",
        "0x",        "0",        "00",          "010",       "0xffffffff", "0x100000000", "4294967296",
        "65535",     "65536",    "-1",          "1.2.3",     "1.2.3.4.5",  "01.2.3.4",    "1.2.3.004",
        "255.255.255.255", "256.1.1.1", "::",   "[::1]:80",  "1.1.1.1:0",  "1.1.1.1:65536", "[::1]",
        "conntrack", "-D",       "--sport=",    "--dport=1=2", "tcp",      "TCP",         "icmpv6",
        "ipv6-icmp", "ASSURED,", ",ASSURED",    "LISTEN",    "--state",    "--icmp-type", "--srckey",
        "--orig-vtag", "--role", "-n",          "-g",        "--src-nat",  "--dst-nat=1.1.1.1:5", "-f",
        "ipv6",      "-m",       "1/2",         "1/",        "/1",         "--label",     "-l",
        "\"a b\"",   "a\"b\"c",  "\"\\\"\"",    "--foo",     "-x",         "--add",       "-U",
    };
    auto t = tokensOf(line);
    const size_t n = t.size();
    const size_t i = n ? rng() % n : 0;
    std::string s;
    switch (rng() % 10) {
    case 0:
        if (n)
            t.erase(t.begin() + static_cast<long>(i));
        return joined(t);
    case 1:
        if (n)
            t.insert(t.begin() + static_cast<long>(i), t[i]);
        return joined(t);
    case 2:
        if (n > 1)
            std::swap(t[i], t[rng() % n]);
        return joined(t);
    case 3:
        if (n)
            t[i] = kOdd[rng() % std::size(kOdd)];
        return joined(t);
    case 4:
        t.insert(t.begin() + static_cast<long>(n ? i : 0), kOdd[rng() % std::size(kOdd)]);
        return joined(t);
    case 5: // "--opt value" -> "--opt=value"
        if (n > 1 && i + 1 < n && t[i].rfind("--", 0) == 0) {
            t[i] += "=" + t[i + 1];
            t.erase(t.begin() + static_cast<long>(i) + 1);
        }
        return joined(t);
    case 6: // quoted token
        if (n)
            t[i] = "\"" + t[i] + "\"";
        return joined(t);
    case 7:
        s = line;
        if (!s.empty())
            s[rng() % s.size()] = static_cast<char>(rng());
        return s;
    case 8:
        return line.substr(0, line.empty() ? 0 : rng() % line.size());
    default:
        s = line;
        s.insert(s.empty() ? 0 : rng() % s.size(), 1, "\t\n\r\"\\= -"[rng() % 9]);
        return s;
    }
}

} // namespace

TEST(SaveFast, RandomEntriesMatchReference)
{
    for (uint64_t seed = 0; seed < 3000; ++seed) {
        const std::string line = save(randomEntry(seed));
        ASSERT_TRUE(sameAsReference(line)) << line;
        auto r = parseSaveLine(line);
        ASSERT_TRUE(r.ok() && r->has_value()) << line;
        EXPECT_EQ(save((*r)->entry), line);
    }
}

TEST(SaveFast, MutationsMatchReference)
{
    auto map = LabelMap::parse("3 three\n40 forty\n");
    SaveParseOptions withLabels;
    withLabels.labels = &*map;
    std::mt19937_64 rng(11);
    size_t accepted = 0, rejected = 0;
    for (uint64_t seed = 0; seed < 4000; ++seed) {
        std::string line = save(randomEntry(seed));
        for (int round = 0; round < 6; ++round) {
            line = mutate(line, rng);
            ASSERT_TRUE(sameAsReference(line)) << "seed " << seed << ": " << line;
            ASSERT_TRUE(sameAsReference(line, withLabels)) << "seed " << seed << ": " << line;
            (parseSaveLine(line).ok() ? accepted : rejected)++;
        }
    }
    // The mutations reach both sides of the parser.
    EXPECT_GT(accepted, 1000u);
    EXPECT_GT(rejected, 1000u);
}

TEST(SaveFast, TruncatedLinesMatchReference)
{
    const std::string lines[] = {
        save(randomEntry(1)),
        "-A -t 29 -u SEEN_REPLY,ASSURED -s 10.7.0.1 -d 10.7.0.2 -r 10.7.0.2 -n 10.9.9.9 -p tcp --sport 5 --dport 6 --reply-port-src 6 --reply-port-dst 5 --state TIME_WAIT",
        "-A -t 29 -u UNSET -s fe80::1 -d ff02::1 -r ff02::1 -q fe80::1 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 9",
        "--create --protonum=udp --timeout=30 --orig-src=1.1.1.1 --orig-dst \"2.2.2.2\" --sport=7 --dport=8 --zone=3 -m 0x10/0xff",
        "-D conntrack -p sctp -s 1.1.1.1 --orig-vtag 5 --state ESTABLISHED",
    };
    for (const std::string& line : lines)
        for (size_t n = 0; n <= line.size(); ++n)
            ASSERT_TRUE(sameAsReference(std::string_view(line).substr(0, n))) << line.substr(0, n);
}

TEST(SaveFast, HostileInputGivesClearErrors)
{
    const std::string ok = "-A -t 1 -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2";
    auto expectError = [](std::string_view line, const std::string& message) {
        auto r = parseSaveLine(line);
        ASSERT_FALSE(r.ok()) << line.substr(0, 80);
        EXPECT_EQ(r.error().code, EINVAL);
        EXPECT_EQ(r.error().message, message);
        EXPECT_TRUE(sameAsReference(line)) << line.substr(0, 80);
    };
    // Huge numbers: never wrapped, always named.
    expectError(ok + " -t 18446744073709551616", "Invalid value `18446744073709551616' for `-t'");
    expectError("-A -t 99999999999999999999999999 -s 1.1.1.1 -d 2.2.2.2 -p udp", "Invalid value `99999999999999999999999999' for `-t'");
    expectError(ok + " -m 0xffffffff/0x1ffffffff", "Invalid value `0x1ffffffff' for `-m'");
    expectError("-A -t 1 -s 1.1.1.1 -d 2.2.2.2 -p 256", "`256' unsupported protocol");
    expectError("-A -t 1 -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 0x10000", "Invalid value `0x10000' for `--sport'");
    // NUL bytes anywhere, in a plain or in a quoted token.
    expectError(std::string("-A -t 1\0", 8), "NUL byte in line");
    expectError(std::string("\0", 1), "NUL byte in line");
    expectError(std::string("-A -s \"1.1\0.1.1\"", 16), "NUL byte in line");
    // Long parameters and lines: conntrack's limits (1023, 254 arguments, 10239 bytes).
    expectError("-A -s " + std::string(1024, '1'), "Parameter too long!");
    expectError("-A -s \"" + std::string(1024, '1') + "\"", "Parameter too long!");
    EXPECT_TRUE(sameAsReference("-A -s " + std::string(1023, '1')));
    expectError(std::string(10240, ' '), "line too long");
    expectError("-A " + std::string(10237, 'x'), "line too long");
    {
        std::string many = "-F";
        for (int i = 0; i < 253; ++i)
            many += " -x";
        expectError(many, "unknown option `-x'");
        expectError(many + " -x", "too many arguments");
    }
    // 253 arguments that split at '=' into 501: fine (conntrack counts them before).
    {
        std::string line = "-D -p tcp -s 1.1.1.1";
        for (int i = 0; i < 124; ++i)
            line += " --sport=1 --dport=2";
        EXPECT_TRUE(sameAsReference(line));
        EXPECT_TRUE(parseSaveLine(line).ok());
    }
    // A 10k line of valid options: ports written with 1000 leading zeros (octal 1).
    {
        std::string line = "-D -p tcp -s 1.1.1.1";
        for (int i = 0; i < 10; ++i)
            line += " --sport \"" + std::string(1000, '0') + "1\"";
        ASSERT_GT(line.size(), 10000u);
        EXPECT_TRUE(sameAsReference(line));
        EXPECT_TRUE(parseSaveLine(line).ok());
    }
    expectError("\"", "unterminated quote");
    expectError("-A \"-t", "unterminated quote");
    expectError("-A -t 1 -s \"1.1.1.1", "unterminated quote");
    expectError("-A --=1", "unknown option `--'");
    expectError("-A --sport=", "unknown option `--sport'");
    expectError("-A -p tcp --sport=", "Invalid value `' for `--sport'");
    expectError("-A -p tcp --sport", "option `--sport' requires an argument");
    expectError("-A -p gre --sport 1", "unknown option `--sport' for protocol gre");
    expectError("-A -p tcp --srckey 1", "unknown option `--srckey' for protocol tcp");
    expectError("-A -p icmp --icmpv6-type 1", "unknown option `--icmpv6-type' for protocol icmp");
    expectError("-A -n [::1", "Invalid NAT address `[::1' for `-n'");
    expectError("-A -g 1.1.1.1:0", "Invalid port `0'");
    expectError("-A -s 010.1.1.1 -d 2.2.2.2 -s 1.1.1.1.1", "Invalid IP address `1.1.1.1.1' for `-s'");
}

TEST(SaveFast, Ipv4FastPathAgreesWithInetAton)
{
    // Dotted quads the fast path takes, and forms only inet_aton reads (octal, hex, short).
    const char* const addrs[] = {"0.0.0.0", "1.2.3.4", "255.255.255.255", "10.0.0.1", "198.18.255.0",
                                 "010.1.1.1", "0x7f.1", "10.1", "127.1.2", "4294967295", "1.2.3.04",
                                 "1.2.3.256", "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.4 ", "1234.1.1.1"};
    for (const char* a : addrs) {
        const std::string line = std::string("-A -t 1 -p udp -s ") + a + " -d 2.2.2.2 --sport 1 --dport 2";
        EXPECT_TRUE(sameAsReference(line)) << a;
    }
    auto r = parseSaveLine("-A -t 1 -p udp -s 010.1.1.1 -d 2.2.2.2 --sport 1 --dport 2");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->entry.orig.src, v4("8.1.1.1"));
}
