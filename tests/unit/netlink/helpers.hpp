// Small builders for test values.
#pragma once

#include "entry.hpp"
#include "netlink/attr_table.hpp"
#include "netlink/ctnl_parse.hpp"
#include "query.hpp"

#include <arpa/inet.h>
#include <map>
#include <string>
#include <vector>

namespace ctd::test {

inline Address addr(const std::string& text)
{
    Address a;
    a.family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    inet_pton(a.family, text.c_str(), a.bytes.data());
    return a;
}

inline Prefix prefix(const std::string& text, uint8_t len)
{
    return Prefix{addr(text), len};
}

inline Tuple udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport)
{
    Tuple t;
    t.src = addr(src);
    t.dst = addr(dst);
    t.protocol = IPPROTO_UDP;
    t.sport = sport;
    t.dport = dport;
    return t;
}

inline uint8_t familyOf(nl::ByteView message) { return message[16]; }
inline uint8_t versionOf(nl::ByteView message) { return message[17]; }
inline uint16_t typeOf(nl::ByteView message) { return nl::loadHost<uint16_t>(message.data() + 4); }
inline uint16_t flagsOf(nl::ByteView message) { return nl::loadHost<uint16_t>(message.data() + 6); }

// Top-level attribute payloads of a message by type (NLA_F_* bits dropped).
inline std::map<uint16_t, std::vector<uint8_t>> topAttrs(nl::ByteView message)
{
    std::map<uint16_t, std::vector<uint8_t>> out;
    auto attrs = nl::messageAttrs(message);
    if (!attrs)
        return out;
    struct Ctx {
        std::map<uint16_t, std::vector<uint8_t>>& out;
    } ctx{out};
    auto r = nl::walkAttrs(
        *attrs, "test",
        [](void* raw, uint16_t type, nl::ByteView p) -> Result<void> {
            static_cast<Ctx*>(raw)->out[type] = std::vector<uint8_t>(p.begin(), p.end());
            return {};
        },
        &ctx);
    (void)r;
    return out;
}

} // namespace ctd::test
