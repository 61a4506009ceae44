// The expectation caches of the sync engine (Options { ExpectationSync }): what this node's
// kernel expects (internal) and what the peers' kernels expect (external), keyed like the
// kernel's expectation hash: the expected tuple and the zone. Bounded like the connection
// caches; a full cache refuses and counts.
#pragma once

#include "entry.hpp"
#include "sync_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

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

class ExpectationCache {
public:
    ExpectationCache(std::string name, size_t limit) : name_(std::move(name)), limit_(limit) {}

    // false: the cache is full (counted).
    bool upsert(const Expectation& x, uint64_t nowMs);
    bool erase(const ExpectationKey& key);
    const ExpectationObject* find(const ExpectationKey& key) const;
    void clear();
    size_t size() const { return objects_.size(); }
    const std::string& name() const { return name_; }
    CacheCounters& counters() { return counters_; }
    const CacheCounters& counters() const { return counters_; }
    void forEach(const std::function<void(const ExpectationObject&)>& fn) const;

private:
    std::string name_;
    size_t limit_;
    std::unordered_map<ExpectationKey, ExpectationObject, ExpectationKeyHash> objects_;
    CacheCounters counters_;
};

} // namespace ctd::sync
