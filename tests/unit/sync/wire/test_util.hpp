// Small constructors for the sync wire tests.
#pragma once

#include "entry.hpp"

#include <arpa/inet.h>

#include <string>

namespace ctd::sync::test {

inline Address addr(const std::string& s)
{
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1)
        a.family = AF_INET;
    else if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1)
        a.family = AF_INET6;
    return a;
}

inline Tuple ports(const std::string& src, const std::string& dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
    Tuple t;
    t.src = addr(src);
    t.dst = addr(dst);
    t.protocol = proto;
    t.sport = sport;
    t.dport = dport;
    return t;
}

inline Tuple icmp(const std::string& src, const std::string& dst, uint8_t proto, uint8_t type, uint8_t code,
                  uint16_t id)
{
    Tuple t;
    t.src = addr(src);
    t.dst = addr(dst);
    t.protocol = proto;
    t.icmpType = type;
    t.icmpCode = code;
    t.icmpId = id;
    return t;
}

} // namespace ctd::sync::test
