// Events (with loss detection) and expectations against the real kernel.
#include "netlink/conntrack_table.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/event_listener.hpp"
#include "netlink/expectation_table.hpp"
#include "root_env.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <utility>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::roottest;

namespace {

Tuple tcp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport)
{
    Tuple t;
    t.src = addr(src);
    t.dst = addr(dst);
    t.protocol = IPPROTO_TCP;
    t.sport = sport;
    t.dport = dport;
    return t;
}

// A master connection the kernel accepts expectations for: it needs a helper, and FTP's
// is built in.
Entry ftpControl(const std::string& client, const std::string& server, uint16_t clientPort)
{
    Entry master;
    master.family = AF_INET;
    master.orig = tcp(client, server, clientPort, 21);
    master.timeout = 300;
    master.helper = "ftp";
    return master;
}

// The data connection the server opens back to the client, as an expectation of master:
// exact addresses and destination port, any source port.
Expectation ftpData(const Entry& master, uint16_t dport, uint32_t timeout)
{
    Expectation x;
    x.family = AF_INET;
    x.master = master.orig;
    x.tuple = master.orig;
    std::swap(x.tuple.src, x.tuple.dst);
    x.tuple.sport = 0;
    x.tuple.dport = dport;
    x.mask.src = addr("255.255.255.255");
    x.mask.dst = addr("255.255.255.255");
    x.mask.sport = 0;
    x.mask.dport = 0xffff;
    x.timeout = timeout;
    return x;
}

struct Recorder : EventSink {
    std::vector<std::pair<EventType, Entry>> ct;
    std::vector<std::pair<EventType, Expectation>> exp;
    std::vector<uint64_t> losses;
    void conntrackEvent(EventType t, const Entry& e) override { ct.emplace_back(t, e); }
    void expectationEvent(EventType t, const Expectation& x) override { exp.emplace_back(t, x); }
    void eventsLost(uint64_t n) override { losses.push_back(n); }
};

} // namespace

TEST(EventsRoot, NewUpdateDestroy)
{
    conntrack("-F");
    auto evSock = openSocket();
    EventListener listener(*evSock);
    ASSERT_TRUE(listener.subscribe(EventGroup::CtAll).ok());
    conntrack("-I -p udp -s 192.0.2.60 -d 198.18.0.1 --sport 1 --dport 2 -t 50");
    conntrack("-U -p udp -s 192.0.2.60 -d 198.18.0.1 --sport 1 --dport 2 -m 5");
    conntrack("-D -p udp -s 192.0.2.60 -d 198.18.0.1 --sport 1 --dport 2");
    Recorder rec;
    for (int i = 0; i < 20 && rec.ct.size() < 3; ++i)
        ASSERT_TRUE(listener.process(rec, 200).ok());
    ASSERT_EQ(rec.ct.size(), 3u);
    EXPECT_EQ(rec.ct[0].first, EventType::New);
    EXPECT_EQ(rec.ct[1].first, EventType::Update);
    EXPECT_EQ(rec.ct[1].second.mark, 5u);
    EXPECT_EQ(rec.ct[2].first, EventType::Destroy);
    EXPECT_EQ(rec.ct[2].second.orig.src, addr("192.0.2.60"));
    EXPECT_TRUE(rec.losses.empty());
}

TEST(EventsRoot, OverrunIsReportedAsLoss)
{
    conntrack("-F");
    SocketOptions small;
    small.receiveBuffer = 8192; // far too small for a bulk load's events
    auto evSock = openSocket(small);
    EventListener listener(*evSock);
    ASSERT_TRUE(listener.subscribe(EventGroup::CtNew).ok());
    auto sock = openSocket();
    ConntrackTable table(*sock);
    size_t i = 0;
    auto r = table.createMany([&](Entry& e) {
        if (i == 5000)
            return false;
        e.family = AF_INET;
        e.orig = tcp("192.0.2.61", "198.18.0.1", uint16_t(1000 + i), 80);
        e.orig.protocol = IPPROTO_UDP;
        e.timeout = 60;
        ++i;
        return true;
    });
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->done, 5000u);
    Recorder rec;
    ASSERT_TRUE(listener.process(rec, 0).ok());
    EXPECT_EQ(rec.losses, (std::vector<uint64_t>{1}));
    EXPECT_EQ(listener.lossCount(), 1u);
    EXPECT_LT(rec.ct.size(), 5000u);
    conntrack("-F");
}

TEST(ExpectationsRoot, CreateDumpGetDeleteFlush)
{
    conntrack("-F");
    conntrack("-F expect");
    auto sock = openSocket();
    ConntrackTable table(*sock);
    Entry master = ftpControl("192.0.2.70", "198.18.0.70", 40000);
    master.status = 1u << 2;
    master.tcp = TcpInfo{};
    master.tcp->state = 3;
    auto created = table.create(master);
    ASSERT_TRUE(created.ok()) << created.error().message;

    ExpectationTable exps(*sock);
    Expectation x = ftpData(master, 50000, 200);
    x.mask.protocol = IPPROTO_TCP;
    auto r = exps.create(x);
    ASSERT_TRUE(r.ok()) << r.error().message;
    std::string listed = conntrack("-L expect");
    EXPECT_NE(listed.find("dport=50000"), std::string::npos) << listed;

    std::vector<Expectation> all;
    auto n = exps.dump(0, [&](const Expectation& e) {
        all.push_back(e);
        return true;
    });
    ASSERT_TRUE(n.ok()) << n.error().message;
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].tuple.dport, 50000);
    EXPECT_EQ(all[0].master, master.orig);
    EXPECT_EQ(all[0].helper, "ftp");
    EXPECT_EQ(all[0].mask.dport, 0xffff);

    auto got = exps.get(AF_INET, x.tuple);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->id, all[0].id);

    auto n6 = exps.dump(AF_INET6, [](const Expectation&) { return true; });
    ASSERT_TRUE(n6.ok());
    EXPECT_EQ(*n6, 0u);

    Expectation wrong = all[0];
    wrong.id = *all[0].id + 1;
    EXPECT_EQ(exps.remove(wrong).error().code, ENOENT);
    ASSERT_TRUE(exps.remove(all[0]).ok());
    EXPECT_EQ(conntrack("-L expect"), "");

    ASSERT_TRUE(exps.create(x).ok());
    ASSERT_TRUE(exps.flush(AF_INET).ok());
    EXPECT_EQ(conntrack("-L expect"), "");
    conntrack("-F");
}

TEST(ExpectationsRoot, Events)
{
    conntrack("-F");
    auto evSock = openSocket();
    EventListener listener(*evSock);
    ASSERT_TRUE(listener.subscribe(EventGroup::ExpAll).ok());
    auto sock = openSocket();
    ConntrackTable table(*sock);
    Entry master = ftpControl("192.0.2.71", "198.18.0.71", 40001);
    ASSERT_TRUE(table.create(master).ok());
    ExpectationTable exps(*sock);
    Expectation x = ftpData(master, 50001, 100);
    ASSERT_TRUE(exps.create(x).ok());
    ASSERT_TRUE(exps.flush().ok());
    Recorder rec;
    for (int i = 0; i < 20 && rec.exp.size() < 2; ++i)
        ASSERT_TRUE(listener.process(rec, 200).ok());
    ASSERT_EQ(rec.exp.size(), 2u);
    EXPECT_EQ(rec.exp[0].first, EventType::New);
    EXPECT_EQ(rec.exp[0].second.tuple.dport, 50001);
    EXPECT_EQ(rec.exp[1].first, EventType::Destroy);
    conntrack("-F");
}
