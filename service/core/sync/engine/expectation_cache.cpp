#include "expectation_cache.hpp"

namespace ctd::sync {

size_t ExpectationKeyHash::operator()(const ExpectationKey& key) const
{
    // The connection key's hash over the expected tuple: the same fields identify both.
    return CacheKeyHash{}(CacheKey{key.family, key.tuple, key.zone});
}

ExpectationKey expectationKeyOf(const Expectation& x)
{
    ExpectationKey key{x.family, x.tuple, x.zone.value_or(0)};
    key.tuple.zone.reset();
    return key;
}

bool ExpectationCache::upsert(const Expectation& x, uint64_t nowMs)
{
    bool added = false;
    ExpectationObject* obj = obtain(expectationKeyOf(x), added);
    if (!obj)
        return false;
    obj->expectation = x;
    obj->lastUpdateMs = nowMs;
    if (added)
        obj->createdMs = nowMs;
    else
        ++counters().updated;
    return true;
}

} // namespace ctd::sync
