// Hostile input: truncated, mutated and random datagrams never crash or read out of
// bounds (run under -Db_sanitize=address to check the latter), and each framing or
// payload error lands in the counter conntrackd would bump.
#include "golden_file.hpp"
#include "sync/wire/sync_wire.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace ctd;
using namespace ctd::sync;
using namespace ctd::sync::test;

namespace {

std::vector<Datagram> allGoldens()
{
    std::vector<Datagram> all;
    for (const char* f : {"udp-ftfw-events.bin", "udp-ftfw-bulk.bin", "udp-notrack-events.bin",
                          "mcast-ftfw-events.bin", "udp-ftfw-traffic.bin"}) {
        auto d = readGolden(f);
        all.insert(all.end(), d.begin(), d.end());
    }
    return all;
}

// decode from a heap copy of exactly n bytes, so ASan sees any overread
DecodeResult decodeExact(const uint8_t* p, size_t n)
{
    std::vector<uint8_t> copy(p, p + n);
    auto r = decodeDatagram(copy.empty() ? nullptr : copy.data(), copy.size());
    EXPECT_EQ(r.malformed.total() > 0, !r.firstError.empty());
    return r;
}

std::vector<uint8_t> header(uint8_t b0, uint8_t flags, uint16_t len, uint32_t seq = 1)
{
    return {b0, flags, uint8_t(len >> 8), uint8_t(len), uint8_t(seq >> 24), uint8_t(seq >> 16), uint8_t(seq >> 8),
            uint8_t(seq)};
}

// A valid UDP ct message with one extra attribute appended.
std::vector<uint8_t> udpWith(std::vector<uint8_t> extra)
{
    std::vector<uint8_t> m = header(0x10, 0, 0);
    std::vector<uint8_t> attrs = {0, 12, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, // NTA_IPV4
                                  0, 5,  0, 2, 17,  0,  0, 0}; // NTA_L4PROTO udp
    m.insert(m.end(), attrs.begin(), attrs.end());
    m.insert(m.end(), extra.begin(), extra.end());
    m[2] = uint8_t(m.size() >> 8);
    m[3] = uint8_t(m.size());
    return m;
}

} // namespace

TEST(SyncWireRobust, EveryTruncationIsSafe)
{
    for (const auto& d : allGoldens()) {
        for (size_t n = 0; n < d.size(); ++n) {
            auto r = decodeExact(d.data(), n);
            if (n > 0) {
                EXPECT_GT(r.malformed.total() + r.messages.size(), 0u);
            }
        }
    }
}

TEST(SyncWireRobust, TruncatedDatagramKeepsEarlierMessages)
{
    auto d = readGolden("udp-ftfw-bulk.bin");
    ASSERT_FALSE(d.empty());
    auto r = decodeExact(d[0].data(), d[0].size() - 10);
    EXPECT_EQ(r.messages.size(), 16u); // 17 packed, the last one cut
    EXPECT_EQ(r.malformed.badSize, 1u);
}

TEST(SyncWireRobust, MutatedGoldens)
{
    auto all = allGoldens();
    ASSERT_FALSE(all.empty());
    std::mt19937 rng(12345);
    for (int i = 0; i < 100000; ++i) {
        Datagram d = all[rng() % all.size()];
        int flips = 1 + int(rng() % 4);
        for (int k = 0; k < flips; ++k)
            d[rng() % d.size()] = uint8_t(rng());
        if (rng() % 4 == 0)
            d.resize(rng() % (d.size() + 1));
        decodeExact(d.data(), d.size());
    }
}

TEST(SyncWireRobust, RandomBytes)
{
    std::mt19937 rng(777);
    for (int i = 0; i < 20000; ++i) {
        Datagram d(rng() % 200);
        for (auto& b : d)
            b = uint8_t(rng());
        if (d.size() >= 4 && rng() % 2) {
            d[0] = 0x10 | uint8_t(rng() % 6); // plausible header
            d[1] = 0;
            d[2] = uint8_t(d.size() >> 8);
            d[3] = uint8_t(d.size());
        }
        decodeExact(d.data(), d.size());
    }
}

