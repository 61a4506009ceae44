#include "format/text_buffer.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <unistd.h>

using namespace ctd;

TEST(TextBuffer, Integers)
{
    TextBuffer b(64);
    for (uint64_t v : {0ull, 1ull, 9ull, 10ull, 99ull, 100ull, 65535ull, 4294967295ull,
                       18446744073709551615ull}) {
        b.clear();
        b.appendDecimal(v);
        EXPECT_EQ(b.str(), std::to_string(v));
    }
    std::mt19937_64 rng(1);
    for (int i = 0; i < 100000; ++i) {
        const uint64_t v = rng() >> (rng() % 64);
        b.clear();
        b.appendDecimal(v);
        ASSERT_EQ(b.str(), std::to_string(v));
        b.clear();
        b.appendHex(v);
        char hex[32];
        std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(v));
        ASSERT_EQ(b.str(), hex);
    }
    b.clear();
    b.appendSigned(INT64_MIN);
    EXPECT_EQ(b.str(), std::to_string(INT64_MIN));
    b.clear();
    b.appendDecimalPadded(42, 6);
    EXPECT_EQ(b.str(), "000042");
    b.clear();
    b.appendPadded("tcp", 8);
    EXPECT_EQ(b.str(), "tcp     ");
    b.clear();
    b.appendPadded("udplite1x", 8);
    EXPECT_EQ(b.str(), "udplite1x");
}

namespace {

std::string libcNtop(int af, const uint8_t* bytes)
{
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(af, bytes, buf, sizeof buf);
}

std::string mine(int af, const uint8_t* bytes)
{
    TextBuffer b(64);
    if (af == AF_INET)
        b.appendIpv4(bytes);
    else
        b.appendIpv6(bytes);
    return b.str();
}

} // namespace

TEST(TextBuffer, Ipv6MatchesInetNtopOnEveryZeroPattern)
{
    // All 256 patterns of zero / non-zero words, with two non-zero values, plus the IPv4
    // tails (::a.b.c.d, ::ffff:a.b.c.d) that inet_ntop prints dotted.
    for (unsigned pattern = 0; pattern < 256; ++pattern) {
        for (uint16_t value : {uint16_t(1), uint16_t(0xffff), uint16_t(0x0db8)}) {
            uint8_t a[16] = {};
            for (int w = 0; w < 8; ++w)
                if (pattern & (1u << w)) {
                    a[2 * w] = value >> 8;
                    a[2 * w + 1] = value & 0xff;
                }
            ASSERT_EQ(mine(AF_INET6, a), libcNtop(AF_INET6, a)) << pattern << " " << value;
        }
    }
    const char* texts[] = {"::ffff:1.2.3.4", "::1.2.3.4", "::0.0.0.1", "::1", "::", "::ffff:0:0",
                           "::ffff:0.0.0.0", "0:0:0:0:0:fffe:1.2.3.4", "1::", "1:2:3:4:5:6:7:8",
                           "1:0:0:2::3", "1::2:0:0:3", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
                           "fe80::1:0:0:0", "0:1::", "::0.1.0.0", "64:ff9b::192.0.2.1"};
    for (const char* t : texts) {
        uint8_t a[16];
        ASSERT_EQ(inet_pton(AF_INET6, t, a), 1) << t;
        EXPECT_EQ(mine(AF_INET6, a), libcNtop(AF_INET6, a)) << t;
    }
}

TEST(TextBuffer, RandomAddressesMatchInetNtop)
{
    std::mt19937_64 rng(2);
    for (int i = 0; i < 200000; ++i) {
        uint8_t a[16];
        const int zeroPct = static_cast<int>(rng() % 100);
        for (auto& byte : a)
            byte = static_cast<int>(rng() % 100) < zeroPct ? 0 : static_cast<uint8_t>(rng());
        ASSERT_EQ(mine(AF_INET6, a), libcNtop(AF_INET6, a));
        ASSERT_EQ(mine(AF_INET, a), libcNtop(AF_INET, a));
    }
}

TEST(TextBuffer, GrowsPastThreshold)
{
    TextBuffer b(16);
    std::string want;
    for (int i = 0; i < 10000; ++i) {
        b.append("abcdefghij");
        b.appendDecimal(static_cast<uint64_t>(i));
        want += "abcdefghij" + std::to_string(i);
    }
    EXPECT_TRUE(b.wantsFlush());
    EXPECT_EQ(b.str(), want);
    b.dropLast(3);
    EXPECT_EQ(b.size(), want.size() - 3);
    b.dropLast(1u << 30);
    EXPECT_TRUE(b.empty());
}

TEST(TextBuffer, FlushWritesEverythingThroughAPipe)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    TextBuffer b;
    std::string want;
    for (int i = 0; i < 1000; ++i)
        want += "line " + std::to_string(i) + "\n";
    b.append(want);
    ASSERT_TRUE(b.flushTo(fds[1]).ok());
    EXPECT_TRUE(b.empty());
    close(fds[1]);
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        got.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    EXPECT_EQ(got, want);
}

TEST(TextBuffer, EagainKeepsTheRestAndResumes)
{
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_NONBLOCK), 0);
    const int pipeSize = fcntl(fds[1], F_GETPIPE_SZ);
    ASSERT_GT(pipeSize, 0);
    TextBuffer b;
    std::string want;
    for (int i = 0; static_cast<int>(want.size()) < pipeSize * 3; ++i)
        want += "entry " + std::to_string(i) + "\n";
    b.append(want);
    auto r = b.flushTo(fds[1]);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EAGAIN);
    EXPECT_EQ(b.size(), want.size() - static_cast<size_t>(pipeSize));

    std::string got;
    char buf[65536];
    while (!b.empty()) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n > 0)
            got.append(buf, static_cast<size_t>(n));
        auto again = b.flushTo(fds[1]);
        if (!again.ok()) {
            ASSERT_EQ(again.error().code, EAGAIN);
        }
    }
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        got.append(buf, static_cast<size_t>(n));
    EXPECT_EQ(got, want);
    close(fds[0]);
    close(fds[1]);
}

TEST(TextBuffer, EpipeIsReported)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    TextBuffer b;
    b.append("x");
    auto r = b.flushTo(fds[1]);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EPIPE);
    close(fds[1]);
}
