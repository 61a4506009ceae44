#include "format/label_map.hpp"

#include <gtest/gtest.h>

using namespace ctd;

TEST(LabelMap, ParsesLikeLibnetfilter)
{
    auto m = LabelMap::parse("# comment\n0 zero\n 1   one  \n0x2 two\n010 eight\n3 bad;name\n"
                             "4\n5 five\n5 again\n6 five\n1024 toolarge\nxyz\n7\tseven\r\n");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(*m->name(0), "zero");
    EXPECT_EQ(*m->name(1), "one");
    EXPECT_EQ(*m->name(2), "two");
    EXPECT_EQ(*m->name(8), "eight");
    EXPECT_EQ(m->name(3), nullptr);
    EXPECT_EQ(m->name(4), nullptr);
    EXPECT_EQ(*m->name(5), "five");
    EXPECT_EQ(m->name(6), nullptr); // name already used
    EXPECT_EQ(*m->name(7), "seven");
    EXPECT_EQ(m->bit("eight"), 8u);
    EXPECT_FALSE(m->bit("nine"));
}

TEST(LabelMap, EmptyOrMissingIsAnError)
{
    EXPECT_FALSE(LabelMap::parse("# nothing\n").ok());
    auto r = LabelMap::load("/nonexistent/connlabel.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ENOENT);
}

TEST(LabelMap, HostileBytes)
{
    std::string junk;
    for (int i = 0; i < 4096; ++i)
        junk += static_cast<char>((i * 7919) & 0xff);
    (void)LabelMap::parse(junk); // must not crash
    (void)LabelMap::parse(std::string(100000, '9'));
}

TEST(LabelBits, WordsInHostOrder)
{
    std::vector<uint8_t> b;
    setLabelBit(b, 0);
    setLabelBit(b, 33);
    EXPECT_EQ(b.size(), 8u);
    EXPECT_TRUE(labelBitSet(b, 0));
    EXPECT_TRUE(labelBitSet(b, 33));
    EXPECT_FALSE(labelBitSet(b, 1));
    EXPECT_FALSE(labelBitSet(b, 64));
    EXPECT_EQ(labelBitCount(b), 64u);
    std::vector<uint8_t> odd(5, 0xff); // not whole words: the tail is ignored
    EXPECT_FALSE(labelBitSet(odd, 32));
}
