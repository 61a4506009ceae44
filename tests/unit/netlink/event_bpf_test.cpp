// The event socket's BPF program (netlink/event_bpf) run in a cBPF interpreter with the
// kernel's attribute lookups, against recorded ctnetlink messages and kernel-shaped
// synthetic events: its verdict must be filterAccepts() of the decoded entry for a
// Kernelspace filter, for any filter.
#include "cbpf_interp.hpp"
#include "golden.hpp"
#include "helpers.hpp"
#include "netlink/ctnl_build.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/ctnl_parse.hpp"
#include "netlink/event_bpf.hpp"
#include "netlink/nl_writer.hpp"
#include "sync/engine/engine_config.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <random>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::sync;
using ctd::test::addr;
using ctd::test::checkCbpf;
using ctd::test::runCbpf;

namespace {

// The program's verdict on one message: accepted or not. An empty program accepts all.
bool bpfAccepts(const std::vector<sock_filter>& prog, const std::vector<uint8_t>& msg)
{
    if (prog.empty())
        return true;
    auto r = runCbpf(prog, msg);
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.verdict == kEventBpfAccept || r.verdict == kEventBpfDrop) << r.verdict;
    return r.verdict != 0;
}

std::vector<sock_filter> programOf(const EventFilter& f)
{
    auto prog = buildEventBpf(eventBpfSpecOf(f));
    EXPECT_TRUE(prog.ok()) << (prog.ok() ? "" : prog.error().message);
    if (!prog.ok())
        return {};
    if (!prog->empty()) {
        auto bad = checkCbpf(*prog);
        EXPECT_FALSE(bad) << *bad;
    }
    return *prog;
}

sync::Prefix pfx(const std::string& text, uint8_t len) { return sync::Prefix{addr(text), len}; }

EventFilter kernelFilter()
{
    EventFilter f;
    f.present = true;
    f.from = FilterFrom::Kernelspace;
    return f;
}

// A ctnetlink event as the kernel lays it out (ctnetlink_conntrack_event): tuples, zone,
// id, status, then timeout and protoinfo (or, for DESTROY, counters and protoinfo), mark,
// use. Addresses and protocol as given; the reply tuple may be NATed.
std::vector<uint8_t> encodeEvent(const Entry& e, bool destroy)
{
    NlWriter w;
    w.begin(ctType(destroy ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW), 0, e.family);
    putTuple(w, CTA_TUPLE_ORIG, e.orig);
    putTuple(w, CTA_TUPLE_REPLY, e.reply);
    if (e.zone)
        w.putBe16(CTA_ZONE, *e.zone);
    if (e.id)
        w.putBe32(CTA_ID, *e.id);
    if (e.status)
        w.putBe32(CTA_STATUS, *e.status);
    if (destroy && e.countersOrig) {
        size_t n = w.beginNest(CTA_COUNTERS_ORIG);
        w.putBe64(CTA_COUNTERS_PACKETS, e.countersOrig->packets);
        w.putBe64(CTA_COUNTERS_BYTES, e.countersOrig->bytes);
        w.endNest(n);
    }
    if (!destroy && e.timeout)
        w.putBe32(CTA_TIMEOUT, *e.timeout);
    if (e.tcp || e.sctp || e.dccp) {
        size_t pi = w.beginNest(CTA_PROTOINFO);
        if (e.tcp) {
            size_t t = w.beginNest(CTA_PROTOINFO_TCP);
            if (e.tcp->state)
                w.putU8(CTA_PROTOINFO_TCP_STATE, *e.tcp->state);
            if (e.tcp->wscaleOrig)
                w.putU8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, *e.tcp->wscaleOrig);
            w.endNest(t);
        }
        if (e.sctp) {
            size_t t = w.beginNest(CTA_PROTOINFO_SCTP);
            if (e.sctp->state)
                w.putU8(CTA_PROTOINFO_SCTP_STATE, *e.sctp->state);
            w.endNest(t);
        }
        if (e.dccp) {
            size_t t = w.beginNest(CTA_PROTOINFO_DCCP);
            if (e.dccp->state)
                w.putU8(CTA_PROTOINFO_DCCP_STATE, *e.dccp->state);
            w.endNest(t);
        }
        w.endNest(pi);
    }
    if (e.mark)
        w.putBe32(CTA_MARK, *e.mark);
    if (e.use)
        w.putBe32(CTA_USE, *e.use);
    w.end();
    return std::vector<uint8_t>(w.bytes().begin(), w.bytes().end());
}

