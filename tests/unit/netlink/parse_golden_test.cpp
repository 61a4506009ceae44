// Decodes messages recorded from the real kernel (tests/tools/record-golden.sh) and checks
// every field the recording script set up.
#include "golden.hpp"
#include "helpers.hpp"
#include "netlink/ctnl_parse.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

std::vector<Entry> entries(const std::string& file)
{
    std::vector<Entry> out;
    for (const auto& m : goldenMessages(file)) {
        auto e = parseConntrack(m);
        EXPECT_TRUE(e.ok()) << e.error().message;
        if (e)
            out.push_back(*e);
    }
    return out;
}

const Entry& bySource(const std::vector<Entry>& all, const std::string& src)
{
    for (const auto& e : all)
        if (e.orig.src == addr(src))
            return e;
    ADD_FAILURE() << "no entry from " << src;
    static Entry none;
    return none;
}

constexpr uint32_t kAssured = 1u << 2, kConfirmed = 1u << 3, kSrcNat = 1u << 4, kDstNat = 1u << 5;

} // namespace

TEST(ParseGolden, MixedTableHasEveryTupleShape)
{
    auto all = entries("ct-mixed.bin");
    ASSERT_EQ(all.size(), 11u);
    for (const auto& e : all) {
        EXPECT_TRUE(e.id.has_value());
        EXPECT_TRUE(e.timeout.has_value());
        EXPECT_TRUE(e.use.has_value());
        EXPECT_TRUE(e.countersOrig.has_value()); // acct enabled in the recording namespace
        EXPECT_TRUE(e.timestamps.has_value());
        EXPECT_TRUE(e.status.value_or(0) & kConfirmed);
        EXPECT_EQ(e.orig.src.family, e.family);
        EXPECT_EQ(e.reply.src.family, e.family);
    }

    const Entry& tcp = bySource(all, "192.0.2.1");
    EXPECT_EQ(tcp.family, AF_INET);
    EXPECT_EQ(tcp.orig.protocol, IPPROTO_TCP);
    EXPECT_EQ(tcp.orig.sport, 1001);
    EXPECT_EQ(tcp.orig.dport, 80);
    EXPECT_EQ(tcp.reply.sport, 80);
    EXPECT_EQ(tcp.reply.src, addr("198.18.0.1"));
    EXPECT_EQ(tcp.mark, 42u);
    EXPECT_EQ(tcp.zone, 5);
    EXPECT_TRUE(*tcp.status & kAssured);
    ASSERT_TRUE(tcp.tcp.has_value());
    EXPECT_EQ(tcp.tcp->state, 3); // TCP_CONNTRACK_ESTABLISHED
    // ctnetlink-created entries carry a synproxy extension, reported as zeros.
    EXPECT_EQ(tcp.synproxy, Synproxy{});

    const Entry& v6 = bySource(all, "2001:db8::1");
    EXPECT_EQ(v6.family, AF_INET6);
    EXPECT_EQ(v6.orig.dst, addr("2001:db8::2"));
    EXPECT_EQ(v6.orig.dport, 53);
    EXPECT_EQ(v6.mark, 7u);

    const Entry& lite = bySource(all, "192.0.2.2");
    EXPECT_EQ(lite.orig.protocol, IPPROTO_UDPLITE);
    EXPECT_EQ(lite.orig.dport, 5000);

    const Entry& sctp = bySource(all, "192.0.2.3");
    EXPECT_EQ(sctp.orig.protocol, IPPROTO_SCTP);
    ASSERT_TRUE(sctp.sctp.has_value());
    EXPECT_EQ(sctp.sctp->state, 4); // SCTP_CONNTRACK_ESTABLISHED (kernel numbering)
    // The wire carries what conntrack 1.4.7 sent: it byte-swaps --orig-vtag twice.
    EXPECT_EQ(sctp.sctp->vtagOrig, 11u << 24);
    EXPECT_EQ(sctp.sctp->vtagReply, 12u << 24);

    const Entry& icmp = bySource(all, "192.0.2.4");
    EXPECT_EQ(icmp.orig.protocol, IPPROTO_ICMP);
    EXPECT_EQ(icmp.orig.icmpType, 8);
    EXPECT_EQ(icmp.orig.icmpCode, 0);
    EXPECT_EQ(icmp.orig.icmpId, 77);
    EXPECT_EQ(icmp.reply.icmpType, 0);
    EXPECT_FALSE(icmp.orig.sport.has_value());

    const Entry& icmp6 = bySource(all, "2001:db8::3");
    EXPECT_EQ(icmp6.orig.protocol, IPPROTO_ICMPV6);
    EXPECT_EQ(icmp6.orig.icmpType, 128);
    EXPECT_EQ(icmp6.reply.icmpType, 129);
    EXPECT_EQ(icmp6.orig.icmpId, 78);

    const Entry& gre = bySource(all, "192.0.2.5");
    EXPECT_EQ(gre.orig.protocol, IPPROTO_GRE);
    EXPECT_EQ(gre.orig.sport, 0x10); // GRE keys travel in the port attributes
    EXPECT_EQ(gre.orig.dport, 0x20);

    const Entry& unknown = bySource(all, "192.0.2.6");
    EXPECT_EQ(unknown.orig.protocol, 253);
    EXPECT_FALSE(unknown.orig.sport.has_value());

    const Entry& dirZone = bySource(all, "192.0.2.7");
    EXPECT_EQ(dirZone.orig.zone, 7);
    EXPECT_FALSE(dirZone.reply.zone.has_value());
    EXPECT_FALSE(dirZone.zone.has_value());

    const Entry& snat = bySource(all, "192.0.2.8");
    EXPECT_TRUE(*snat.status & kSrcNat);
    EXPECT_EQ(snat.reply.dst, addr("203.0.113.1"));

    const Entry& dnat = bySource(all, "192.0.2.9");
    EXPECT_TRUE(*dnat.status & kDstNat);
    EXPECT_EQ(dnat.reply.src, addr("203.0.113.2"));
    EXPECT_EQ(dnat.reply.sport, 8080);
}

