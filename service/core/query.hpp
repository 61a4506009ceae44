// The query model: one filter shape used by every listing, delete, flush and count, on the
// bus and in the drop-in CLIs. Every field is optional; an empty query matches everything.
// A Query is validated before it is used: the netlink layer turns what the kernel can filter
// into CTA_FILTER / CTA_MARK / CTA_STATUS / CTA_ZONE and matches the rest in userspace.
#pragma once

#include "entry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd {

enum class TableKind : uint8_t { Conntrack, Dying, Unconfirmed };

// An address with a prefix length: 192.0.2.0/24, 2001:db8::1/128. conntrack's --mask-src
// also takes netmasks that are no prefix (255.0.255.0); such a mask is kept in `mask` (same
// family as addr, addr already masked) and then `length` is unused. A contiguous mask is
// always stored as a length, so only a Prefix without `mask` can be a kernel filter.
struct Prefix {
    Address addr;
    uint8_t length = 0; // 0..32 or 0..128
    std::optional<Address> mask = std::nullopt;
    bool operator==(const Prefix&) const = default;
};

enum class NatKind : uint8_t { Snat, Dnat, Any };

struct NatFilter {
    NatKind kind = NatKind::Any;
    std::optional<Address> addr; // conntrack --src-nat IP[:PORT]
    std::optional<uint16_t> port;
    bool operator==(const NatFilter&) const = default;
};

// Values with a mask match when (value & mask) == (field & mask).
struct Masked32 {
    uint32_t value = 0;
    uint32_t mask = 0xffffffff;
    bool operator==(const Masked32&) const = default;
};

struct Query {
    TableKind table = TableKind::Conntrack;
    std::optional<uint8_t> family; // AF_INET / AF_INET6; absent = both
    std::optional<uint8_t> protocol;
    std::optional<Prefix> src, dst, replySrc, replyDst;
    std::optional<uint16_t> sport, dport, replySport, replyDport;
    std::optional<uint8_t> icmpType, icmpCode;
    std::optional<uint16_t> icmpId;
    std::optional<uint16_t> zone, origZone, replyZone;
    std::optional<Masked32> mark;
    // status bits that must all be set (conntrack -u ASSURED,SEEN_REPLY)
    std::optional<uint32_t> status;
    // status bits that must all be clear (conntrack -u !ASSURED; UNREPLIED is SEEN_REPLY
    // clear); disjoint from status
    std::optional<uint32_t> statusClear;
    // protocol state by number (TCP_CONNTRACK_*, SCTP, DCCP); the protocol decides which
    std::optional<uint8_t> state;
    // label bits that must all be set
    std::vector<uint8_t> labels;
    std::vector<NatFilter> nat; // conntrack allows --src-nat and --dst-nat together
    std::optional<uint32_t> id;
    // conntrack -c: compared only with entries that carry CTA_SECMARK, as 1.4.7's
    // non-strict nfct_cmp() does (this kernel reports CTA_SECCTX instead, so in practice
    // it selects nothing out); List and Watch only, see query_args.cpp
    std::optional<uint32_t> secmark;
    bool zeroCounters = false; // dump with CTNL_MSG_CT_GET_CTRZERO
    bool operator==(const Query&) const = default;

    bool empty() const { return *this == Query{}; }
};

} // namespace ctd
