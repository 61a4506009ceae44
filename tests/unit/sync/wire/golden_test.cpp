// Datagrams recorded from the real conntrackd 1.4.7 (tests/data/sync/README.md): every
// one decodes without error to the expected entries, and re-encoding the decoded
// messages gives the recorded bytes back.
#include "golden_file.hpp"
#include "sync/wire/sync_wire.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::sync;
using namespace ctd::sync::test;

namespace {

struct Golden {
    const char* file;
    EncodeOptions opt;
};

// TCPWindowTracking as configured by record-sync-golden.sh
const Golden kGoldens[] = {
    {"udp-ftfw-events.bin", {true, false}},
    {"udp-ftfw-bulk.bin", {false, false}},
    {"udp-notrack-events.bin", {false, false}},
    {"mcast-ftfw-events.bin", {false, false}},
    {"udp-ftfw-traffic.bin", {true, false}},
};

std::vector<SyncMessage> decodeAll(const std::string& file)
{
    std::vector<SyncMessage> all;
    for (const auto& d : readGolden(file)) {
        auto r = decodeDatagram(d.data(), d.size());
        EXPECT_EQ(r.malformed.total(), 0u) << file << ": " << r.firstError;
        all.insert(all.end(), r.messages.begin(), r.messages.end());
    }
    return all;
}

// One message per datagram in the event captures: index = datagram number.
SyncMessage only(const std::string& file, size_t i)
{
    auto d = readGolden(file);
    if (i >= d.size())
        return {};
    auto r = decodeDatagram(d[i].data(), d[i].size());
    EXPECT_EQ(r.messages.size(), 1u);
    return r.messages.empty() ? SyncMessage{} : r.messages[0];
}

} // namespace

TEST(SyncWireGolden, FilesArePresent)
{
    for (const auto& g : kGoldens)
        EXPECT_FALSE(readGolden(g.file).empty()) << g.file;
}

TEST(SyncWireGolden, DecodeCleanAndReencodeIdentical)
{
    size_t messages = 0;
    for (const auto& g : kGoldens) {
        for (const auto& d : readGolden(g.file)) {
            auto r = decodeDatagram(d.data(), d.size());
            ASSERT_EQ(r.malformed.total(), 0u) << g.file << ": " << r.firstError;
            std::vector<uint8_t> again;
            for (const auto& m : r.messages)
                appendMessage(again, m, g.opt);
            EXPECT_EQ(again, d) << g.file;
            messages += r.messages.size();
        }
    }
    EXPECT_GT(messages, 90u);
}

TEST(SyncWireGolden, SequenceNumbersAreConsecutive)
{
    // nethdr_set(): one counter for data and control messages, started at time(NULL)
    for (const auto& g : kGoldens) {
        auto all = decodeAll(g.file);
        for (size_t i = 1; i < all.size(); ++i)
            EXPECT_EQ(all[i].seq, all[i - 1].seq + 1) << g.file << " message " << i;
    }
}

TEST(SyncWireGolden, TcpEstablishedWithMark)
{
    SyncMessage m = only("udp-ftfw-events.bin", 0);
    EXPECT_EQ(m.version, 1);
    EXPECT_EQ(m.type, msg::CtNew);
    EXPECT_EQ(m.flags, flag::Hello); // FTFW says hello until the peer says hello back
    ASSERT_TRUE(m.entry);
    Entry want;
    want.family = AF_INET;
    want.orig = ports("198.18.0.1", "198.18.0.2", IPPROTO_TCP, 1000, 80);
    want.reply = ports("198.18.0.2", "198.18.0.1", IPPROTO_TCP, 80, 1000);
    want.status = 0xc; // ASSURED | CONFIRMED
    want.timeout = m.entry->timeout;
    want.mark = 7;
    want.tcp = TcpInfo{3, 0, 0, std::nullopt, std::nullopt};
    want.synproxy = Synproxy{}; // ctnetlink-created entries always have the extension
    EXPECT_EQ(*m.entry, want);
    ASSERT_TRUE(m.entry->timeout);
    EXPECT_GE(*m.entry->timeout, 98u);
    EXPECT_LE(*m.entry->timeout, 100u);
}

TEST(SyncWireGolden, TcpStatesAndMarks)
{
    SyncMessage syn = only("udp-ftfw-events.bin", 1);
    ASSERT_TRUE(syn.entry && syn.entry->tcp);
    EXPECT_EQ(syn.entry->tcp->state, 1); // SYN_SENT
    EXPECT_EQ(syn.entry->mark, 0u);
    SyncMessage tw = only("udp-ftfw-events.bin", 2);
    ASSERT_TRUE(tw.entry && tw.entry->tcp);
    EXPECT_EQ(tw.entry->tcp->state, 7); // TIME_WAIT
    EXPECT_EQ(tw.entry->mark, 0xffffffffu);
}

