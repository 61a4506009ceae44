#include "sync/engine/sync_cache.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace ctd::sync {
namespace {

Entry entry(uint16_t sport, uint16_t zone = 0)
{
    Entry e;
    e.family = AF_INET;
    e.orig.src.family = AF_INET;
    e.orig.src.bytes[0] = 192;
    e.orig.dst.family = AF_INET;
    e.orig.protocol = IPPROTO_UDP;
    e.orig.sport = sport;
    e.orig.dport = 53;
    if (zone)
        e.zone = zone;
    return e;
}

TEST(SyncCache, KeysByOriginalTupleAndZone)
{
    SyncCache c("t", 0);
    EXPECT_EQ(c.upsert(entry(1), 0), SyncCache::Upsert::Added);
    EXPECT_EQ(c.upsert(entry(1, 5), 0), SyncCache::Upsert::Added);
    Entry changed = entry(1);
    changed.mark = 3;
    EXPECT_EQ(c.upsert(changed, 1), SyncCache::Upsert::Updated);
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(c.find(cacheKeyOf(entry(1)))->entry().mark, 3u);
    EXPECT_EQ(c.find(cacheKeyOf(entry(1)))->state, ObjectState::Alive);
}

TEST(SyncCache, DeadEntryThatReturnsIsNew)
{
    SyncCache c("t", 0);
    CacheObject* o = nullptr;
    c.upsert(entry(1), 0, &o);
    o->state = ObjectState::Dead;
    c.upsert(entry(1), 1, &o);
    EXPECT_EQ(o->state, ObjectState::New);
}

TEST(SyncCache, LimitRefusesWithoutEvicting)
{
    SyncCache c("t", 2);
    c.upsert(entry(1), 0);
    c.upsert(entry(2), 0);
    EXPECT_EQ(c.upsert(entry(3), 0), SyncCache::Upsert::Refused);
    EXPECT_NE(c.find(cacheKeyOf(entry(1))), nullptr);
    EXPECT_EQ(c.counters().refusedFull, 1u);
    EXPECT_EQ(c.upsert(entry(1), 0), SyncCache::Upsert::Updated) << "updates still fit";
}

} // namespace
} // namespace ctd::sync
