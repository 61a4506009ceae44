#include "builders.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <sys/socket.h>

namespace ctd::test {

namespace {
// Expected texts print local time (ctime, <when>) as UTC; pin it even when the binary is run
// by hand rather than through meson test.
const bool kUtc = [] {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    return true;
}();
} // namespace

static Address parsed(uint8_t family, std::string_view text)
{
    Address a;
    a.family = family;
    std::string s(text);
    inet_pton(family, s.c_str(), a.bytes.data());
    return a;
}

Address v4(std::string_view text) { return parsed(AF_INET, text); }
Address v6(std::string_view text) { return parsed(AF_INET6, text); }

Address addr(std::string_view text) { return text.find(':') != std::string_view::npos ? v6(text) : v4(text); }

static Entry base(uint8_t protocol, std::string_view src, std::string_view dst)
{
    Entry e;
    e.orig.src = addr(src);
    e.orig.dst = addr(dst);
    e.family = e.orig.src.family;
    e.orig.protocol = protocol;
    e.reply.src = e.orig.dst;
    e.reply.dst = e.orig.src;
    e.reply.protocol = protocol;
    return e;
}

Entry portEntry(uint8_t protocol, std::string_view src, std::string_view dst, uint16_t sport,
                uint16_t dport)
{
    Entry e = base(protocol, src, dst);
    e.orig.sport = sport;
    e.orig.dport = dport;
    e.reply.sport = dport;
    e.reply.dport = sport;
    return e;
}

Entry icmpEntry(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint16_t id,
                uint8_t replyType)
{
    Entry e = base(src.find(':') != std::string_view::npos ? 58 : 1, src, dst);
    e.orig.icmpType = type;
    e.orig.icmpCode = code;
    e.orig.icmpId = id;
    e.reply.icmpType = replyType;
    e.reply.icmpCode = code;
    e.reply.icmpId = id;
    return e;
}

Entry genericEntry(uint8_t protocol, std::string_view src, std::string_view dst)
{
    return base(protocol, src, dst);
}

Entry randomEntry(uint64_t seed)
{
    std::mt19937_64 rng(seed);
    auto coin = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
    Entry e;
    const bool ipv6 = coin(30);
    e.family = ipv6 ? AF_INET6 : AF_INET;
    auto randAddr = [&]() {
        Address a;
        a.family = e.family;
        const size_t n = ipv6 ? 16 : 4;
        for (size_t i = 0; i < n; ++i)
            a.bytes[i] = coin(30) ? 0 : static_cast<uint8_t>(rng());
        return a;
    };
    static constexpr uint8_t kProtos[] = {6, 17, 136, 132, 33, 1, 58, 47, 99};
    uint8_t p = kProtos[rng() % std::size(kProtos)];
    if (p == 1 && ipv6)
        p = 58;
    if (p == 58 && !ipv6)
        p = 1;
    e.orig.protocol = e.reply.protocol = p;
    e.orig.src = randAddr();
    e.orig.dst = randAddr();
    e.reply.src = coin(80) ? e.orig.dst : randAddr();
    e.reply.dst = coin(80) ? e.orig.src : randAddr();
    if (p == 6 || p == 17 || p == 136 || p == 132 || p == 33 || p == 47) {
        e.orig.sport = static_cast<uint16_t>(rng());
        e.orig.dport = static_cast<uint16_t>(rng());
        e.reply.sport = e.orig.dport;
        e.reply.dport = coin(80) ? *e.orig.sport : static_cast<uint16_t>(rng());
    }
    if (p == 1 || p == 58) {
        e.orig.icmpType = p == 1 ? 8 : 128;
        e.orig.icmpCode = 0;
        e.orig.icmpId = static_cast<uint16_t>(rng());
        e.reply.icmpType = p == 1 ? 0 : 129;
        e.reply.icmpCode = 0;
        e.reply.icmpId = e.orig.icmpId;
    }
    e.status = static_cast<uint32_t>(rng() & 0x407); // the bits save prints: EXPECTED, SEEN_REPLY, ASSURED, FIXED_TIMEOUT
    e.timeout = static_cast<uint32_t>(rng() % 432000);
    if (coin(30))
        e.secmark = static_cast<uint32_t>(rng());
    if (coin(20))
        e.zone = static_cast<uint16_t>(rng());
    if (coin(10))
        e.orig.zone = static_cast<uint16_t>(rng());
    if (coin(10))
        e.reply.zone = static_cast<uint16_t>(rng());
    if (p == 6) {
        e.tcp.emplace();
        e.tcp->state = static_cast<uint8_t>(rng() % 10);
    }
    if (p == 132) {
        e.sctp.emplace();
        e.sctp->state = static_cast<uint8_t>(rng() % 10);
        e.sctp->vtagOrig = static_cast<uint32_t>(rng());
        e.sctp->vtagReply = static_cast<uint32_t>(rng());
    }
    if (p == 33) {
        e.dccp.emplace();
        e.dccp->state = static_cast<uint8_t>(rng() % 10);
        e.dccp->role = static_cast<uint8_t>(rng() % 2);
    }
    return e;
}

std::vector<Entry> throughputEntries(size_t count)
{
    std::vector<Entry> entries;
    entries.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
        Entry e = randomEntry(i);
        e.countersOrig = Counters{i * 3, i * 1500};
        e.countersReply = Counters{i * 2, i * 900};
        e.mark = static_cast<uint32_t>(i);
        e.use = 1;
        e.id = static_cast<uint32_t>(i * 2654435761u);
        entries.push_back(e);
    }
    return entries;
}

} // namespace ctd::test
