// ctfill: fills the current network namespace's conntrack table with unique UDP entries
// for the benchmarks, through ctcore's batched create.
//
//   ctfill --count N [--only-dport 53|9999] [--timeout SECONDS] [--sockets S]
//
// --sockets S: S threads, each with its own netlink socket, create every S-th entry (the
// floor of bulk creates with S sockets in one namespace). --ack-each 0: only the last
// message of each datagram asks for an acknowledgement (failures are still reported).
//
// Entry i (0 <= i < N) goes from 198.18.(i >> 16).(i >> 8 & 255)... to 192.0.2.1: every
// tuple is unique. 1 % have dport 53 (i % 100 == 0), 1 % dport 9999 (i % 100 == 1), the
// rest 1024 + i % 100. --only-dport recreates just that 1 % of a table of N, with the same
// tuples, so a benchmark can refill what a delete run removed.
#include "netlink/conntrack_table.hpp"
#include "netlink/socket.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace ctd;

namespace {

constexpr uint8_t kUdp = 17;

uint16_t dportOf(uint64_t i)
{
    switch (i % 100) {
    case 0:
        return 53;
    case 1:
        return 9999;
    default:
        return 1024 + i % 100;
    }
}

Entry entryFor(uint64_t i, uint32_t timeout)
{
    Entry e;
    e.family = AF_INET;
    e.orig.src.family = e.orig.dst.family = AF_INET;
    // 198.18.0.0/15 has 2^17 addresses; with 16 bits of source port the index space is
    // 2^33, far beyond any table we fill.
    uint32_t src = (198u << 24 | 18u << 16) + static_cast<uint32_t>(i >> 16);
    uint32_t srcNet = htonl(src);
    std::memcpy(e.orig.src.bytes.data(), &srcNet, 4);
    uint32_t dst = htonl(192u << 24 | 0u << 16 | 2u << 8 | 1u);
    std::memcpy(e.orig.dst.bytes.data(), &dst, 4);
    e.orig.protocol = kUdp;
    e.orig.sport = static_cast<uint16_t>(i & 0xffff);
    e.orig.dport = dportOf(i);
    e.timeout = timeout;
    return e;
}

[[noreturn]] void usage()
{
    std::fprintf(stderr, "usage: ctfill --count N [--only-dport 53|9999] [--timeout SECONDS] [--sockets S] [--ack-each 0|1]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv)
{
    uint64_t count = 0;
    int onlyDport = -1;
    uint32_t timeout = 3600;
    uint64_t sockets = 1;
    nl::SocketOptions options;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (i + 1 >= argc)
            usage();
        uint64_t v = std::strtoull(argv[++i], nullptr, 10);
        if (a == "--count")
            count = v;
        else if (a == "--only-dport")
            onlyDport = static_cast<int>(v);
        else if (a == "--timeout")
            timeout = static_cast<uint32_t>(v);
        else if (a == "--sockets" && v >= 1 && v <= 64)
            sockets = v;
        else if (a == "--ack-each")
            options.ackEachChange = v != 0;
        else
            usage();
    }
    if (count == 0)
        usage();

    // With --only-dport, count is the number of entries wanted; they are the 1 % of a
    // table of count * 100.
    const uint64_t limit = onlyDport < 0 ? count : count * 100;
    struct Part {
        uint64_t done = 0, failed = 0;
        std::string error;
    };
    std::vector<Part> parts(sockets);
    auto fill = [&](uint64_t k) {
        Part& part = parts[k];
        auto socket = nl::MnlSocket::open(options);
        if (!socket) {
            part.error = socket.error().message;
            part.failed = 1;
            return;
        }
        nl::ConntrackTable table(**socket);
        uint64_t next = k;
        auto r = table.createMany([&](Entry& e) {
            while (next < limit) {
                uint64_t i = next;
                next += sockets;
                if (onlyDport >= 0 && dportOf(i) != onlyDport)
                    continue;
                e = entryFor(i, timeout);
                return true;
            }
            return false;
        });
        if (!r) {
            part.error = r.error().message;
            part.failed = 1;
            return;
        }
        part.done = r->done;
        part.failed = r->failed;
        if (r->firstError)
            part.error = r->firstError->message;
    };
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (uint64_t k = 1; k < sockets; ++k)
        threads.emplace_back(fill, k);
    fill(0);
    for (auto& t : threads)
        t.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t done = 0, failed = 0;
    std::string error;
    for (const Part& p : parts) {
        done += p.done;
        failed += p.failed;
        if (error.empty())
            error = p.error;
    }
    std::fprintf(stderr, "ctfill: created %llu, failed %llu in %.2f s (%.0f/s) on %llu socket%s%s%s\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(failed), secs,
                 done / (secs > 0 ? secs : 1), static_cast<unsigned long long>(sockets), sockets == 1 ? "" : "s",
                 error.empty() ? "" : ": ", error.c_str());
    return failed ? 1 : 0;
}
