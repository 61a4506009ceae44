// -o parsing; accepted and rejected words checked against conntrack 1.4.7 -L -o WORD.
#include "format/formatter.hpp"

#include <gtest/gtest.h>

using namespace ctd;

TEST(FormatSpec, Empty)
{
    auto r = parseFormatSpec("");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, FormatOptions{});
}

TEST(FormatSpec, Combinations)
{
    auto r = parseFormatSpec("extended,id,timestamp");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OutputKind::Default);
    EXPECT_TRUE(r->extended && r->id && r->timestamp);
    EXPECT_FALSE(r->ktimestamp || r->labels || r->userspace);

    r = parseFormatSpec("xml,ktimestamp,labels,userspace");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OutputKind::Xml);
    EXPECT_TRUE(r->ktimestamp && r->labels && r->userspace);

    r = parseFormatSpec("save");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OutputKind::Save);
    EXPECT_TRUE(parseFormatSpec("save,userspace").ok()); // userspace sets no bit in 1.4.7

    r = parseFormatSpec("json");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OutputKind::Json);
}

TEST(FormatSpec, PrefixesAndCase)
{
    // conntrack compares with strncasecmp(word, keyword, strlen(word)).
    auto r = parseFormatSpec("Ext,X,i,k,l,t,u,sa");
    ASSERT_FALSE(r.ok()); // save with others
    r = parseFormatSpec("Ext,X,i,k,l,t,u");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->extended && r->id && r->ktimestamp && r->labels && r->timestamp && r->userspace);
    EXPECT_EQ(r->kind, OutputKind::Xml);
}

TEST(FormatSpec, SrcNatDstNatWarn)
{
    // "-o s" matches SRC_NAT before save: conntrack warns and ignores it.
    auto r = parseFormatSpec("s,extended");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_EQ(r->warnings[0], "WARNING: ignoring SRC_NAT, use --src-nat instead");
    EXPECT_TRUE(r->extended);
    r = parseFormatSpec("dst_nat");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->warnings.at(0), "WARNING: ignoring DST_NAT, use --dst-nat instead");
}

TEST(FormatSpec, RejectedLikeConntrack)
{
    struct Case {
        const char* spec;
        const char* message;
    } cases[] = {
        {"default", "Bad parameter `default'"},
        {"zone", "Bad parameter `zone'"},
        {"extended,,id", "Bad parameter `,id'"},
        {",", "Bad parameter `,'"},
        {"extended,", "Bad parameter `'"},
        {"extendedx", "Bad parameter `extendedx'"},
        {"foo,id", "Bad parameter `foo,id'"},
        {"id,foo", "Bad parameter `foo'"},
        {"xml,save", "cannot combine save output with any other output type, use -o save only"},
        {"save,id", "cannot combine save output with any other output type, use -o save only"},
        {"json,id", "Bad parameter `json,id'"},
    };
    for (const auto& c : cases) {
        auto r = parseFormatSpec(c.spec);
        ASSERT_FALSE(r.ok()) << c.spec;
        EXPECT_EQ(r.error().code, EINVAL);
        if (std::string_view(c.spec) != "json,id") {
            EXPECT_EQ(r.error().message, c.message) << c.spec;
        }
    }
    EXPECT_FALSE(parseFormatSpec(std::string_view("x\0l", 3)).ok());
}
