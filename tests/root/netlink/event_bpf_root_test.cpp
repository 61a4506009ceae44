// The event socket's BPF program (Filter From Kernelspace) on the real kernel: attached
// next to an unfiltered socket, it must let through exactly the events filterAccepts()
// keeps, of both families and every event type; and a program the kernel refuses must
// come back as an error.
#include "netlink/ctnl_constants.hpp"
#include "netlink/event_bpf.hpp"
#include "netlink/event_listener.hpp"
#include "root_env.hpp"
#include "sync/engine/engine_config.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::roottest;

namespace {

struct Recorder : EventSink {
    std::vector<std::pair<EventType, Entry>> ct;
    std::vector<uint64_t> losses;
    void conntrackEvent(EventType t, const Entry& e) override { ct.emplace_back(t, e); }
    void eventsLost(uint64_t n) override { losses.push_back(n); }
};

// The events are queued by the time conntrack exits; waitMs is slack for a slow machine.
void drain(EventListener& listener, Recorder& rec, int waitMs = 300)
{
    size_t before = SIZE_MAX;
    while (before != rec.ct.size()) {
        before = rec.ct.size();
        ASSERT_TRUE(listener.process(rec, waitMs).ok());
    }
}

sync::EventFilter kernelFilter()
{
    sync::EventFilter f;
    f.present = true;
    f.from = sync::FilterFrom::Kernelspace;
    f.protocol = sync::ProtocolFilter{sync::FilterPolicy::Accept, {IPPROTO_UDP, IPPROTO_TCP}};
    f.address = sync::AddressFilter{sync::FilterPolicy::Ignore,
                                    {sync::Prefix{addr("192.0.2.70"), 32}, sync::Prefix{addr("198.18.7.0"), 24},
                                     sync::Prefix{addr("2001:db8::70"), 128}}};
    f.state = sync::StateFilter{sync::FilterPolicy::Ignore, {sync::TcpState::SynSent}};
    return f;
}

std::string describe(const std::pair<EventType, Entry>& ev)
{
    const Entry& e = ev.second;
    char src[64] = {}, dst[64] = {};
    inet_ntop(e.orig.src.family, e.orig.src.bytes.data(), src, sizeof src);
    inet_ntop(e.orig.dst.family, e.orig.dst.bytes.data(), dst, sizeof dst);
    return std::to_string(int(ev.first)) + " " + std::to_string(int(e.orig.protocol.value_or(0))) + " " + src + " " + dst +
           " " + std::to_string(e.orig.sport.value_or(0));
}

// Entries of both families, several protocols and TCP states, one NATed; then an UPDATE
// of each, a TCP state change and the DESTROYs.
void makeEvents()
{
    struct Made {
        const char* selector; // the entry's tuple, for -I and -U
        const char* extra;    // what only -I takes
    };
    const Made entries[] = {
        {"-p udp -s 192.0.2.60 -d 198.18.0.1 --sport 1001 --dport 53", "-t 50"}, // kept
        {"-p udp -s 192.0.2.70 -d 198.18.0.1 --sport 1002 --dport 53", "-t 50"}, // ignored source
        {"-p udp -s 198.18.0.5 -d 198.18.7.9 --sport 1003 --dport 53", "-t 50"}, // ignored destination
        // DNAT to an ignored network: kept (the original tuple is what counts)
        {"-p udp -s 198.18.0.6 -d 198.18.0.1 --sport 1004 --dport 53",
         "-t 50 --reply-src 198.18.7.1 --reply-dst 198.18.0.6 --reply-port-src 53 --reply-port-dst 1004"},
        {"-p icmp -s 192.0.2.60 -d 198.18.0.1 --icmp-type 8 --icmp-code 0 --icmp-id 7", "-t 50"}, // protocol
        {"-p sctp -s 192.0.2.60 -d 198.18.0.1 --sport 1005 --dport 80",
         "--state ESTABLISHED --orig-vtag 1 --reply-vtag 2 -t 50"},                      // protocol
        {"-p tcp -s 192.0.2.60 -d 198.18.0.1 --sport 1006 --dport 80", "--state SYN_SENT -t 50"},    // state, until -U
        {"-p tcp -s 192.0.2.60 -d 198.18.0.1 --sport 1007 --dport 80", "--state ESTABLISHED -t 50"}, // kept
        {"-p tcp -s 192.0.2.70 -d 198.18.0.1 --sport 1008 --dport 80", "--state ESTABLISHED -t 50"}, // source
        {"-p udp -s 2001:db8::60 -d 2001:db8::61 --sport 1009 --dport 53", "-t 50"},                // kept
        {"-p udp -s 2001:db8::60 -d 2001:db8::70 --sport 1010 --dport 53", "-t 50"},                // destination
        {"-p tcp -s 2001:db8::60 -d 2001:db8::61 --sport 1011 --dport 80", "--state SYN_SENT -t 50"}, // state
    };
    for (const Made& e : entries)
        EXPECT_NE(conntrack(std::string("-I ") + e.selector + " " + e.extra + " 2>&1; echo rc=$?").find("rc=0"),
                  std::string::npos)
            << e.selector;
    for (const Made& e : entries) // UPDATEs
        conntrack(std::string("-U ") + e.selector + " -m 5");
    // SYN_SENT to ESTABLISHED: the NEW was dropped, this UPDATE is kept
    conntrack("-U -p tcp -s 192.0.2.60 -d 198.18.0.1 --sport 1006 --dport 80 --state ESTABLISHED");
    conntrack("-F"); // DESTROYs
    conntrack("-F -f ipv6");

}

} // namespace

