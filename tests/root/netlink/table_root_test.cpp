// Every conntrack table operation against the real kernel, with conntrack 1.4.7 as the
// reference for what a query means.
#include "netlink/conntrack_table.hpp"
#include "netlink/ctnl_build.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/ctnl_parse.hpp"
#include "netlink/kernel_stats.hpp"
#include "root_env.hpp"

#include <chrono>
#include <cstdio>
#include <gtest/gtest.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::roottest;

namespace {

struct Shape {
    const char* name;
    std::string conntrackArgs; // the same filter for conntrack -L
    Query query;
};

std::vector<Shape> shapes()
{
    std::vector<Shape> s;
    auto add = [&](const char* name, std::string args, auto fill) {
        Query q;
        fill(q);
        s.push_back({name, std::move(args), q});
    };
    add("family-ipv6", "-f ipv6", [](Query& q) { q.family = AF_INET6; });
    add("family-ipv4", "-f ipv4", [](Query& q) { q.family = AF_INET; });
    add("udp-dport-53", "-p udp --dport 53", [](Query& q) { q.protocol = IPPROTO_UDP; q.dport = 53; });
    add("tcp-src", "-p tcp -s 192.0.2.1", [](Query& q) {
        q.protocol = IPPROTO_TCP;
        q.src = Prefix{addr("192.0.2.1"), 32};
    });
    add("src-prefix", "-s 192.0.2.0/30", [](Query& q) { q.src = Prefix{addr("192.0.2.0"), 30}; });
    add("ipv6-src", "-f ipv6 -s 2001:db8::2", [](Query& q) {
        q.family = AF_INET6;
        q.src = Prefix{addr("2001:db8::2"), 128};
    });
    add("mark", "-m 7", [](Query& q) { q.mark = Masked32{7, 0xffffffff}; });
    add("mark-mask", "-m 0x10/0xf0", [](Query& q) { q.mark = Masked32{0x10, 0xf0}; });
    add("status-assured", "-u ASSURED", [](Query& q) { q.status = 1u << 2; });
    add("zone-5", "-w 5", [](Query& q) { q.zone = 5; });
    add("sctp-dport", "-p sctp --dport 2905", [](Query& q) { q.protocol = IPPROTO_SCTP; q.dport = 2905; });
    add("reply-src", "-p tcp --reply-src 198.18.0.1", [](Query& q) {
        q.protocol = IPPROTO_TCP;
        q.replySrc = Prefix{addr("198.18.0.1"), 32};
    });
    add("tcp-state", "-p tcp --state ESTABLISHED", [](Query& q) { q.protocol = IPPROTO_TCP; q.state = 3; });
    add("src-nat", "--src-nat", [](Query& q) { q.nat.push_back(NatFilter{NatKind::Snat, {}, {}}); });
    add("icmp-type", "-p icmp --icmp-type 8", [](Query& q) { q.protocol = IPPROTO_ICMP; q.icmpType = 8; });
    add("ipv4-udp-mark", "-f ipv4 -p udp -m 7", [](Query& q) {
        q.family = AF_INET;
        q.protocol = IPPROTO_UDP;
        q.mark = Masked32{7, 0xffffffff};
    });
    add("udp-sport", "-p udp --sport 1005", [](Query& q) { q.protocol = IPPROTO_UDP; q.sport = 1005; });
    // Flags that must be clear: CTA_STATUS 0 with the flags in CTA_STATUS_MASK.
    add("status-not-assured", "-u !ASSURED", [](Query& q) { q.statusClear = 1u << 2; });
    add("status-unreplied", "-u UNREPLIED", [](Query& q) { q.statusClear = 1u << 1; });
    // conntrack 1.4.7 lists nothing for "-u ASSURED,!SEEN_REPLY" (its kernel mask lacks the
    // set flag); naming the flag negated too is its spelling of "set and the other clear".
    add("status-assured-unreplied", "-u ASSURED,!ASSURED,!SEEN_REPLY", [](Query& q) {
        q.status = 1u << 2;
        q.statusClear = 1u << 1;
    });
    add("ipv4-status-clear-two", "-f ipv4 -u !SEEN_REPLY,!ASSURED", [](Query& q) {
        q.family = AF_INET;
        q.statusClear = (1u << 1) | (1u << 2);
    });
    add("src-mask-noncontiguous", "-s 192.0.0.1 --mask-src 255.255.0.249", [](Query& q) {
        q.src = Prefix{addr("192.0.0.1"), 0, addr("255.255.0.249")};
    });
    add("dst-mask-noncontiguous", "-p udp -d 0.0.0.2 --mask-dst 0.0.0.255", [](Query& q) {
        q.protocol = IPPROTO_UDP;
        q.dst = Prefix{addr("0.0.0.2"), 0, addr("0.0.0.255")};
    });
    add("ipv6-src-mask", "-s 2001::3 --mask-src ffff::ff", [](Query& q) {
        q.src = Prefix{addr("2001::3"), 0, addr("ffff::ff")};
    });
    add("src-and-dst-nat", "--src-nat --dst-nat", [](Query& q) {
        q.nat.push_back(NatFilter{NatKind::Snat, {}, {}});
        q.nat.push_back(NatFilter{NatKind::Dnat, {}, {}});
    });
    add("src-and-dst-nat-addr", "--src-nat 203.0.113.13 --dst-nat 10.99.0.13", [](Query& q) {
        q.nat.push_back(NatFilter{NatKind::Snat, addr("203.0.113.13"), {}});
        q.nat.push_back(NatFilter{NatKind::Dnat, addr("10.99.0.13"), {}});
    });
    return s;
}

std::string describe(const std::set<std::string>& keys)
{
    std::string out;
    for (const auto& k : keys)
        out += "  " + k + "\n";
    return out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b)
{
    std::set<std::string> out;
    for (const auto& k : a)
        if (!b.count(k))
            out.insert(k);
    return out;
}

Entry tcpEntry(const std::string& src, uint16_t sport)
{
    Entry e;
    e.family = src.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    e.orig.src = addr(src);
    e.orig.dst = addr(e.family == AF_INET ? "198.18.0.1" : "2001:db8::100");
    e.orig.protocol = IPPROTO_TCP;
    e.orig.sport = sport;
    e.orig.dport = 80;
    e.timeout = 120;
    e.status = 1u << 2; // ASSURED
    e.tcp = TcpInfo{};
    e.tcp->state = 3;
    return e;
}

class TableRoot : public ::testing::Test {
protected:
    void SetUp() override
    {
        sock_ = openSocket();
        table_ = std::make_unique<ConntrackTable>(*sock_, socketFactory());
        conntrack("-F");
    }
    void TearDown() override { conntrack("-F"); }

