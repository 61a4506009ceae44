// Truncated, corrupted and random input must give an Error or a value, never a read
// outside the buffer (run under -Db_sanitize=address to make that visible).
#include "golden.hpp"
#include "netlink/ctnl_parse.hpp"
#include "netlink/netlink_ack.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <random>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

const char* kFiles[] = {"ct-mixed.bin", "ct-traffic.bin", "events.bin", "exp-ftp.bin", "cpu-stats.bin", "stats.bin"};

void parseAll(ByteView m)
{
    (void)parseConntrack(m);
    (void)parseExpectation(m);
    (void)parseCpuStats(m);
    (void)parseGlobalStats(m);
    (void)parseExpectCpuStats(m);
    (void)ackResult(m);
    (void)doneResult(m);
}

void setLen(std::vector<uint8_t>& m)
{
    uint32_t len = uint32_t(m.size());
    std::memcpy(m.data(), &len, 4);
}

// A hand-made ctnetlink message: nlmsghdr (16 bytes, length set) + nfgenmsg (4) followed
// by attrBytes of attribute space, zeroed; the attribute headers go in with putAttrHeader.
std::vector<uint8_t> ctMessage(size_t attrBytes)
{
    std::vector<uint8_t> m(16 + 4 + attrBytes, 0);
    uint16_t type = NFNL_SUBSYS_CTNETLINK << 8;
    std::memcpy(m.data() + 4, &type, 2);
    setLen(m);
    return m;
}

// struct nlattr at offset: nla_len, then nla_type.
void putAttrHeader(std::vector<uint8_t>& m, size_t offset, uint16_t len, uint16_t type)
{
    std::memcpy(m.data() + offset, &len, 2);
    std::memcpy(m.data() + offset + 2, &type, 2);
}

} // namespace

TEST(ParseRobust, EveryTruncationIsHandled)
{
    for (const char* file : kFiles) {
        for (const auto& whole : goldenMessages(file)) {
            for (size_t cut = 0; cut < whole.size(); ++cut) {
                // Exact-size heap copies so a sanitizer sees any overread.
                std::vector<uint8_t> m(whole.begin(), whole.begin() + cut);
                if (m.size() >= 4)
                    setLen(m);
                parseAll(m);
            }
        }
    }
}

TEST(ParseRobust, TruncatedAttributesAreErrors)
{
    auto msgs = goldenMessages("ct-mixed.bin");
    ASSERT_FALSE(msgs.empty());
    size_t errors = 0, cuts = 0;
    for (const auto& whole : msgs) {
        // Cutting inside the attributes (past the 20 header bytes, not on an attribute
        // boundary) must be reported.
        for (size_t cut = 21; cut < whole.size(); cut += 7) {
            std::vector<uint8_t> m(whole.begin(), whole.begin() + cut);
            setLen(m);
            ++cuts;
            if (!parseConntrack(m))
                ++errors;
        }
    }
    EXPECT_GT(errors, cuts / 2);
}

TEST(ParseRobust, RandomCorruptionNeverCrashes)
{
    std::mt19937 rng(1234);
    for (const char* file : kFiles) {
        for (const auto& whole : goldenMessages(file)) {
            for (int round = 0; round < 300; ++round) {
                std::vector<uint8_t> m = whole;
                int flips = 1 + int(rng() % 4);
                for (int i = 0; i < flips; ++i)
                    m[20 + rng() % (m.size() - 20)] = uint8_t(rng());
                parseAll(m);
            }
        }
    }
}

TEST(ParseRobust, RandomBuffersNeverCrash)
{
    std::mt19937 rng(99);
    for (int round = 0; round < 2000; ++round) {
        std::vector<uint8_t> buf(rng() % 300);
        for (auto& b : buf)
            b = uint8_t(rng());
        if (buf.size() >= 4 && round % 2) {
            uint32_t len = uint32_t(rng() % (buf.size() + 1));
            std::memcpy(buf.data(), &len, 4);
        }
        auto r = forEachMessage(buf, [](ByteView m) {
            parseAll(m);
            return true;
        });
        (void)r;
        parseAll(buf);
    }
}

TEST(ParseRobust, ShortFixedSizeAttributeIsAnError)
{
    // nlmsghdr + nfgenmsg + CTA_STATUS with 2 bytes instead of 4.
    std::vector<uint8_t> m = ctMessage(8);
    putAttrHeader(m, 20, 6, CTA_STATUS);
    auto e = parseConntrack(m);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, EBADMSG);
    EXPECT_NE(e.error().message.find("CTA_STATUS"), std::string::npos);
}

TEST(ParseRobust, NestOverrunningItsParentIsAnError)
{
    // CTA_TUPLE_ORIG claims 12 bytes; inside, CTA_TUPLE_IP claims 40.
    std::vector<uint8_t> m = ctMessage(12);
    putAttrHeader(m, 20, 12, CTA_TUPLE_ORIG | NLA_F_NESTED);
    putAttrHeader(m, 24, 40, CTA_TUPLE_IP | NLA_F_NESTED);
    auto e = parseConntrack(m);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, EBADMSG);
}

TEST(ParseRobust, UnknownAttributesAreSkipped)
{
    auto msgs = goldenMessages("ct-mixed.bin");
    ASSERT_FALSE(msgs.empty());
    auto base = parseConntrack(msgs[0]);
    ASSERT_TRUE(base.ok());
    std::vector<uint8_t> m = msgs[0];
    // Append an attribute type no kernel has sent yet.
    uint8_t extra[8] = {8, 0, 200, 0, 1, 2, 3, 4};
    m.insert(m.end(), extra, extra + 8);
    setLen(m);
    auto e = parseConntrack(m);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(*e, *base);
}

TEST(ParseRobust, WrongSubsystemIsRejected)
{
    auto msgs = goldenMessages("exp-ftp.bin");
    ASSERT_FALSE(msgs.empty());
    EXPECT_FALSE(parseConntrack(msgs[0]).ok());
    EXPECT_TRUE(parseExpectation(msgs[0]).ok());
}
