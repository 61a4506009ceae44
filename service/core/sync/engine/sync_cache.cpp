#include "sync_cache.hpp"

#include <cstring>

namespace ctd::sync {
namespace {

// FNV-1a over the fields that identify a connection.
struct Fnv {
    uint64_t h = 1469598103934665603ull;
    void bytes(const void* p, size_t n)
    {
        auto* b = static_cast<const uint8_t*>(p);
        for (size_t i = 0; i < n; ++i) {
            h ^= b[i];
            h *= 1099511628211ull;
        }
    }
    template <typename T> void value(const std::optional<T>& v)
    {
        uint8_t present = v.has_value();
        bytes(&present, 1);
        if (v)
            bytes(&*v, sizeof(T));
    }
};

} // namespace

size_t CacheKeyHash::operator()(const CacheKey& key) const
{
    Fnv f;
    f.bytes(&key.family, 1);
    f.bytes(key.orig.src.bytes.data(), key.orig.src.bytes.size());
    f.bytes(key.orig.dst.bytes.data(), key.orig.dst.bytes.size());
    f.value(key.orig.protocol);
    f.value(key.orig.sport);
    f.value(key.orig.dport);
    f.value(key.orig.icmpType);
    f.value(key.orig.icmpCode);
    f.value(key.orig.icmpId);
    f.bytes(&key.zone, sizeof key.zone);
    return static_cast<size_t>(f.h);
}

CacheKey cacheKeyOf(const Entry& entry)
{
    CacheKey key{entry.family, entry.orig, entry.zone.value_or(0)};
    // The directional tuple zone is not part of the identity the peer sends.
    key.orig.zone.reset();
    return key;
}

SyncCache::Upsert SyncCache::upsert(const Entry& entry, uint64_t nowMs, CacheObject** object)
{
    const CacheKey key = cacheKeyOf(entry);
    auto it = objects_.find(key);
    if (it == objects_.end()) {
        if (limit_ != 0 && objects_.size() >= limit_) {
            ++counters_.refusedFull;
            if (object)
                *object = nullptr;
            return Upsert::Refused;
        }
        it = objects_.emplace(key, CacheObject{}).first;
        it->second.setEntry(entry);
        it->second.state = ObjectState::New;
        it->second.lastUpdateMs = nowMs;
        it->second.createdMs = nowMs;
        ++counters_.added;
        if (object)
            *object = &it->second;
        return Upsert::Added;
    }
    CacheObject& obj = it->second;
    obj.setEntry(entry);
    // A destroyed entry that comes back is a new connection with the same tuple.
    obj.state = obj.state == ObjectState::Dead ? ObjectState::New : ObjectState::Alive;
    obj.lastUpdateMs = nowMs;
    ++counters_.updated;
    if (object)
        *object = &obj;
    return Upsert::Updated;
}

CacheObject* SyncCache::find(const CacheKey& key)
{
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

const CacheObject* SyncCache::find(const CacheKey& key) const
{
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

bool SyncCache::erase(const CacheKey& key)
{
    if (objects_.erase(key) == 0)
        return false;
    ++counters_.deleted;
    return true;
}

void SyncCache::clear()
{
    counters_.deleted += objects_.size();
    objects_.clear();
}

void SyncCache::forEach(const std::function<void(const CacheKey&, CacheObject&)>& fn)
{
    for (auto& [key, obj] : objects_)
        fn(key, obj);
}

void SyncCache::forEach(const std::function<void(const CacheKey&, const CacheObject&)>& fn) const
{
    for (const auto& [key, obj] : objects_)
        fn(key, obj);
}

size_t SyncCache::eraseIf(const std::function<bool(const CacheKey&, const CacheObject&)>& pred)
{
    size_t n = std::erase_if(objects_, [&](const auto& kv) { return pred(kv.first, kv.second); });
    counters_.deleted += n;
    return n;
}

} // namespace ctd::sync
