// Expectations. The kernel in the test namespace refuses userspace expectations without a
// helper, so these strings come from libnetfilter_conntrack 1.0.9's nfexp_snprintf (what
// conntrack -L expect calls) on the netlink message of each expectation.
#include "builders.hpp"
#include "format/formatter.hpp"

#include <gtest/gtest.h>

using namespace ctd;
using namespace ctd::test;

namespace {

Tuple tcpTuple(std::string_view src, std::string_view dst, uint16_t sport, uint16_t dport)
{
    Tuple t;
    t.src = addr(src);
    t.dst = addr(dst);
    t.protocol = 6;
    t.sport = sport;
    t.dport = dport;
    return t;
}

Expectation ftpData()
{
    Expectation x;
    x.family = 2;
    x.master = tcpTuple("10.0.0.1", "10.0.0.2", 40000, 21);
    x.tuple = tcpTuple("10.0.0.1", "10.0.0.2", 0, 50000);
    x.mask = tcpTuple("255.255.255.255", "255.255.255.255", 0, 0xffff);
    x.timeout = 300;
    return x;
}

} // namespace

TEST(Expectation, Default)
{
    EXPECT_EQ(formatExpectation(ftpData(), FormatOptions{}),
              "300 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50000 mask-src=255.255.255.255 "
              "mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.0.1 master-dst=10.0.0.2 "
              "sport=40000 dport=21\n");
}

TEST(Expectation, ExtendedAndIdChangeNothing)
{
    EXPECT_EQ(formatExpectation(ftpData(), *parseFormatSpec("extended,id")),
              formatExpectation(ftpData(), FormatOptions{}));
}

TEST(Expectation, AllFields)
{
    Expectation x = ftpData();
    x.zone = 7;
    x.flags = 7;
    x.helper = "ftp";
    x.expectClass = 1;
    x.fn = "sip-fn";
    EXPECT_EQ(formatExpectation(x, FormatOptions{}),
              "300 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50000 mask-src=255.255.255.255 "
              "mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.0.1 master-dst=10.0.0.2 "
              "sport=40000 dport=21 zone=7 PERMANENT,INACTIVE,USERSPACE class=1 helper=ftp\n");
    x.flags = 2;
    EXPECT_NE(formatExpectation(x, FormatOptions{}).find(" zone=7 INACTIVE class=1 helper=ftp\n"), std::string::npos);
    x.flags = 0;
    EXPECT_NE(formatExpectation(x, FormatOptions{}).find(" zone=7 class=1 helper=ftp\n"), std::string::npos);
}

TEST(Expectation, XmlListing)
{
    Expectation x = ftpData();
    x.zone = 7;
    x.flags = 7;
    x.helper = "ftp";
    x.expectClass = 1;
    TextBuffer out;
    Formatter fmt(*parseFormatSpec("xml"), Command::List, out);
    fmt.expectation(ftpData());
    fmt.expectation(x);
    fmt.end();
    EXPECT_EQ(out.str(),
              "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<expect>\n"
              "<flow><layer3 protonum=\"2\" protoname=\"ipv4\"><expected><src>10.0.0.1</src><dst>10.0.0.2</dst></expected><mask><src>255.255.255.255</src><dst>255.255.255.255</dst></mask><master><src>10.0.0.1</src><dst>10.0.0.2</dst></master></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><expected><sport>0</sport><dport>50000</dport></expected><mask><sport>0</sport><dport>65535</dport></mask><master><sport>40000</sport><dport>21</dport></master></layer4><meta><timeout>300</timeout></meta></flow>\n"
              "<flow><layer3 protonum=\"2\" protoname=\"ipv4\"><expected><src>10.0.0.1</src><dst>10.0.0.2</dst></expected><mask><src>255.255.255.255</src><dst>255.255.255.255</dst></mask><master><src>10.0.0.1</src><dst>10.0.0.2</dst></master></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><expected><sport>0</sport><dport>50000</dport></expected><mask><sport>0</sport><dport>65535</dport></mask><master><sport>40000</sport><dport>21</dport></master></layer4><meta><helper-name>ftp</helper-name><timeout>300</timeout><class>1</class><zone>7</zone><permanent/><inactive/><userspace/></meta></flow>\n"
              "</expect>\n");
}

TEST(Expectation, Events)
{
    TextBuffer out;
    Formatter fmt(FormatOptions{}, Command::Events, out);
    EventInfo info;
    info.type = EventType::New;
    fmt.expectationEvent(ftpData(), info);
    info.type = EventType::Destroy;
    fmt.expectationEvent(ftpData(), info);
    EXPECT_EQ(out.str(),
              "    [NEW] 300 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.0.1 master-dst=10.0.0.2 sport=40000 dport=21\n"
              "[DESTROY] 300 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=50000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.0.1 master-dst=10.0.0.2 sport=40000 dport=21\n");
}

TEST(Expectation, TimestampPrefixIsLeftJustified)
{
    // conntrack prints expectation times with "[%-8ld.%-6ld]\t": blanks, not zeros.
    TextBuffer out;
    Formatter fmt(*parseFormatSpec("timestamp"), Command::Events, out);
    EventInfo info;
    info.type = EventType::New;
    info.sec = 1700000000;
    info.usec = 42;
    fmt.expectationEvent(ftpData(), info);
    EXPECT_EQ(out.str().substr(0, 30), "[1700000000.42    ]\t    [NEW] ");
}

TEST(Expectation, HelperNameTruncatedLikeLibnetfilter)
{
    Expectation x = ftpData();
    x.helper = "system_u:object_r:unlabeled_t:s0";
    EXPECT_NE(formatExpectation(x, FormatOptions{}).find(" helper=system_u:object\n"), std::string::npos);
}

TEST(Stats, CpuLinesLikeConntrack)
{
    // conntrack -S and conntrack -S expect in the test namespace.
    CpuStats ct;
    ct.cpu = 1;
    const uint32_t values[][2] = {{2, 0}, {4, 0}, {8, 168}, {9, 0}, {10, 0}, {11, 0},
                                  {12, 0}, {13, 0}, {14, 0}, {15, 0}};
    for (const auto& [attr, v] : values)
        ct.values[attr] = v;
    EXPECT_EQ(formatCpuStats(ct),
              "cpu=1   \tfound=0 invalid=0 insert=168 insert_failed=0 drop=0 early_drop=0 error=0 "
              "search_restart=0 clash_resolve=0 chaintoolong=0 \n");
    ct.values[16] = 7;
    EXPECT_NE(formatCpuStats(ct).find("chaintoolong=0 unknown1=7 \n"), std::string::npos);
    CpuStats exp;
    exp.values[1] = 0;
    exp.values[2] = 0;
    exp.values[3] = 0;
    EXPECT_EQ(formatExpectCpuStats(exp), "cpu=0   \texpect_new=0 expect_create=0 expect_delete=0 \n");
}
