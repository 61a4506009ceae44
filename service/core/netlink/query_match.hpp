// The userspace side of every query: decides whether an Entry matches a Query with
// conntrack 1.4.7's semantics. It runs on every entry even when the kernel filtered,
// because the kernel filter is a pre-selection (see kernel_filter.hpp).
#pragma once

#include "entry.hpp"
#include "query.hpp"

namespace ctd::nl {

bool matches(const Query& q, const Entry& e);

bool prefixContains(const Prefix& p, const Address& a);

// The conntrack zone id regardless of direction, as nf_ct_zone_equal_any() compares it:
// a directional zone is reported only inside its tuple.
uint16_t zoneIdOf(const Entry& e);

} // namespace ctd::nl