TEST(EventBpfRoot, KernelDropsExactlyWhatTheFilterIgnores)
{
    conntrack("-F");
    const sync::EventFilter filter = kernelFilter();
    auto program = buildEventBpf(sync::eventBpfSpecOf(filter));
    ASSERT_TRUE(program.ok());
    ASSERT_FALSE(program->empty());

    auto plainSock = openSocket();
    auto filteredSock = openSocket();
    ASSERT_TRUE(filteredSock->attachFilter(*program).ok());
    EXPECT_EQ(filteredSock->filterLength(), program->size());
    EventListener plain(*plainSock), filtered(*filteredSock);
    ASSERT_TRUE(plain.subscribe(EventGroup::CtAll).ok());
    ASSERT_TRUE(filtered.subscribe(EventGroup::CtAll).ok());

    makeEvents();

    Recorder all, kept;
    drain(plain, all);
    drain(filtered, kept);
    ASSERT_TRUE(all.losses.empty());
    ASSERT_TRUE(kept.losses.empty());
    std::vector<std::string> want, got;
    size_t news = 0, updates = 0, destroys = 0;
    for (const auto& ev : all.ct)
        if (sync::filterAccepts(filter, ev.second)) {
            want.push_back(describe(ev));
            news += ev.first == EventType::New;
            updates += ev.first == EventType::Update;
            destroys += ev.first == EventType::Destroy;
        }
    for (const auto& ev : kept.ct)
        got.push_back(describe(ev));
    EXPECT_EQ(got, want);
    // The test means something: events of every type, and most of them dropped.
    EXPECT_GE(all.ct.size(), 36u);
    EXPECT_EQ(news, 4u);
    EXPECT_EQ(updates, 5u);
    EXPECT_EQ(destroys, 5u);
    EXPECT_LT(kept.ct.size(), all.ct.size() / 2);
}