TEST(SyncWireRobust, FramingErrors)
{
    auto r = decodeExact(header(0x1a, 0x10, 8).data(), 5);
    EXPECT_EQ(r.malformed.truncated, 1u);
    EXPECT_NE(r.firstError.find("truncated"), std::string::npos);

    auto zero = header(0x1a, 0x10, 0);
    r = decodeExact(zero.data(), zero.size());
    EXPECT_EQ(r.malformed.badSize, 1u);

    auto big = header(0x1a, 0x10, 9);
    r = decodeExact(big.data(), big.size());
    EXPECT_EQ(r.malformed.badSize, 1u);

    auto shortAck = header(0x1a, 0x08, 8); // ACK needs 16 bytes: len too small...
    shortAck.resize(16, 0);
    r = decodeExact(shortAck.data(), shortAck.size());
    EXPECT_EQ(r.malformed.badSize, 1u);
    auto truncAck = header(0x1a, 0x08, 8); // ... or the datagram too short
    r = decodeExact(truncAck.data(), truncAck.size());
    EXPECT_EQ(r.malformed.truncated, 1u);

    auto under = header(0x10, 0, 4);
    r = decodeExact(under.data(), under.size());
    EXPECT_EQ(r.malformed.badSize, 1u);
}

TEST(SyncWireRobust, ContentErrorsSkipOnlyTheMessage)
{
    std::vector<uint8_t> d = header(0x2a, 0x10, 8); // version 2
    auto badType = header(0x17, 0, 8); // type 7
    auto noFlags = header(0x1a, 0x20, 8); // control with only HELLO
    auto dataAck = header(0x10, 0x08, 8); // data type with ACK flag
    auto alive = header(0x1a, 0x10, 8, 99);
    for (auto* part : {&badType, &noFlags, &dataAck, &alive})
        d.insert(d.end(), part->begin(), part->end());
    auto r = decodeExact(d.data(), d.size());
    EXPECT_EQ(r.malformed.badVersion, 1u);
    EXPECT_EQ(r.malformed.badType, 3u);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].seq, 99u);
    EXPECT_NE(r.firstError.find("version"), std::string::npos);
}

TEST(SyncWireRobust, AttributeErrors)
{
    auto ok = udpWith({});
    auto r = decodeExact(ok.data(), ok.size());
    EXPECT_EQ(r.malformed.total(), 0u) << r.firstError;
    ASSERT_EQ(r.messages.size(), 1u);

    struct Case {
        std::vector<uint8_t> extra;
        const char* why;
    } cases[] = {
        {{0, 6, 0, 33, 0, 0, 0, 0}, "unknown attribute"}, // NTA_MAX
        {{0, 7, 0, 7, 0, 0, 0, 0}, "wrong size"}, // mark with 3 bytes
        {{0, 3, 0, 7, 0, 0, 0, 0}, "below header"}, // more than 4 bytes left: checked
        {{0, 40, 0, 7, 0, 0, 0, 0}, "beyond message"},
        {{0, 17, 0, 27, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 0, 0, 0, 0}, "helper"},
    };
    for (const auto& c : cases) {
        auto m = udpWith(c.extra);
        r = decodeExact(m.data(), m.size());
        EXPECT_EQ(r.malformed.badPayload, 1u) << c.why;
        EXPECT_TRUE(r.messages.empty()) << c.why;
        EXPECT_NE(r.firstError.find(c.why), std::string::npos) << r.firstError;
    }

    // trailing bytes of 4 or fewer are ignored, as msg2ct's loop does, even a bad header
    auto tail = udpWith({0, 40, 0, 7});
    r = decodeExact(tail.data(), tail.size());
    EXPECT_EQ(r.malformed.total(), 0u) << r.firstError;

    // an unaligned label bitmap is dropped without error (ct_parse_clabel)
    auto lab = udpWith({0, 7, 0, 28, 1, 2, 3, 0});
    r = decodeExact(lab.data(), lab.size());
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_TRUE(r.messages[0].entry->labels.empty());

    // a helper name without NUL stops at the attribute's end
    auto h = udpWith({0, 8, 0, 27, 'f', 't', 'p', 'x'});
    r = decodeExact(h.data(), h.size());
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].entry->helper, std::string("ftpx"));
}

TEST(SyncWireRobust, MissingMandatoryAttributes)
{
    std::vector<uint8_t> m = header(0x12, 0, 16); // CT_DEL with only a status
    std::vector<uint8_t> st = {0, 8, 0, 5, 0, 0, 0, 8};
    m.insert(m.end(), st.begin(), st.end());
    auto r = decodeExact(m.data(), m.size());
    EXPECT_EQ(r.malformed.badPayload, 1u);
    EXPECT_NE(r.firstError.find("mandatory"), std::string::npos);

    std::vector<uint8_t> x = header(0x13, 0, 8); // EXP_NEW without attributes
    r = decodeExact(x.data(), x.size());
    EXPECT_EQ(r.malformed.badPayload, 1u);
}