    std::unique_ptr<MnlSocket> sock_;
    std::unique_ptr<ConntrackTable> table_;
};

} // namespace

TEST_F(TableRoot, EveryQueryShapeDumpsWhatConntrackLists)
{
    populate();
    ASSERT_EQ(listKeys().size(), populatedCount());
    for (const auto& s : shapes()) {
        std::set<std::string> want = listKeys(s.conntrackArgs);
        std::set<std::string> got;
        auto r = table_->dump(s.query, [&](const Entry&) { return true; });
        ASSERT_TRUE(r.ok()) << s.name << ": " << r.error().message;
        EXPECT_EQ(r->matched, want.size()) << s.name << " conntrack lists:\n" << describe(want);
        EXPECT_EQ(r->malformed, 0u);
    }
}

TEST_F(TableRoot, EveryFilteredDeleteShapeDeletesExactlyItsMatches)
{
    for (bool perEntry : {false, true}) {
        for (const auto& s : shapes()) {
            populate();
            auto before = listKeys();
            ASSERT_EQ(before.size(), populatedCount());
            auto want = listKeys(s.conntrackArgs);
            ASSERT_FALSE(want.empty()) << s.name << ": the shape matches nothing in the test table";
            size_t reported = 0;
            EntrySink onDeleted;
            if (perEntry)
                onDeleted = [&](const Entry&) { return ++reported, true; };
            auto r = table_->removeMatching(s.query, onDeleted);
            ASSERT_TRUE(r.ok()) << s.name << ": " << r.error().message;
            auto after = listKeys();
            auto deleted = minus(before, after);
            EXPECT_EQ(deleted, want) << s.name << (r->inKernel ? " (kernel-side)" : " (entry by entry)")
                                     << "\ndeleted:\n" << describe(deleted) << "conntrack matches:\n"
                                     << describe(want);
            EXPECT_EQ(after, minus(before, want)) << s.name;
            EXPECT_EQ(r->failed, 0u) << s.name;
            if (perEntry) {
                EXPECT_FALSE(r->inKernel);
                EXPECT_EQ(reported, want.size()) << s.name;
            }
            if (!perEntry && r->inKernel) {
                EXPECT_EQ(r->done, want.size()) << s.name; // nothing else runs in the namespace
            }
        }
    }
}

