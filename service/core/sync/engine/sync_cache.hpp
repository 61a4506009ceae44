// One sync cache: the internal cache (this node's kernel table as events and dumps tell it)
// or the external cache (what the peers sent). Keyed like the kernel's own hash: the
// original tuple plus the zone, so an update or destroy finds the entry its new came with.
// Bounded by HashLimit: an entry that does not fit is refused and counted, never evicting
// another (conntrackd does the same; silently losing an old connection would be worse).
#pragma once

#include "compact_entry.hpp"
#include "entry.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace ctd::sync {

struct CacheKey {
    uint8_t family = 0;
    Tuple orig;
    uint16_t zone = 0;
    bool operator==(const CacheKey&) const = default;
};

struct CacheKeyHash {
    size_t operator()(const CacheKey& key) const;
};

CacheKey cacheKeyOf(const Entry& entry);

// conntrackd's object states: a destroyed entry stays (Dead) until the peer acknowledged
// its destroy message, so FTFW can resend it.
enum class ObjectState : uint8_t { New, Alive, Dead };

// Where an internal object sits in FTFW's queues (at most one at a time).
enum class QueueSlot : uint8_t { None, Tx, Resend };

struct CacheObject {
    CompactEntry record;
    Entry entry() const { return record.expand(); }
    void setEntry(const Entry& e) { record.assign(e); }
    ObjectState state = ObjectState::New;
    QueueSlot slot = QueueSlot::None;
    uint32_t resyncPass = 0; // the last resync from the kernel that saw it (0: none)
    uint64_t createdMs = 0; // conntrackd -i's "active since"
    uint64_t lastUpdateMs = 0;
    uint64_t refreshDueMs = 0; // ALARM: when the next refresh is sent / the entry expires
    uint64_t resendSeq = 0; // FTFW: extended sequence of the message in the resend queue
};

struct CacheCounters {
    uint64_t added = 0;
    uint64_t updated = 0;
    uint64_t deleted = 0;
    uint64_t refusedFull = 0; // HashLimit reached
    uint64_t deleteMissing = 0; // destroy for an entry the cache never had
};

class SyncCache {
public:
    SyncCache(std::string name, size_t limit) : name_(std::move(name)), limit_(limit) {}

    enum class Upsert { Added, Updated, Refused };
    // Adds or updates; an update keeps the object's queue bookkeeping.
    Upsert upsert(const Entry& entry, uint64_t nowMs, CacheObject** object = nullptr);
    CacheObject* find(const CacheKey& key);
    const CacheObject* find(const CacheKey& key) const;
    bool erase(const CacheKey& key);
    void clear();

    size_t size() const { return objects_.size(); }
    size_t limit() const { return limit_; }
    const std::string& name() const { return name_; }
    CacheCounters& counters() { return counters_; }
    const CacheCounters& counters() const { return counters_; }

    // Visits every object; fn may change the object but not add or erase.
    void forEach(const std::function<void(const CacheKey&, CacheObject&)>& fn);
    void forEach(const std::function<void(const CacheKey&, const CacheObject&)>& fn) const;
    // Erases the objects pred selects; returns how many.
    size_t eraseIf(const std::function<bool(const CacheKey&, const CacheObject&)>& pred);

private:
    std::string name_;
    size_t limit_;
    std::unordered_map<CacheKey, CacheObject, CacheKeyHash> objects_;
    CacheCounters counters_;
};

} // namespace ctd::sync
