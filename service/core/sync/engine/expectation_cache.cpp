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
    const ExpectationKey key = expectationKeyOf(x);
    auto it = objects_.find(key);
    if (it == objects_.end()) {
        if (limit_ != 0 && objects_.size() >= limit_) {
            ++counters_.refusedFull;
            return false;
        }
        objects_.emplace(key, ExpectationObject{x, nowMs, nowMs});
        ++counters_.added;
        return true;
    }
    it->second.expectation = x;
    it->second.lastUpdateMs = nowMs;
    ++counters_.updated;
    return true;
}

bool ExpectationCache::erase(const ExpectationKey& key)
{
    if (objects_.erase(key) == 0) {
        ++counters_.deleteMissing;
        return false;
    }
    ++counters_.deleted;
    return true;
}

const ExpectationObject* ExpectationCache::find(const ExpectationKey& key) const
{
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

void ExpectationCache::clear()
{
    counters_.deleted += objects_.size();
    objects_.clear();
}

void ExpectationCache::forEach(const std::function<void(const ExpectationObject&)>& fn) const
{
    for (const auto& [key, obj] : objects_)
        fn(obj);
}

} // namespace ctd::sync