// Many filters at once, one socket each, on the same events: the kernel's verdicts (with
// its own nla_find) against filterAccepts() on what the unfiltered socket saw.
TEST(EventBpfRoot, ManyFiltersOnTheSameEvents)
{
    conntrack("-F");
    conntrack("-F -f ipv6");
    using sync::FilterPolicy;
    using P = sync::Prefix;
    std::vector<sync::EventFilter> filters;
    for (FilterPolicy policy : {FilterPolicy::Accept, FilterPolicy::Ignore}) {
        const std::vector<std::vector<P>> lists = {
            {P{addr("192.0.2.0"), 24}},
            {P{addr("198.18.0.0"), 16}},
            {P{addr("192.0.2.0"), 24}, P{addr("198.18.0.0"), 16}},
            {P{addr("0.0.0.0"), 0}},
            {P{addr("2001:db8::"), 32}},
            {P{addr("2001:db8::61"), 128}, P{addr("2001:db8::60"), 127}},
            {P{addr("::"), 0}},
            {P{addr("192.0.2.0"), 24}, P{addr("198.18.0.0"), 16}, P{addr("2001:db8::"), 64}},
            {},
        };
        for (const auto& list : lists) {
            sync::EventFilter f = kernelFilter();
            f.protocol.reset();
            f.state.reset();
            f.address = sync::AddressFilter{policy, list};
            filters.push_back(f);
        }
        for (const auto& protos : std::vector<std::vector<uint8_t>>{{IPPROTO_TCP}, {IPPROTO_UDP, IPPROTO_SCTP}, {IPPROTO_ICMP}}) {
            sync::EventFilter f = kernelFilter();
            f.address.reset();
            f.state.reset();
            f.protocol = sync::ProtocolFilter{policy, protos};
            filters.push_back(f);
        }
        sync::EventFilter f = kernelFilter();
        f.protocol.reset();
        f.address.reset();
        f.state = sync::StateFilter{policy, {sync::TcpState::Established}};
        filters.push_back(f);
        f = kernelFilter();
        f.protocol->policy = policy;
        f.address->policy = policy == FilterPolicy::Accept ? FilterPolicy::Ignore : FilterPolicy::Accept;
        filters.push_back(f);
    }
    auto plainSock = openSocket();
    EventListener plain(*plainSock);
    ASSERT_TRUE(plain.subscribe(EventGroup::CtAll).ok());
    std::vector<std::unique_ptr<MnlSocket>> socks;
    std::vector<std::unique_ptr<EventListener>> listeners;
    for (const auto& f : filters) {
        auto program = buildEventBpf(sync::eventBpfSpecOf(f));
        ASSERT_TRUE(program.ok());
        socks.push_back(openSocket());
        if (!program->empty()) {
            ASSERT_TRUE(socks.back()->attachFilter(*program).ok());
        }
        listeners.push_back(std::make_unique<EventListener>(*socks.back()));
        ASSERT_TRUE(listeners.back()->subscribe(EventGroup::CtAll).ok());
    }
    makeEvents();
    Recorder all;
    drain(plain, all);
    ASSERT_GE(all.ct.size(), 36u);
    size_t dropped = 0;
    for (size_t i = 0; i < filters.size(); ++i) {
        Recorder kept;
        drain(*listeners[i], kept, 20);
        ASSERT_TRUE(kept.losses.empty());
        std::vector<std::string> want, got;
        for (const auto& ev : all.ct)
            if (sync::filterAccepts(filters[i], ev.second))
                want.push_back(describe(ev));
        for (const auto& ev : kept.ct)
            got.push_back(describe(ev));
        EXPECT_EQ(got, want) << "filter " << i;
        dropped += all.ct.size() - kept.ct.size();
    }
    EXPECT_GT(dropped, filters.size() * 5);
    conntrack("-F");
    conntrack("-F -f ipv6");
}

TEST(EventBpfRoot, RefusedProgramIsAnError)
{
    auto sock = openSocket();
    // A jump past the end: the kernel's checker refuses it.
    std::vector<sock_filter> bad = {{BPF_JMP | BPF_JA, 0, 0, 5}, {BPF_RET | BPF_K, 0, 0, 0}};
    auto r = sock->attachFilter(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EINVAL) << r.error().message;
    EXPECT_EQ(sock->filterLength(), 0u);
    // No RET at the end
    bad = {{BPF_LD | BPF_W | BPF_IMM, 0, 0, 1}};
    r = sock->attachFilter(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EINVAL);
    // Too long never reaches the kernel
    std::vector<sock_filter> longer(BPF_MAXINSNS + 1, sock_filter{BPF_RET | BPF_K, 0, 0, 0});
    r = sock->attachFilter(longer);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, E2BIG);
    // And a good one after all that, then detached
    std::vector<sock_filter> good = {{BPF_RET | BPF_K, 0, 0, kEventBpfAccept}};
    EXPECT_TRUE(sock->attachFilter(good).ok());
    EXPECT_TRUE(sock->attachFilter({}).ok());
    EXPECT_EQ(sock->filterLength(), 0u);
}