TEST_F(TableRoot, KernelSideDeleteIsUsedForExactShapes)
{
    for (const char* name : {"family-ipv6", "udp-dport-53", "tcp-src", "mark", "mark-mask", "status-assured", "zone-5",
                             "ipv4-udp-mark", "udp-sport", "status-not-assured", "status-unreplied",
                             "status-assured-unreplied", "ipv4-status-clear-two"}) {
        for (const auto& s : shapes()) {
            if (std::string(s.name) != name)
                continue;
            populate();
            auto r = table_->removeMatching(s.query);
            ASSERT_TRUE(r.ok());
            EXPECT_TRUE(r->inKernel) << name;
        }
    }
}

TEST_F(TableRoot, SecmarkFilterKeepsEntriesWithoutSecmark)
{
    // The kernel reports a secmark only as CTA_SECCTX, so conntrack 1.4.7's -c compares
    // nothing and lists every entry; the dump does the same.
    populate();
    Query q;
    q.secmark = 1;
    auto r = table_->dump(q, [&](const Entry&) { return true; });
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->matched, listKeys("-c 1").size());
    EXPECT_EQ(r->matched, populatedCount());
}

TEST_F(TableRoot, FlushIpv6LeavesIpv4)
{
    populate();
    auto v4 = listKeys("-f ipv4");
    ASSERT_FALSE(v4.empty());
    ASSERT_FALSE(listKeys("-f ipv6").empty());
    ASSERT_TRUE(table_->flush(AF_INET6).ok());
    EXPECT_EQ(listKeys(), v4);
    ASSERT_TRUE(table_->flush().ok());
    EXPECT_TRUE(listKeys().empty());
}

TEST_F(TableRoot, EmptyQueryDeleteIsRefused)
{
    populate();
    EXPECT_FALSE(table_->removeMatching(Query{}).ok());
    EXPECT_EQ(listKeys().size(), populatedCount());
}

TEST_F(TableRoot, CreateGetUpdateDelete)
{
    Entry e = tcpEntry("192.0.2.50", 5000);
    e.mark = 0x33;
    e.zone = 9;
    ASSERT_TRUE(table_->create(e).ok());
    auto listed = conntrack("-L -s 192.0.2.50");
    EXPECT_NE(listed.find("ESTABLISHED"), std::string::npos) << listed;
    EXPECT_NE(listed.find("mark=51"), std::string::npos) << listed;
    EXPECT_NE(listed.find("zone=9"), std::string::npos) << listed;

    auto again = table_->create(e);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, EEXIST);

    auto got = table_->get(AF_INET, e.orig, 9);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->orig, e.orig);
    EXPECT_EQ(got->mark, 0x33u);
    EXPECT_EQ(got->zone, 9);
    ASSERT_TRUE(got->id.has_value());
    auto missing = table_->get(AF_INET, e.orig, 8);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ENOENT);

    Entry change;
    change.family = AF_INET;
    change.orig = e.orig;
    change.zone = 9;
    change.mark = 0x44;
    change.timeout = 77;
    ASSERT_TRUE(table_->update(change).ok());
    listed = conntrack("-L -s 192.0.2.50");
    EXPECT_NE(listed.find("mark=68"), std::string::npos) << listed;

    Entry wrongId = *got;
    wrongId.id = *got->id + 1;
    auto r = table_->remove(wrongId);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ENOENT); // the id protects a newer entry on the same tuple
    ASSERT_TRUE(table_->remove(*got).ok());
    EXPECT_TRUE(listKeys().empty());
}

TEST_F(TableRoot, KernelErrorsCarryTheExtendedAck)
{
    Entry e = tcpEntry("192.0.2.51", 5001);
    e.timeout.reset(); // the kernel requires a timeout on create
    auto r = table_->create(e);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_NE(r.error().message.find("kernel:"), std::string::npos) << r.error().message;
    std::fprintf(stderr, "kernel error text: %s\n", r.error().message.c_str());
}