// Small address pools so that filters and entries meet often, with neighbours that
// differ in one bit at various positions (prefix edges).
const std::vector<std::string> kV4 = {"10.0.0.1", "10.0.0.2", "10.0.1.1", "10.128.0.1", "192.0.2.1",
                                      "192.0.2.129", "198.51.100.7", "0.0.0.0", "255.255.255.255", "5.0.1.0",
                                      "127.0.0.1", "11.0.0.1"};
const std::vector<std::string> kV6 = {"2001:db8::1", "2001:db8::2", "2001:db8:0:1::1", "2001:db8:8000::1",
                                      "fe80::1", "::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                                      "2001:db9::1", "2001:db8::1:0:0:1"};
const std::vector<uint8_t> kProtocols = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP,
                                         IPPROTO_DCCP, IPPROTO_GRE, IPPROTO_UDPLITE, 0, 255};

struct Gen {
    std::mt19937_64 rng;
    explicit Gen(uint64_t seed) : rng(seed) {}
    size_t below(size_t n) { return size_t(rng() % n); }
    bool chance(unsigned percent) { return below(100) < percent; }
    FilterPolicy policy() { return chance(50) ? FilterPolicy::Accept : FilterPolicy::Ignore; }

    Address address(uint8_t family)
    {
        const auto& pool = family == AF_INET ? kV4 : kV6;
        Address a = addr(pool[below(pool.size())]);
        if (chance(25)) // a random neighbour
            a.bytes[below(family == AF_INET ? 4 : 16)] ^= uint8_t(1u << below(8));
        return a;
    }

    uint8_t prefixLength(uint8_t family)
    {
        const unsigned max = family == AF_INET ? 32 : 128;
        switch (below(5)) {
        case 0: return uint8_t(max);
        case 1: return 0;
        case 2: return uint8_t(max - below(4));
        default: return uint8_t(below(max + 1));
        }
    }

    EventFilter filter()
    {
        EventFilter f = kernelFilter();
        if (chance(60)) {
            f.protocol.emplace();
            f.protocol->policy = policy();
            size_t n = chance(10) ? 0 : 1 + below(4);
            for (size_t i = 0; i < n; ++i) {
                uint8_t p = kProtocols[below(kProtocols.size())];
                if (std::find(f.protocol->protocols.begin(), f.protocol->protocols.end(), p) == f.protocol->protocols.end())
                    f.protocol->protocols.push_back(p);
            }
        }
        if (chance(75)) {
            f.address.emplace();
            f.address->policy = policy();
            size_t n = chance(8) ? 0 : 1 + below(6);
            const unsigned families = unsigned(below(3)); // 0: v4 only, 1: v6 only, 2: both
            for (size_t i = 0; i < n; ++i) {
                uint8_t family = families == 0 ? AF_INET : families == 1 ? AF_INET6 : (chance(50) ? AF_INET : AF_INET6);
                f.address->prefixes.push_back(sync::Prefix{address(family), prefixLength(family)});
            }
        }
        if (chance(50)) {
            f.state.emplace();
            f.state->policy = policy();
            size_t n = chance(10) ? 0 : 1 + below(4);
            for (size_t i = 0; i < n; ++i) {
                auto s = static_cast<TcpState>(below(10));
                if (std::find(f.state->tcpStates.begin(), f.state->tcpStates.end(), s) == f.state->tcpStates.end())
                    f.state->tcpStates.push_back(s);
            }
        }
        return f;
    }