TEST(ParseGolden, FamilyDumpHasOnlyThatFamily)
{
    auto all = entries("ct-inet6.bin");
    ASSERT_EQ(all.size(), 2u);
    for (const auto& e : all)
        EXPECT_EQ(e.family, AF_INET6);
}

TEST(ParseGolden, LiveTrafficCountersLabelsHelperMaster)
{
    auto all = entries("ct-traffic.bin");
    ASSERT_EQ(all.size(), 3u);
    const Entry* control = nullptr;
    const Entry* data = nullptr;
    const Entry* udpFlow = nullptr;
    for (const auto& e : all) {
        if (e.orig.dport == 21)
            control = &e;
        else if (e.orig.dport == 51210)
            data = &e;
        else if (e.orig.dport == 9999)
            udpFlow = &e;
    }
    ASSERT_TRUE(control && data && udpFlow);

    EXPECT_EQ(control->helper, "ftp");
    ASSERT_TRUE(control->tcp.has_value());
    EXPECT_EQ(control->tcp->wscaleOrig, control->tcp->wscaleReply);
    EXPECT_TRUE(control->tcp->flagsOrig.has_value());
    EXPECT_GT(control->countersOrig->packets, 2u);
    EXPECT_GT(control->countersReply->bytes, 0u);
    ASSERT_EQ(control->labels.size(), 16u);
    EXPECT_EQ(control->labels[0], 0x02); // ct label set 1
    EXPECT_FALSE(control->synproxy.has_value()); // not created through ctnetlink

    ASSERT_TRUE(data->master.has_value());
    EXPECT_EQ(data->master->dport, 21);
    EXPECT_EQ(data->master->sport, control->orig.sport);
    EXPECT_EQ(data->orig.sport, 20);

    EXPECT_EQ(udpFlow->countersOrig->packets, 1u);
    EXPECT_EQ(udpFlow->countersOrig->bytes, 128u); // 100 bytes payload + UDP + IPv4 headers
    EXPECT_EQ(udpFlow->countersReply->packets, 0u);
}

