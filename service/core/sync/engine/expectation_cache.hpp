// The expectation caches of the sync engine (Options { ExpectationSync }): what this node's
// kernel expects (internal) and what the peers' kernels expect (external), keyed like the
// kernel's expectation hash: the expected tuple and the zone.
#pragma once

#include "entry.hpp"
#include "sync_cache.hpp"

#include <cstddef>
#include <cstdint>

namespace ctd::sync {

struct ExpectationKey {
    uint8_t family = 0;
    Tuple tuple;
    uint16_t zone = 0;
    bool operator==(const ExpectationKey&) const = default;
};

struct ExpectationKeyHash {
    size_t operator()(const ExpectationKey& key) const;
};

ExpectationKey expectationKeyOf(const Expectation& x);

struct ExpectationObject {
    Expectation expectation;
    uint64_t createdMs = 0;
    uint64_t lastUpdateMs = 0;
};

class ExpectationCache : public CacheStore<ExpectationKey, ExpectationObject, ExpectationKeyHash> {
public:
    using CacheStore::CacheStore;

    // false: the cache is full (counted).
    bool upsert(const Expectation& x, uint64_t nowMs);
};

} // namespace ctd::sync