TEST_F(TableRoot, PolicyErrorsCarryTheKernelsText)
{
    // CTA_TIMEOUT is NLA_U32; two bytes fail nfnetlink's policy check, which explains
    // itself through the extended ack.
    NlWriter w;
    w.begin(ctType(IPCTNL_MSG_CT_NEW), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, AF_INET);
    w.putBe16(CTA_TIMEOUT, 5);
    w.end();
    auto r = sock_->request(w.bytes(), [](ByteView) { return true; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ERANGE);
    std::fprintf(stderr, "policy error text: %s\n", r.error().message.c_str());
    EXPECT_NE(r.error().message.find("attribute at byte 20"), std::string::npos) << r.error().message;
}

TEST_F(TableRoot, CtaFilterWithoutFamilyIsRefusedByTheKernelToo)
{
    // What the builder refuses up front: the kernel answers EOPNOTSUPP (KERNEL-NOTES).
    NlWriter w;
    w.begin(ctType(IPCTNL_MSG_CT_GET), NLM_F_REQUEST | NLM_F_DUMP, AF_UNSPEC);
    size_t n = w.beginNest(CTA_FILTER);
    w.putU32(CTA_FILTER_ORIG_FLAGS, filter_flag::ProtoNum);
    w.endNest(n);
    Tuple t;
    t.protocol = IPPROTO_UDP;
    putTuple(w, CTA_TUPLE_ORIG, t);
    w.end();
    auto r = sock_->request(w.bytes(), [](ByteView) { return true; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EOPNOTSUPP);
    // The socket stays usable after a failed dump start.
    EXPECT_TRUE(table_->count().ok());
}

TEST_F(TableRoot, UpdateMatching)
{
    populate();
    Query q;
    q.protocol = IPPROTO_UDP;
    q.dport = 53;
    Entry changes;
    changes.mark = 0x99;
    auto r = table_->updateMatching(q, changes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->done, listKeys("-p udp --dport 53").size());
    EXPECT_EQ(listKeys("-m 0x99"), listKeys("-p udp --dport 53"));
}

TEST_F(TableRoot, DyingAndUnconfirmedDumpsWork)
{
    populate();
    for (TableKind k : {TableKind::Dying, TableKind::Unconfirmed}) {
        Query q;
        q.table = k;
        auto r = table_->dump(q, [](const Entry&) { return true; });
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->malformed, 0u);
    }
}

TEST_F(TableRoot, ZeroCountersDump)
{
    populate();
    Query q;
    q.zeroCounters = true;
    auto r = table_->dump(q, [](const Entry&) { return true; });
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->matched, populatedCount());
}