    Entry entry()
    {
        Entry e;
        e.family = chance(55) ? AF_INET : AF_INET6;
        e.orig.src = address(e.family);
        e.orig.dst = address(e.family);
        uint8_t proto = kProtocols[below(kProtocols.size())];
        if (proto == 0)
            proto = IPPROTO_TCP;
        e.orig.protocol = proto;
        if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
            e.orig.icmpType = 8;
            e.orig.icmpCode = 0;
            e.orig.icmpId = uint16_t(rng());
        } else if (proto != 255) {
            e.orig.sport = uint16_t(rng());
            e.orig.dport = uint16_t(rng());
        }
        e.reply = e.orig;
        std::swap(e.reply.src, e.reply.dst);
        std::swap(e.reply.sport, e.reply.dport);
        if (chance(25)) // DNAT: the reply comes from another address
            e.reply.src = address(e.family);
        if (chance(15)) // SNAT
            e.reply.dst = address(e.family);
        if (chance(10))
            e.orig.zone = e.reply.zone = uint16_t(below(3));
        if (chance(80))
            e.id = uint32_t(rng());
        e.status = uint32_t(rng()) & 0x3fff;
        e.timeout = uint32_t(below(500000));
        if (chance(30))
            e.mark = uint32_t(rng());
        if (chance(20))
            e.zone = uint16_t(below(5));
        if (chance(30))
            e.use = 1;
        if (proto == IPPROTO_TCP && chance(85)) {
            e.tcp.emplace();
            if (chance(90))
                e.tcp->state = uint8_t(below(TCP_CONNTRACK_MAX + 1));
            if (chance(50))
                e.tcp->wscaleOrig = 7;
        }
        if (proto == IPPROTO_SCTP && chance(80))
            e.sctp = SctpInfo{uint8_t(below(8)), std::nullopt, std::nullopt};
        if (proto == IPPROTO_DCCP && chance(80))
            e.dccp = DccpInfo{uint8_t(below(8)), std::nullopt, std::nullopt};
        if (chance(30))
            e.countersOrig = Counters{below(1000), below(100000)};
        return e;
    }
};

// The decoded entry, as the sync engine sees the event.
Entry decoded(const std::vector<uint8_t>& msg)
{
    auto e = parseConntrack(msg);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
    return e.ok() ? *e : Entry{};
}

} // namespace

TEST(EventBpf, NothingToFilterIsNoProgram)
{
    EventFilter f = kernelFilter();
    EXPECT_TRUE(programOf(f).empty());
    // Every part present with an empty list: conntrackd's nfct_filter skips empty lists.
    f.protocol = ProtocolFilter{FilterPolicy::Accept, {}};
    f.address = AddressFilter{FilterPolicy::Accept, {}};
    f.state = StateFilter{FilterPolicy::Accept, {}};
    EXPECT_TRUE(programOf(f).empty());
    Gen g(1);
    for (int i = 0; i < 200; ++i)
        EXPECT_TRUE(filterAccepts(f, decoded(encodeEvent(g.entry(), i % 2))));
}

TEST(EventBpf, RecordedMessages)
{
    // Recorded events and dump parts (the same attribute layout) of both families.
    std::vector<std::vector<uint8_t>> msgs;
    for (const char* name : {"events.bin", "ct-traffic.bin", "ct-mixed.bin", "ct-inet6.bin"})
        for (auto& m : test::goldenMessages(name))
            if (subsysOf(test::typeOf(m)) == NFNL_SUBSYS_CTNETLINK && parseConntrack(m).ok())
                msgs.push_back(m);
    ASSERT_GE(msgs.size(), 15u);
    size_t v6 = 0, tcpState = 0;
    for (const auto& m : msgs) {
        Entry e = decoded(m);
        v6 += e.orig.src.family == AF_INET6;
        tcpState += e.tcp && e.tcp->state;
    }
    EXPECT_GT(v6, 0u);
    EXPECT_GT(tcpState, 0u);
    Gen g(7);
    size_t cases = 0, accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        EventFilter f = g.filter();
        // Lists drawn from the recorded entries' own addresses, so that they match.
        if (f.address && !f.address->prefixes.empty() && g.chance(70)) {
            Entry e = decoded(msgs[g.below(msgs.size())]);
            f.address->prefixes[0] = sync::Prefix{g.chance(50) ? e.orig.src : e.orig.dst,
                                                  g.prefixLength(e.orig.src.family)};
        }
        auto prog = programOf(f);
        for (const auto& m : msgs) {
            bool want = filterAccepts(f, decoded(m));
            ASSERT_EQ(bpfAccepts(prog, m), want) << "filter " << i;
            ++cases;
            accepted += want;
        }
    }
    EXPECT_GT(accepted, cases / 10);
    EXPECT_LT(accepted, cases - cases / 10);
    std::printf("recorded: %zu cases, %zu accepted\n", cases, accepted);
}

