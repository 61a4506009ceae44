// Splits a Query into what the kernel can filter during its table walk and what only
// userspace can check. The kernel part is sent as CTA_FILTER + partial tuples, CTA_MARK,
// CTA_STATUS and CTA_ZONE (see shared/design/KERNEL-NOTES.md); query_match.hpp stays the
// final authority either way.
#pragma once

#include "entry.hpp"
#include "query.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace ctd::nl {

// What this kernel's ctnetlink filter can be trusted with. The defaults are what was
// measured on the project's kernel; a start-up probe may switch features off.
struct KernelCaps {
    // Some kernels compare IPv6 filter addresses with the result of ipv6_addr_cmp()
    // inverted; keep IPv6 addresses in userspace unless a probe proved otherwise.
    bool ipv6AddressFilter = false;
    bool zoneFilter = true; // top-level CTA_ZONE honoured by dumps and flushes
    bool tupleZoneFilter = false; // CTA_FILTER TUPLE_ZONE flag is accepted but not compared
};

// One request's worth of kernel-side filter; the values for flagged tuple fields live in
// orig / reply and are sent as top-level CTA_TUPLE_ORIG / CTA_TUPLE_REPLY.
struct KernelFilter {
    uint8_t family = 0; // AF_UNSPEC, AF_INET or AF_INET6
    uint32_t origFlags = 0;
    uint32_t replyFlags = 0;
    Tuple orig;
    Tuple reply;
    std::optional<Masked32> mark; // value already masked, mask != 0
    // CTA_STATUS (value: bits that must be set) + CTA_STATUS_MASK (set and clear bits,
    // != 0: the kernel answers a zero mask with EINVAL); value may be 0 for clear-only
    std::optional<Masked32> status;
    std::optional<uint16_t> zone;

    bool needsCtaFilter() const { return origFlags || replyFlags; }
    // True when the filter selects a subset of the table. The family alone counts:
    // a version-1 flush honours it.
    bool selective() const { return family || needsCtaFilter() || mark || status || zone; }
    bool operator==(const KernelFilter&) const = default;
};

struct FilterPlan {
    // One request per table walk. Empty when nothing can match (e.g. an IPv4 address with
    // family ipv6): the caller sends nothing.
    std::vector<KernelFilter> requests;
    // Every condition of the query is expressed by the requests, so the kernel's result
    // is exactly the query's: safe for a kernel-side filtered delete.
    bool exact = true;
};

FilterPlan planKernelFilter(const Query& query, const KernelCaps& caps = {});

} // namespace ctd::nl
