// One sync cache: the internal cache (this node's kernel table as events and dumps tell it)
// or the external cache (what the peers sent). Keyed like the kernel's own hash: the
// original tuple plus the zone, so an update or destroy finds the entry its new came with.
#pragma once

#include "cache_store.hpp"
#include "compact_entry.hpp"
#include "entry.hpp"

#include <cstddef>
#include <cstdint>

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

// The internal or the external cache of connections.
class SyncCache : public CacheStore<CacheKey, CacheObject, CacheKeyHash> {
public:
    using CacheStore::CacheStore;

    enum class Upsert { Added, Updated, Refused };
    // Adds or updates; an update keeps the object's queue bookkeeping.
    Upsert upsert(const Entry& entry, uint64_t nowMs, CacheObject** object = nullptr);
};

} // namespace ctd::sync