TEST(EventBpf, RandomFiltersAndEvents)
{
    Gen g(20240611);
    size_t cases = 0, accepted = 0, userspaceDiffers = 0;
    for (int i = 0; i < 10000; ++i) {
        EventFilter f = g.filter();
        auto prog = programOf(f);
        EventFilter userspace = f;
        userspace.from = FilterFrom::Userspace;
        for (int j = 0; j < 100; ++j) {
            Entry e = g.entry();
            auto msg = encodeEvent(e, g.chance(30));
            Entry d = decoded(msg);
            bool want = filterAccepts(f, d);
            ASSERT_EQ(bpfAccepts(prog, msg), want) << "filter " << i << " entry " << j;
            ++cases;
            accepted += want;
            userspaceDiffers += want != filterAccepts(userspace, d);
        }
    }
    EXPECT_GT(accepted, cases / 10);
    EXPECT_LT(accepted, cases - cases / 10);
    std::printf("random: %zu cases, %zu accepted, %zu where From Userspace decides otherwise\n", cases, accepted,
                userspaceDiffers);
}

TEST(EventBpf, WhereKernelspaceDiffersFromUserspace)
{
    auto event = [](const std::string& src, const std::string& dst, const std::string& replySrc) {
        Entry e;
        e.family = addr(src).family;
        e.orig = test::udp(src, dst, 1000, 53);
        e.reply = test::udp(replySrc, src, 53, 1000);
        return encodeEvent(e, false);
    };
    auto both = [&](EventFilter f, const std::vector<uint8_t>& msg) {
        auto prog = programOf(f);
        bool k = filterAccepts(f, decoded(msg));
        EXPECT_EQ(bpfAccepts(prog, msg), k);
        f.from = FilterFrom::Userspace;
        return std::pair<bool, bool>{k, filterAccepts(f, decoded(msg))};
    };
    EventFilter f = kernelFilter();
    // Accept: both original addresses must be listed (userspace: either endpoint).
    f.address = AddressFilter{FilterPolicy::Accept, {pfx("10.0.0.0", 8)}};
    EXPECT_EQ(both(f, event("10.0.0.1", "192.0.2.1", "192.0.2.1")), (std::pair{false, true}));
    EXPECT_EQ(both(f, event("10.0.0.1", "10.0.0.2", "10.0.0.2")), (std::pair{true, true}));
    // Ignore: the original destination counts, not the reply source (DNAT).
    f.address = AddressFilter{FilterPolicy::Ignore, {pfx("10.0.0.9", 32)}};
    EXPECT_EQ(both(f, event("192.0.2.1", "198.51.100.1", "10.0.0.9")), (std::pair{true, false}));
    EXPECT_EQ(both(f, event("192.0.2.1", "10.0.0.9", "198.51.100.1")), (std::pair{false, true}));
    // Each address against its own family's prefixes: a mixed Accept list keeps a listed
    // IPv6 event (conntrackd 1.4.7's program drops every IPv6 event here: compat.md).
    f.address = AddressFilter{FilterPolicy::Accept, {pfx("10.0.0.0", 8), pfx("2001:db8::", 32)}};
    EXPECT_EQ(both(f, event("2001:db8::1", "2001:db8::2", "2001:db8::2")), (std::pair{true, true}));
    EXPECT_EQ(both(f, event("2001:db9::1", "2001:db8::2", "2001:db8::2")), (std::pair{false, true}));
    // An IPv6-only Accept list lists no IPv4 address (conntrackd's program lets them all through).
    f.address = AddressFilter{FilterPolicy::Accept, {pfx("2001:db8::", 32)}};
    EXPECT_EQ(both(f, event("10.0.0.1", "10.0.0.2", "10.0.0.2")), (std::pair{false, false}));
    // An empty Accept list filters nothing.
    f.address = AddressFilter{FilterPolicy::Accept, {}};
    EXPECT_EQ(both(f, event("10.0.0.1", "10.0.0.2", "10.0.0.2")), (std::pair{true, false}));
}

