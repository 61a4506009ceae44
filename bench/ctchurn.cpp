// ctchurn: conntrack event load for the sync benchmarks (bench/bench-sync.sh). Run it in a
// throwaway namespace: it creates and deletes entries through ctnetlink, and every create
// and delete raises a NEW / DESTROY event that a sync daemon in that namespace must take.
//
//   ctchurn --fill N [--first K]
//       creates entries K .. K+N-1 as fast as batching allows, then exits.
//   ctchurn --rate OPS --seconds S [--window W] [--first K] [--batch-ms MS]
//       creates entries K .. K+W-1 first (untimed), then for S seconds keeps OPS
//       operations per second going, half creates of new entries and half deletes of the
//       oldest live ones, in one netlink batch every MS ms (default 10). The table holds W
//       entries at the end. Prints the rate achieved.
//
// Entry i is UDP 198.18.(i / 60000 >> 8 & 127).(i / 60000 & 255):(1024 + i % 60000) ->
// 198.19.0.1:9, unreplied, timeout 3600 s: unique for i < 2^15 * 60000, inside the test
// ranges of TESTING.md, and not the sync link's addresses (the harness' conntrackd.conf
// ignores 192.0.2.1/.2, so ctfill's entries, which go to 192.0.2.1, would be filtered).
// Output (stdout, one line, key=value) so the shell can parse it.
#include "netlink/ctnl_build.hpp"
#include "netlink/nl_writer.hpp"
#include "netlink/socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

using namespace ctd;

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kTimeout = 3600;
// Bound one batch so a late tick cannot build an unbounded request (the socket splits it
// into datagrams anyway; this only bounds our buffer and the burst the daemons see).
constexpr uint64_t kMaxOpsPerBatch = 20000;

Tuple tupleFor(uint64_t i)
{
    Tuple t;
    t.src.family = t.dst.family = AF_INET;
    uint64_t host = i / 60000;
    uint32_t src = htonl(198u << 24 | 18u << 16 | static_cast<uint32_t>((host >> 8 & 127) << 8 | (host & 255)));
    uint32_t dst = htonl(198u << 24 | 19u << 16 | 1u);
    std::memcpy(t.src.bytes.data(), &src, 4);
    std::memcpy(t.dst.bytes.data(), &dst, 4);
    t.protocol = IPPROTO_UDP;
    t.sport = static_cast<uint16_t>(1024 + i % 60000);
    t.dport = 9;
    return t;
}

struct Counts {
    uint64_t ok = 0;
    uint64_t failed = 0;
};

// Sends what w holds as one batch (every message acknowledged) and clears it.
bool flush(nl::NetlinkTransport& nl, nl::NlWriter& w, Counts& c)
{
    if (!w.messages())
        return true;
    bool reported = false;
    auto r = nl.batch(w.bytes(), [&](size_t, const Error& e) {
        ++c.failed;
        if (!reported) {
            std::fprintf(stderr, "ctchurn: first failure in batch: %s\n", e.message.c_str());
            reported = true;
        }
    });
    w.clear();
    if (!r) {
        std::fprintf(stderr, "ctchurn: batch: %s\n", r.error().message.c_str());
        return false;
    }
    c.ok += r->ok;
    return true;
}

bool addCreate(nl::NlWriter& w, uint64_t i)
{
    Entry e;
    e.family = AF_INET;
    e.orig = tupleFor(i);
    e.timeout = kTimeout;
    auto r = nl::buildConntrackCreate(w, e);
    if (!r)
        std::fprintf(stderr, "ctchurn: build create %llu: %s\n", static_cast<unsigned long long>(i),
                     r.error().message.c_str());
    return static_cast<bool>(r);
}

bool addDelete(nl::NlWriter& w, uint64_t i)
{
    auto r = nl::buildConntrackDelete(w, AF_INET, tupleFor(i), {}, {});
    if (!r)
        std::fprintf(stderr, "ctchurn: build delete %llu: %s\n", static_cast<unsigned long long>(i),
                     r.error().message.c_str());
    return static_cast<bool>(r);
}

bool fill(nl::NetlinkTransport& nl, uint64_t first, uint64_t count, Counts& c)
{
    nl::NlWriter w;
    for (uint64_t i = first; i < first + count; ++i) {
        if (!addCreate(w, i))
            return false;
        if (w.messages() >= 2000 && !flush(nl, w, c))
            return false;
    }
    return flush(nl, w, c);
}