TEST_F(TableRoot, EarlyStopLeavesTheSocketUsable)
{
    populate();
    size_t n = 0;
    auto r = table_->dump(Query{}, [&](const Entry&) { return ++n < 3; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(n, 3u);
    auto again = table_->dump(Query{}, [](const Entry&) { return true; });
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->matched, populatedCount());
}

TEST_F(TableRoot, StatisticsAgreeWithConntrack)
{
    populate();
    KernelStats stats(*sock_);
    auto g = stats.global();
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(std::to_string(g->entries) + "\n", conntrack("-C"));
    auto cpus = stats.perCpu();
    ASSERT_TRUE(cpus.ok()) << cpus.error().message;
    std::string s = conntrack("-S");
    EXPECT_EQ(size_t(std::count(s.begin(), s.end(), '\n')), cpus->size()) << s;
    for (const auto& c : *cpus)
        EXPECT_NE(s.find("cpu=" + std::to_string(c.cpu) + " "), std::string::npos);
    auto exp = stats.expectPerCpu();
    ASSERT_TRUE(exp.ok()) << exp.error().message;
    EXPECT_EQ(exp->size(), cpus->size());
}

TEST_F(TableRoot, BulkCreateThroughput)
{
    const size_t total = 200000;
    size_t i = 0;
    auto start = std::chrono::steady_clock::now();
    auto r = table_->createMany([&](Entry& e) {
        if (i == total)
            return false;
        e.family = AF_INET;
        e.orig.src.family = AF_INET;
        uint32_t host = htonl(0xc6120000u + uint32_t(i / 60000)); // 198.18.0.0 - .3
        std::memcpy(e.orig.src.bytes.data(), &host, 4);
        e.orig.dst = addr("192.0.2.1");
        e.orig.protocol = IPPROTO_UDP;
        e.orig.sport = uint16_t(1024 + i % 60000);
        e.orig.dport = 53;
        e.timeout = 300;
        ++i;
        return true;
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->done, total);
    EXPECT_EQ(r->failed, 0u);
    std::fprintf(stderr, "bulk create: %zu entries in %.3f s = %.0f entries/s (overruns %lu)\n", total, secs,
                 total / secs, (unsigned long)sock_->overruns());
    KernelStats stats(*sock_);
    EXPECT_EQ(stats.global()->entries, total);

    // Again: every create now fails with EEXIST, and each failure is reported.
    i = 0;
    size_t failures = 0;
    r = table_->createMany(
        [&](Entry& e) {
            if (i == 20000)
                return false;
            e.family = AF_INET;
            e.orig.src = addr("198.18.0.0");
            e.orig.dst = addr("192.0.2.1");
            e.orig.protocol = IPPROTO_UDP;
            e.orig.sport = uint16_t(1024 + i);
            e.orig.dport = 53;
            e.timeout = 300;
            ++i;
            return true;
        },
        [&](size_t, const Error& e) { failures += e.code == EEXIST; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(failures, 20000u);

    start = std::chrono::steady_clock::now();
    size_t n = 0;
    auto d = table_->dump(Query{}, [&](const Entry&) { return ++n, true; });
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(n, total);
    std::fprintf(stderr, "dump+parse: %zu entries in %.3f s\n", n, secs);

    // A query that needs CTA_FILTER without a family walks the table twice; with a
    // second socket the two walks overlap.
    Query udpOnly;
    udpOnly.protocol = IPPROTO_UDP;
    for (bool parallel : {false, true}) {
        ConntrackTable t(*sock_, parallel ? socketFactory() : TransportFactory{});
        start = std::chrono::steady_clock::now();
        auto u = t.dump(udpOnly, [](const Entry&) { return true; });
        secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ASSERT_TRUE(u.ok());
        EXPECT_EQ(u->matched, total);
        std::fprintf(stderr, "two-family filtered dump, %s: %.3f s\n", parallel ? "two sockets" : "one socket", secs);
    }

    // The same load with one acknowledgement per datagram instead of per change.
    ASSERT_TRUE(table_->flush().ok());
    SocketOptions barrier;
    barrier.ackEachChange = false;
    auto fast = openSocket(barrier);
    ConntrackTable fastTable(*fast);
    i = 0;
    size_t lateFailures = 0;
    start = std::chrono::steady_clock::now();
    r = fastTable.createMany(
        [&](Entry& e) {
            if (i == total)
                return false;
            e.family = AF_INET;
            e.orig.src.family = AF_INET;
            uint32_t host = htonl(0xc6120000u + uint32_t(i / 60000));
            std::memcpy(e.orig.src.bytes.data(), &host, 4);
            e.orig.dst = addr("192.0.2.1");
            e.orig.protocol = IPPROTO_UDP;
            e.orig.sport = uint16_t(1024 + i % 60000);
            // One duplicate every 50000 entries: failures must still be reported.
            if (i % 50000 == 49999)
                e.orig.sport = 1024;
            e.orig.dport = 53;
            e.timeout = 300;
            ++i;
            return true;
        },
        [&](size_t index, const Error& e) { lateFailures += e.code == EEXIST && index % 50000 == 49999; });
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(lateFailures, 4u);
    EXPECT_EQ(r->failed, 4u);
    EXPECT_EQ(r->done, total - 4);
    std::fprintf(stderr, "bulk create, one ack per datagram: %zu entries in %.3f s = %.0f entries/s\n", total, secs,
                 total / secs);

    Query q;
    q.protocol = IPPROTO_UDP;
    q.sport = 1024;
    start = std::chrono::steady_clock::now();
    auto del = table_->removeMatching(q);
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(del.ok());
    EXPECT_TRUE(del->inKernel);
    EXPECT_EQ(del->done, 4u); // one per 198.18.x.0 source
    std::fprintf(stderr, "kernel filtered delete of 4 in %zu: %.3f s\n", total, secs);
}