TEST(EventBpf, PrefixEdges)
{
    auto event = [](const std::string& src, const std::string& dst) {
        Entry e;
        e.family = addr(src).family;
        e.orig = test::udp(src, dst, 1, 2);
        e.reply = test::udp(dst, src, 2, 1);
        return encodeEvent(e, false);
    };
    struct Case {
        sync::Prefix prefix;
        std::string src, dst;
        bool accept; // verdict with Accept
        bool ignore; // verdict with Ignore
    };
    const std::vector<Case> cases = {
        {pfx("::", 0), "2001:db8::1", "ffff::1", true, false},
        {pfx("::", 0), "10.0.0.1", "10.0.0.2", false, true}, // IPv6 prefixes list no IPv4 address
        {pfx("0.0.0.0", 0), "10.0.0.1", "255.255.255.255", true, false},
        {pfx("0.0.0.0", 0), "2001:db8::1", "2001:db8::2", false, true}, // no IPv4 address: not listed
        {pfx("2001:db8::1", 128), "2001:db8::1", "2001:db8::1", true, false},
        {pfx("2001:db8::1", 128), "2001:db8::1", "2001:db8::1:0:0:1", false, false},
        {pfx("2001:db8::1", 128), "2001:db8::3", "2001:db8::1:0:0:1", false, true},
        {pfx("2001:db8::", 127), "2001:db8::1", "2001:db8::", true, false},
        {pfx("2001:db8::", 33), "2001:db8:7fff::1", "2001:db8::1", true, false},
        {pfx("2001:db8::", 33), "2001:db8:8000::1", "2001:db8::1", false, false},
        {pfx("2001:db8::", 32), "2001:db9::1", "2001:db7::1", false, true},
        {pfx("2001:db8::", 96), "2001:db8::ffff:ffff", "2001:db8::1", true, false},
        {pfx("2001:db8::", 95), "2001:db8::1:ffff:ffff", "2001:db8::1", true, false},
        {pfx("2001:db8::", 96), "2001:db8::1:0:0", "2001:db8::1", false, false},
        {pfx("10.0.0.1", 32), "10.0.0.1", "10.0.0.1", true, false},
        {pfx("10.0.0.0", 31), "10.0.0.1", "10.0.0.2", false, false},
        {pfx("10.0.0.0", 31), "10.0.0.5", "10.0.0.6", false, true},
        {pfx("128.0.0.0", 1), "200.0.0.1", "128.0.0.0", true, false},
    };
    for (const Case& c : cases) {
        for (FilterPolicy policy : {FilterPolicy::Accept, FilterPolicy::Ignore}) {
            EventFilter f = kernelFilter();
            f.address = AddressFilter{policy, {c.prefix}};
            auto prog = programOf(f);
            auto msg = event(c.src, c.dst);
            bool want = policy == FilterPolicy::Accept ? c.accept : c.ignore;
            const std::string what = c.src + " " + c.dst + " /" + std::to_string(c.prefix.length) +
                                     (policy == FilterPolicy::Accept ? " Accept" : " Ignore");
            EXPECT_EQ(filterAccepts(f, decoded(msg)), want) << what;
            EXPECT_EQ(bpfAccepts(prog, msg), want) << what;
        }
    }
}

TEST(EventBpf, OtherMessagesPassUntouched)
{
    EventFilter f = kernelFilter();
    f.protocol = ProtocolFilter{FilterPolicy::Accept, {IPPROTO_SCTP}};
    f.address = AddressFilter{FilterPolicy::Accept, {pfx("203.0.113.0", 24)}};
    auto prog = programOf(f);
    for (auto& m : test::goldenMessages("exp-ftp.bin"))
        EXPECT_TRUE(bpfAccepts(prog, m));
    // A netlink error / done message
    std::vector<uint8_t> done(20, 0);
    done[0] = 20;
    done[4] = NLMSG_DONE;
    EXPECT_TRUE(bpfAccepts(prog, done));
    for (auto& m : test::goldenMessages("events.bin"))
        EXPECT_FALSE(bpfAccepts(prog, m));
}