TEST(ParseGolden, EventsNewUpdateDestroy)
{
    auto msgs = goldenMessages("events.bin");
    ASSERT_EQ(msgs.size(), 3u);
    EXPECT_EQ(conntrackEventType(msgs[0]), EventType::New);
    EXPECT_EQ(conntrackEventType(msgs[1]), EventType::Update);
    EXPECT_EQ(conntrackEventType(msgs[2]), EventType::Destroy);
    auto updated = parseConntrack(msgs[1]);
    ASSERT_TRUE(updated.ok());
    EXPECT_EQ(updated->mark, 9u);
    auto destroyed = parseConntrack(msgs[2]);
    ASSERT_TRUE(destroyed.ok());
    EXPECT_EQ(destroyed->orig.sport, 1010);
    EXPECT_TRUE(destroyed->countersOrig.has_value()); // destroy events carry the counters
    EXPECT_EQ(parseConntrack(msgs[0])->id, destroyed->id);
}

TEST(ParseGolden, FtpExpectation)
{
    auto msgs = goldenMessages("exp-ftp.bin");
    ASSERT_EQ(msgs.size(), 1u);
    auto x = parseExpectation(msgs[0]);
    ASSERT_TRUE(x.ok()) << x.error().message;
    EXPECT_EQ(x->family, AF_INET);
    EXPECT_EQ(x->master.dport, 21);
    EXPECT_EQ(x->tuple.dport, 51210);
    EXPECT_EQ(x->tuple.protocol, IPPROTO_TCP);
    EXPECT_EQ(x->mask.dport, 0xffff);
    EXPECT_EQ(x->mask.sport, 0); // any source port
    EXPECT_EQ(x->mask.src, addr("255.255.255.255"));
    EXPECT_EQ(x->helper, "ftp");
    EXPECT_EQ(x->flags, 0u);
    EXPECT_EQ(x->expectClass, 0u);
    EXPECT_TRUE(x->id.has_value());
    EXPECT_GT(x->timeout.value_or(0), 0u);
    EXPECT_FALSE(x->nat.has_value());
    EXPECT_EQ(expectationEventType(msgs[0]), EventType::Update); // dump parts carry no CREATE
}

TEST(ParseGolden, Statistics)
{
    auto global = goldenMessages("stats.bin");
    ASSERT_EQ(global.size(), 1u);
    auto g = parseGlobalStats(global[0]);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->entries, 3u);
    EXPECT_TRUE(g->maxEntries.has_value());

    auto cpus = goldenMessages("cpu-stats.bin");
    ASSERT_FALSE(cpus.empty());
    for (size_t i = 0; i < cpus.size(); ++i) {
        auto s = parseCpuStats(cpus[i]);
        ASSERT_TRUE(s.ok()) << s.error().message;
        EXPECT_EQ(s->cpu, i);
        EXPECT_TRUE(s->found && s->invalid && s->insert && s->insertFailed && s->drop && s->earlyDrop && s->error &&
                    s->searchRestart && s->clashResolve && s->chainTooLong);
        EXPECT_FALSE(s->searched.has_value()); // no longer sent
    }

    auto exp = goldenMessages("exp-cpu-stats.bin");
    ASSERT_FALSE(exp.empty());
    uint32_t created = 0;
    for (const auto& m : exp) {
        auto s = parseExpectCpuStats(m);
        ASSERT_TRUE(s.ok()) << s.error().message;
        created += s->create.value_or(0);
    }
    EXPECT_GE(created, 1u);
}
