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
    bool added = false;
    CacheObject* obj = obtain(cacheKeyOf(entry), added);
    if (object)
        *object = obj;
    if (!obj)
        return Upsert::Refused;
    obj->setEntry(entry);
    obj->lastUpdateMs = nowMs;
    if (added) {
        obj->state = ObjectState::New;
        obj->createdMs = nowMs;
        return Upsert::Added;
    }
    // A destroyed entry that comes back is a new connection with the same tuple.
    obj->state = obj->state == ObjectState::Dead ? ObjectState::New : ObjectState::Alive;
    ++counters().updated;
    return Upsert::Updated;
}

} // namespace ctd::sync