TEST(EventBpf, HostileMessages)
{
    EventFilter f = kernelFilter();
    f.protocol = ProtocolFilter{FilterPolicy::Ignore, {IPPROTO_UDP}};
    f.address = AddressFilter{FilterPolicy::Ignore, {pfx("10.0.0.0", 8), pfx("2001:db8::", 32)}};
    f.state = StateFilter{FilterPolicy::Ignore, {TcpState::Established}};
    auto prog = programOf(f);
    ASSERT_FALSE(prog.empty());
    // Zero-length and too short: a load out of the packet ends the program with 0.
    EXPECT_EQ(runCbpf(prog, std::vector<uint8_t>{}).verdict, 0u);
    EXPECT_EQ(runCbpf(prog, std::vector<uint8_t>(3, 0)).verdict, 0u);
    // Every truncation and a few corruptions of real events: no read outside, a verdict.
    Gen g(99);
    for (auto& m : test::goldenMessages("events.bin")) {
        for (size_t n = 0; n <= m.size(); ++n) {
            std::vector<uint8_t> cut(m.begin(), m.begin() + long(n));
            auto r = runCbpf(prog, cut);
            EXPECT_EQ(r.error, "");
        }
        for (int i = 0; i < 2000; ++i) {
            auto bad = m;
            bad[16 + g.below(bad.size() - 16)] ^= uint8_t(1u << g.below(8));
            auto r = runCbpf(prog, bad);
            EXPECT_EQ(r.error, "");
        }
    }
}

TEST(EventBpf, LengthLimit)
{
    // Hosts cost one instruction each (plus a trampoline pair per chunk): far below the
    // limit for any realistic list; thousands of IPv6 networks do not fit.
    EventFilter f = kernelFilter();
    f.address = AddressFilter{FilterPolicy::Ignore, {}};
    for (unsigned i = 0; i < 1500; ++i) {
        Address a = addr("10.0.0.0");
        a.bytes[2] = uint8_t(i >> 8);
        a.bytes[3] = uint8_t(i);
        f.address->prefixes.push_back(sync::Prefix{a, 32});
    }
    auto prog = programOf(f);
    ASSERT_FALSE(prog.empty());
    EXPECT_LE(prog.size(), kEventBpfMaxInstructions);
    Entry e;
    e.family = AF_INET;
    e.orig = test::udp("10.0.5.219", "192.0.2.1", 1, 2); // 1499
    e.reply = test::udp("192.0.2.1", "10.0.5.219", 2, 1);
    EXPECT_FALSE(bpfAccepts(prog, encodeEvent(e, false)));
    e.orig.src = addr("10.0.5.220");
    EXPECT_TRUE(bpfAccepts(prog, encodeEvent(e, false)));

    f.address->prefixes.clear();
    for (unsigned i = 0; i < 600; ++i) {
        Address a = addr("2001:db8::");
        a.bytes[4] = uint8_t(i >> 8);
        a.bytes[5] = uint8_t(i);
        f.address->prefixes.push_back(sync::Prefix{a, 64});
    }
    auto big = buildEventBpf(eventBpfSpecOf(f));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, E2BIG);
    EXPECT_NE(big.error().message.find("4096"), std::string::npos) << big.error().message;

    // The largest list that fits is accepted and still right at its last item.
    while (!buildEventBpf(eventBpfSpecOf(f)).ok())
        f.address->prefixes.pop_back();
    prog = programOf(f);
    EXPECT_LE(prog.size(), kEventBpfMaxInstructions);
    EXPECT_GT(prog.size(), kEventBpfMaxInstructions - 40);
    Address last = f.address->prefixes.back().address;
    last.bytes[15] = 7;
    Entry e6;
    e6.family = AF_INET6;
    e6.orig.src = addr("2001:db9::1");
    e6.orig.dst = last;
    e6.orig.protocol = IPPROTO_UDP;
    e6.orig.sport = 1;
    e6.orig.dport = 2;
    e6.reply = e6.orig;
    std::swap(e6.reply.src, e6.reply.dst);
    EXPECT_FALSE(bpfAccepts(prog, encodeEvent(e6, true)));
    e6.orig.dst.bytes[6] = 1;
    EXPECT_TRUE(bpfAccepts(prog, encodeEvent(e6, true)));
}