TEST(SyncWireGolden, Udp)
{
    SyncMessage m = only("udp-ftfw-events.bin", 3);
    ASSERT_TRUE(m.entry);
    EXPECT_EQ(m.entry->orig, ports("198.18.0.1", "198.18.0.3", IPPROTO_UDP, 5353, 53));
    EXPECT_EQ(m.entry->reply, ports("198.18.0.3", "198.18.0.1", IPPROTO_UDP, 53, 5353));
    EXPECT_FALSE(m.entry->tcp);
}

TEST(SyncWireGolden, IcmpIdIsByteSwapped)
{
    SyncMessage m = only("udp-ftfw-events.bin", 4);
    ASSERT_TRUE(m.entry);
    EXPECT_EQ(m.entry->orig, icmp("198.18.0.1", "198.18.0.4", IPPROTO_ICMP, 8, 0, 4660));
    // SETUP_REPLY: echo request -> echo reply, same id and code
    EXPECT_EQ(m.entry->reply, icmp("198.18.0.4", "198.18.0.1", IPPROTO_ICMP, 0, 0, 4660));
    auto d = readGolden("udp-ftfw-events.bin")[4];
    // NTA_ICMP_ID (24) holds 0x1234 as 34 12
    const uint8_t idAttr[] = {0x00, 0x06, 0x00, 0x18, 0x34, 0x12};
    EXPECT_NE(std::search(d.begin(), d.end(), std::begin(idAttr), std::end(idAttr)), d.end());
}

TEST(SyncWireGolden, Ipv6)
{
    SyncMessage t = only("udp-ftfw-events.bin", 5);
    ASSERT_TRUE(t.entry);
    EXPECT_EQ(t.entry->family, AF_INET6);
    EXPECT_EQ(t.entry->orig, ports("2001:db8::1", "2001:db8::2", IPPROTO_TCP, 40000, 443));
    SyncMessage i = only("udp-ftfw-events.bin", 6);
    ASSERT_TRUE(i.entry);
    EXPECT_EQ(i.entry->orig, icmp("2001:db8::1", "2001:db8::3", IPPROTO_ICMPV6, 128, 0, 77));
    EXPECT_EQ(i.entry->reply.icmpType, 129);
}

TEST(SyncWireGolden, Zone)
{
    SyncMessage m = only("udp-ftfw-events.bin", 7);
    ASSERT_TRUE(m.entry);
    EXPECT_EQ(m.entry->zone, 5);
    EXPECT_FALSE(m.entry->orig.zone); // directional zones do not travel
}

TEST(SyncWireGolden, SnatAndDnatAddresses)
{
    SyncMessage s = only("udp-ftfw-events.bin", 8);
    ASSERT_TRUE(s.entry);
    EXPECT_EQ(s.entry->status, 0x198u); // CONFIRMED | SRC_NAT | SRC_NAT_DONE | DST_NAT_DONE
    ASSERT_TRUE(s.entry->snat);
    EXPECT_EQ(s.entry->snat->minAddr, addr("198.18.9.9"));
    EXPECT_FALSE(s.entry->snat->minPort);
    EXPECT_FALSE(s.entry->dnat);
    // commit shape: reply is the inverse of orig, the kernel applies the NAT
    EXPECT_EQ(s.entry->reply, ports("198.18.1.1", "192.0.2.10", IPPROTO_TCP, 80, 1234));

    SyncMessage d = only("udp-ftfw-events.bin", 9);
    ASSERT_TRUE(d.entry && d.entry->dnat);
    EXPECT_EQ(d.entry->dnat->minAddr, addr("192.0.2.20"));
    EXPECT_FALSE(d.entry->snat);

    SyncMessage s6 = only("udp-ftfw-events.bin", 10);
    ASSERT_TRUE(s6.entry && s6.entry->snat);
    EXPECT_EQ(s6.entry->snat->minAddr, addr("2001:db8:9::9"));
}

TEST(SyncWireGolden, Sctp)
{
    SyncMessage m = only("udp-ftfw-events.bin", 11);
    ASSERT_TRUE(m.entry && m.entry->sctp);
    EXPECT_EQ(m.entry->sctp->state, 4); // SCTP_CONNTRACK_ESTABLISHED
    EXPECT_EQ(m.entry->orig, ports("198.18.0.1", "198.18.0.5", IPPROTO_SCTP, 3868, 3868));
}