[[noreturn]] void usage()
{
    std::fprintf(stderr, "usage: ctchurn --fill N [--first K]\n"
                         "       ctchurn --rate OPS --seconds S [--window W] [--first K] [--batch-ms MS]\n");
    std::exit(2);
}

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv)
{
    uint64_t fillCount = 0, first = 0, rate = 0, window = 20000, batchMs = 10;
    double seconds = 0;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char* v = argv[++i];
        char* end = nullptr;
        errno = 0;
        if (a == "--seconds") {
            seconds = std::strtod(v, &end);
        } else {
            uint64_t n = std::strtoull(v, &end, 10);
            if (a == "--fill")
                fillCount = n;
            else if (a == "--first")
                first = n;
            else if (a == "--rate")
                rate = n;
            else if (a == "--window")
                window = n;
            else if (a == "--batch-ms")
                batchMs = n;
            else
                usage();
        }
        if (errno || end == v || *end)
            usage();
    }
    if ((fillCount == 0) == (rate == 0) || (rate && (seconds <= 0 || batchMs == 0 || window == 0)))
        usage();
    if (first + fillCount + window + static_cast<uint64_t>(rate * seconds) >= (uint64_t{1} << 15) * 60000)
        usage();

    // A big receive buffer: every message is acknowledged, and a batch of thousands of
    // acks must not overrun (ENOBUFS would leave the batch's outcome unknown).
    nl::SocketOptions opts;
    opts.receiveBuffer = 16u << 20;
    auto socket = nl::MnlSocket::open(opts);
    if (!socket) {
        std::fprintf(stderr, "ctchurn: %s\n", socket.error().message.c_str());
        return 1;
    }
    nl::NetlinkTransport& nl = **socket;

    if (fillCount) {
        Counts c;
        auto t0 = Clock::now();
        bool ok = fill(nl, first, fillCount, c);
        double s = secondsSince(t0);
        std::printf("mode=fill created=%llu failed=%llu seconds=%.3f rate=%.0f\n",
                    static_cast<unsigned long long>(c.ok), static_cast<unsigned long long>(c.failed), s,
                    c.ok / (s > 0 ? s : 1));
        return ok && !c.failed ? 0 : 1;
    }

    Counts pre;
    if (!fill(nl, first, window, pre) || pre.failed) {
        std::fprintf(stderr, "ctchurn: window fill failed (%llu failed)\n",
                     static_cast<unsigned long long>(pre.failed));
        return 1;
    }
    // Live entries are [oldest, next): create at next, delete at oldest.
    uint64_t oldest = first, next = first + window;
    uint64_t creates = 0, deletes = 0;
    Counts c;
    nl::NlWriter w;
    auto t0 = Clock::now();
    auto tick = std::chrono::milliseconds(batchMs);
    auto due = t0;
    uint64_t issued = 0;
    bool ok = true;
    while (ok) {
        double el = secondsSince(t0);
        if (el >= seconds)
            break;
        // Operations owed by now: a late batch catches up (bounded), so the mean rate is
        // the target whenever the kernel and the daemons can follow it.
        uint64_t target = static_cast<uint64_t>(rate * el);
        uint64_t n = target > issued ? std::min(target - issued, kMaxOpsPerBatch) : 0;
        for (uint64_t k = 0; k < n && ok; ++k) {
            // Alternate: create, delete, create, ... keeps the table at `window` entries.
            if ((issued + k) % 2 == 0) {
                ok = addCreate(w, next++);
                ++creates;
            } else {
                ok = addDelete(w, oldest++);
                ++deletes;
            }
        }
        issued += n;
        ok = ok && flush(nl, w, c);
        due += tick;
        std::this_thread::sleep_until(due);
    }
    double s = secondsSince(t0);
    std::printf("mode=churn target=%llu seconds=%.3f ops=%llu creates=%llu deletes=%llu failed=%llu "
                "achieved=%.0f window=%llu\n",
                static_cast<unsigned long long>(rate), s, static_cast<unsigned long long>(c.ok),
                static_cast<unsigned long long>(creates), static_cast<unsigned long long>(deletes),
                static_cast<unsigned long long>(c.failed), c.ok / (s > 0 ? s : 1),
                static_cast<unsigned long long>(next - oldest));
    return ok && !c.failed ? 0 : 1;
}
