// What the connection and expectation caches share: objects by key in a hash table,
// bounded by HashLimit, with conntrackd's counters. An object that does not fit is refused
// and counted, never evicting another (conntrackd does the same; silently losing an old
// connection would be worse).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

namespace ctd::sync {

struct CacheCounters {
    uint64_t added = 0;
    uint64_t updated = 0;
    uint64_t deleted = 0;
    uint64_t refusedFull = 0; // HashLimit reached
    uint64_t deleteMissing = 0; // destroy for an entry the cache never had
};

template <typename Key, typename Object, typename Hash> class CacheStore {
public:
    CacheStore(std::string name, size_t limit) : name_(std::move(name)), limit_(limit) {}

    // key's object, made (and counted as added) if there is none and the limit allows;
    // nullptr when the cache is full (counted). added says which.
    Object* obtain(const Key& key, bool& added)
    {
        auto it = objects_.find(key);
        added = it == objects_.end();
        if (!added)
            return &it->second;
        if (limit_ != 0 && objects_.size() >= limit_) {
            ++counters_.refusedFull;
            return nullptr;
        }
        ++counters_.added;
        return &objects_.try_emplace(key).first->second;
    }
    Object* find(const Key& key)
    {
        auto it = objects_.find(key);
        return it == objects_.end() ? nullptr : &it->second;
    }
    const Object* find(const Key& key) const
    {
        auto it = objects_.find(key);
        return it == objects_.end() ? nullptr : &it->second;
    }
    // false (counted as a destroy for nothing) when the cache has no such object.
    bool erase(const Key& key)
    {
        if (objects_.erase(key) == 0) {
            ++counters_.deleteMissing;
            return false;
        }
        ++counters_.deleted;
        return true;
    }
    void clear()
    {
        counters_.deleted += objects_.size();
        objects_.clear();
    }

    size_t size() const { return objects_.size(); }
    size_t limit() const { return limit_; }
    const std::string& name() const { return name_; }
    CacheCounters& counters() { return counters_; }
    const CacheCounters& counters() const { return counters_; }

    // Visits every object; fn may change the object but not add or erase.
    void forEach(const std::function<void(const Key&, Object&)>& fn)
    {
        for (auto& [key, obj] : objects_)
            fn(key, obj);
    }
    void forEach(const std::function<void(const Key&, const Object&)>& fn) const
    {
        for (const auto& [key, obj] : objects_)
            fn(key, obj);
    }
    // Erases the objects pred selects; returns how many.
    size_t eraseIf(const std::function<bool(const Key&, const Object&)>& pred)
    {
        size_t n = std::erase_if(objects_, [&](const auto& kv) { return pred(kv.first, kv.second); });
        counters_.deleted += n;
        return n;
    }

private:
    std::string name_;
    size_t limit_;
    std::unordered_map<Key, Object, Hash> objects_;
    CacheCounters counters_;
};

} // namespace ctd::sync