TEST(SyncWireGolden, UpdateDeleteResyncAlive)
{
    SyncMessage u = only("udp-ftfw-events.bin", 12);
    EXPECT_EQ(u.type, msg::CtUpd);
    ASSERT_TRUE(u.entry);
    EXPECT_EQ(u.entry->mark, 9u);
    SyncMessage d = only("udp-ftfw-events.bin", 13);
    EXPECT_EQ(d.type, msg::CtDel);
    ASSERT_TRUE(d.entry);
    EXPECT_EQ(d.entry->orig.sport, 5353);
    SyncMessage rs = only("udp-ftfw-events.bin", 14); // conntrackd -n
    EXPECT_EQ(rs.type, msg::Control);
    EXPECT_EQ(rs.flags, flag::Resync | flag::Hello);
    EXPECT_EQ(rs.range, (SeqRange{0, 0}));
    SyncMessage al = only("udp-ftfw-events.bin", 15);
    EXPECT_EQ(al.type, msg::Control);
    EXPECT_EQ(al.flags, flag::Alive | flag::Hello);
    EXPECT_FALSE(al.range);
    EXPECT_FALSE(al.entry);
}

TEST(SyncWireGolden, NotrackHasNoHelloAndNoWindowScale)
{
    auto all = decodeAll("udp-notrack-events.bin");
    ASSERT_EQ(all.size(), 4u);
    for (const auto& m : all)
        EXPECT_EQ(m.flags & (flag::Hello | flag::HelloBack), 0);
    ASSERT_TRUE(all[0].entry && all[0].entry->tcp);
    EXPECT_FALSE(all[0].entry->tcp->wscaleOrig);
    EXPECT_EQ(all[2].type, msg::CtDel);
    EXPECT_EQ(all[3].flags, flag::Resync);
}

TEST(SyncWireGolden, MulticastCarriesTheSameMessages)
{
    auto all = decodeAll("mcast-ftfw-events.bin");
    ASSERT_GE(all.size(), 1u);
    ASSERT_TRUE(all[0].entry);
    EXPECT_EQ(all[0].entry->orig, ports("198.18.0.1", "198.18.0.2", IPPROTO_TCP, 1000, 80));
    EXPECT_EQ(all[0].entry->mark, 7u);
}

TEST(SyncWireGolden, BulkPacksMessagesUpToTheMtu)
{
    auto d = readGolden("udp-ftfw-bulk.bin");
    size_t entries = 0, maxLen = 0, multi = 0;
    for (const auto& g : d) {
        auto r = decodeDatagram(g.data(), g.size());
        for (const auto& m : r.messages)
            entries += m.entry ? 1 : 0;
        multi += r.messages.size() > 1;
        maxLen = std::max(maxLen, g.size());
    }
    EXPECT_EQ(entries, 60u);
    EXPECT_GE(multi, 3u);
    // channel buffer = MTU 1500 - 28 (IPv4 + UDP headers); a message that would reach it
    // goes into the next datagram
    EXPECT_LT(maxLen, 1472u);
    EXPECT_GT(maxLen + 84, 1472u);
}

TEST(SyncWireGolden, TrafficNatPortsHelperAndWindowScale)
{
    auto all = decodeAll("udp-ftfw-traffic.bin");
    ASSERT_GE(all.size(), 3u);
    // udp 198.18.50.1:3333 -> 198.18.50.77:9, dnat to 198.18.50.2:4000
    ASSERT_TRUE(all[0].entry && all[0].entry->dnat);
    EXPECT_EQ(all[0].entry->dnat->minAddr, addr("198.18.50.2"));
    EXPECT_EQ(all[0].entry->dnat->minPort, 4000);
    EXPECT_EQ(all[0].entry->dnat->maxPort, 4000);
    EXPECT_FALSE(all[0].entry->mark); // real traffic: the kernel omits mark 0
    // udp 198.18.50.1:3334 -> .2:4001, snat to the same address, port 5555: port only
    ASSERT_TRUE(all[1].entry && all[1].entry->snat);
    EXPECT_EQ(all[1].entry->snat->minAddr.family, 0);
    EXPECT_EQ(all[1].entry->snat->minPort, 5555);
    bool helper = false, wscale = false;
    for (const auto& m : all) {
        if (m.entry && m.entry->helper == std::string("ftp"))
            helper = true;
        if (m.entry && m.entry->tcp && m.entry->tcp->wscaleOrig.value_or(0) > 0)
            wscale = true;
    }
    EXPECT_TRUE(helper);
    EXPECT_TRUE(wscale);
}
