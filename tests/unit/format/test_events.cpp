// conntrack -E output. Expected text printed by conntrack 1.4.7 -E in a namespace while
// another conntrack -I/-U/-D changed the entry (the portid is that process's netlink port).
#include "builders.hpp"
#include "format/formatter.hpp"

#include <gtest/gtest.h>

using namespace ctd;
using namespace ctd::test;

namespace {

FormatOptions opts(std::string_view spec) { return *parseFormatSpec(spec); }

Entry synSent(uint32_t timeout, uint32_t mark)
{
    Entry e = portEntry(6, "192.0.2.9", "198.18.0.9", 10, 20);
    e.tcp.emplace();
    e.tcp->state = 1;
    e.timeout = timeout;
    e.status = 0x8;
    e.mark = mark;
    e.id = 3601394583;
    return e;
}

std::string run(const FormatOptions& o, const std::vector<std::pair<Entry, EventInfo>>& events)
{
    TextBuffer out;
    Formatter fmt(o, Command::Events, out);
    fmt.begin();
    for (const auto& [e, info] : events)
        fmt.event(e, info);
    fmt.end();
    return out.str();
}

EventInfo ev(EventType t, uint32_t portid, std::string_view prog = {}, int64_t sec = 0, int64_t usec = 0)
{
    EventInfo i;
    i.type = t;
    i.portid = portid;
    i.progname = prog;
    i.sec = sec;
    i.usec = usec;
    return i;
}

} // namespace

TEST(Events, DefaultWithPrefixesAndUserspace)
{
    EXPECT_EQ(run(opts(""), {{synSent(60, 0), ev(EventType::New, 4747)},
                             {synSent(59, 3), ev(EventType::Update, 3421790836)},
                             {synSent(59, 3), ev(EventType::Destroy, 2284545938, "conntrack")}}),
              "    [NEW] tcp      6 60 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=0 [USERSPACE] portid=4747\n"
              " [UPDATE] tcp      6 59 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=3 [USERSPACE] portid=3421790836\n"
              "[DESTROY] tcp      6 59 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=3 [USERSPACE] portid=2284545938 progname=conntrack\n");
}

TEST(Events, KernelEventsHaveNoUserspaceSuffix)
{
    EXPECT_EQ(run(opts("userspace"), {{synSent(60, 0), ev(EventType::New, 0)}}),
              "    [NEW] tcp      6 60 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=0\n");
}

TEST(Events, TimestampPrefix)
{
    EXPECT_EQ(run(opts("timestamp"), {{synSent(60, 0), ev(EventType::New, 4785, {}, 1796159792, 893893)},
                                      {synSent(59, 3), ev(EventType::Update, 2665592529, {}, 1796159792, 906266)},
                                      {synSent(59, 3), ev(EventType::Destroy, 3946110446, {}, 1796159792, 930016)}}),
              "[1796159792.893893]\t    [NEW] tcp      6 60 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=0 [USERSPACE] portid=4785\n"
              "[1796159792.906266]\t [UPDATE] tcp      6 59 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=3 [USERSPACE] portid=2665592529\n"
              "[1796159792.930016]\t[DESTROY] tcp      6 59 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=3 [USERSPACE] portid=3946110446\n");
    // printf("%-.6ld") zero-pads the microseconds.
    EXPECT_EQ(run(opts("timestamp"), {{synSent(60, 0), ev(EventType::New, 0, {}, 1700000000, 42)}}).substr(0, 20),
              "[1700000000.000042]\t");
}

TEST(Events, ExtendedIdTimestamp)
{
    EXPECT_EQ(run(opts("extended,id,timestamp"), {{synSent(60, 0), ev(EventType::New, 4803, {}, 1796159794, 900223)}}),
              "[1796159794.900223]\t    [NEW] ipv4     2 tcp      6 60 SYN_SENT src=192.0.2.9 dst=198.18.0.9 sport=10 dport=20 [UNREPLIED] src=198.18.0.9 dst=192.0.2.9 sport=20 dport=10 mark=0 id=3601394583 [USERSPACE] portid=4803\n");
}

TEST(Events, Save)
{
    EXPECT_EQ(run(opts("save"), {{synSent(60, 0), ev(EventType::New, 4900)},
                                 {synSent(59, 3), ev(EventType::Update, 3805459024)},
                                 {synSent(59, 3), ev(EventType::Destroy, 3690682980)}}),
              "-A -t 60 -u UNSET -s 192.0.2.9 -d 198.18.0.9 -r 198.18.0.9 -q 192.0.2.9 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state SYN_SENT [USERSPACE] portid=4900\n"
              "-U -t 59 -u UNSET -s 192.0.2.9 -d 198.18.0.9 -r 198.18.0.9 -q 192.0.2.9 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state SYN_SENT [USERSPACE] portid=3805459024\n"
              "-D -t 59 -u UNSET -s 192.0.2.9 -d 198.18.0.9 -r 198.18.0.9 -q 192.0.2.9 -p tcp --sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state SYN_SENT [USERSPACE] portid=3690682980\n");
}

TEST(Events, XmlWithWhen)
{
    Entry e = synSent(60, 0);
    e.id = 2799888136;
    // conntrack -E -o xml,timestamp at 21:16:40 UTC; the footer comes when the stream ends.
    EXPECT_EQ(run(opts("xml,timestamp"), {{e, ev(EventType::New, 4916, {}, 1796159800, 0)}}),
              "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n"
              "<flow type=\"new\"><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>192.0.2.9</src><dst>198.18.0.9</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport><dport>20</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>198.18.0.9</src><dst>192.0.2.9</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport><dport>10</dport></layer4></meta><meta direction=\"independent\"><state>SYN_SENT</state><timeout>60</timeout><mark>0</mark><id>2799888136</id><unreplied/></meta><when><hour>21</hour><min>16</min><sec>40</sec><wday>3</wday><day>1</day><month>12</month><year>2026</year></when></flow> [USERSPACE] portid=4916\n"
              "</conntrack>\n");
}

TEST(Events, DeleteCommandSave)
{
    // conntrack -D ... -o save
    Entry e = portEntry(6, "10.0.0.1", "10.0.0.2", 1, 2);
    e.tcp.emplace();
    e.tcp->state = 3;
    e.timeout = 29;
    e.status = 0x8;
    TextBuffer out;
    Formatter fmt(opts("save"), Command::Delete, out);
    fmt.entry(e);
    EXPECT_EQ(out.str(), "-D -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED\n");
}
