#include "sync_statistics.hpp"

#include "flow_logger.hpp"
#include "sync_runtime.hpp"

#include <cerrno>

namespace ctd::sync {
namespace {

const char* kindLabel(LinkKind kind)
{
    switch (kind) {
    case LinkKind::Udp: return "UDP";
    case LinkKind::Tcp: return "TCP";
    case LinkKind::Multicast: break;
    }
    return "Multicast";
}

void put(Statistics& out, std::string key, uint64_t value) { out.emplace_back(std::move(key), value); }
void put(Statistics& out, std::string key, std::string value) { out.emplace_back(std::move(key), std::move(value)); }

void linkCounters(Statistics& out, const std::string& prefix, const Link& link)
{
    const LinkCounters& c = link.counters();
    put(out, prefix + "kind", kindLabel(link.spec().kind));
    put(out, prefix + "device", link.spec().interface);
    put(out, prefix + "bytes_sent", c.bytesSent);
    put(out, prefix + "bytes_received", c.bytesReceived);
    put(out, prefix + "packets_sent", c.datagramsSent);
    put(out, prefix + "packets_received", c.datagramsReceived);
    put(out, prefix + "send_errors", c.sendErrors);
    put(out, prefix + "receive_errors", c.receiveErrors);
    if (auto tcp = link.tcpConnected()) {
        put(out, prefix + "tcp_server", tcp->first ? "connected" : "disconnected");
        put(out, prefix + "tcp_client", tcp->second ? "connected" : "disconnected");
    }
}

uint64_t activeObjects(const SyncCache& cache)
{
    uint64_t n = 0;
    cache.forEach([&](const CacheKey&, const CacheObject& o) { n += o.state != ObjectState::Dead; });
    return n;
}

// One cache's counters as conntrackd's cache.c shows them, from the sync caches and from
// the Stats mode's flow logger alike.
struct CacheNumbers {
    uint64_t active = 0; // live objects (not dead)
    uint64_t total = 0;  // objects held, dead ones included
    uint64_t created = 0, createdFailed = 0, updated = 0, destroyed = 0, destroyedFailed = 0;
};

CacheNumbers numbersOf(uint64_t active, uint64_t total, const CacheCounters& c)
{
    return {active, total, c.added, c.refusedFull, c.updated, c.deleted, c.deleteMissing};
}

// The block conntrackd -s prints per cache ("current active connections" ...).
void cacheSummary(Statistics& out, const std::string& p, const CacheNumbers& n)
{
    put(out, p + "active", n.active);
    put(out, p + "created", n.created);
    put(out, p + "created_failed", n.createdFailed);
    put(out, p + "updated", n.updated);
    put(out, p + "updated_failed", 0);
    put(out, p + "destroyed", n.destroyed);
    put(out, p + "destroyed_failed", n.destroyedFailed);
}

// -s cache: cache_stats_extended(). A failed creation is a full cache (no_space).
void cacheExtended(Statistics& out, const std::string& p, const CacheNumbers& n)
{
    put(out, p + "active_objects", n.active);
    put(out, p + "active_entries", n.active);
    put(out, p + "total_entries", n.total);
    put(out, p + "created", n.created);
    put(out, p + "created_failed", n.createdFailed);
    put(out, p + "no_memory", 0);
    put(out, p + "no_space", n.createdFailed);
    put(out, p + "updated", n.updated);
    put(out, p + "updated_failed", 0);
    put(out, p + "update_not_found", 0);
    put(out, p + "deleted", n.destroyed);
    put(out, p + "deleted_failed", n.destroyedFailed);
    put(out, p + "delete_not_found", n.destroyedFailed);
}

// -s runtime: dump_stats_runtime(); conntrackd's process-model counters are zeros here.
struct RuntimeNumbers {
    uint64_t uptime = 0, eventsReceived = 0, eventsFiltered = 0, overruns = 0, kernelResyncs = 0,
             bufferSize = 0;
};

void runtimeCounters(Statistics& out, const RuntimeNumbers& n)
{
    put(out, "uptime", n.uptime);
    put(out, "events_received", n.eventsReceived);
    put(out, "events_filtered", n.eventsFiltered);
    put(out, "events_unknown", 0);
    put(out, "catch_failed", 0);
    put(out, "dump_unknown", 0);
    put(out, "netlink_overrun", n.overruns);
    put(out, "flush_kernel", 0);
    put(out, "kernel_resyncs", n.kernelResyncs);
    put(out, "buffer_size", n.bufferSize);
    for (const char* k : {"child_failed", "child_segfault", "child_termsig", "select_failed", "wait_failed",
                          "local_read_failed", "local_unknown_request"})
        put(out, k, 0);
}

void summary(Statistics& out, SyncEngine& e)
{
    for (const SyncCache* cache : {&e.internalCache(), &e.externalCache()})
        cacheSummary(out, cache->name() + ".", numbersOf(activeObjects(*cache), cache->size(), cache->counters()));
    put(out, "traffic.bytes", e.counters().trafficBytes);
    put(out, "traffic.packets", e.counters().trafficPackets);
    put(out, "msg.malformed", e.counters().msgMalformed);
    put(out, "msg.lost", e.counters().msgLost);
    linkCounters(out, "link.", e.channel(e.activeChannel()));
}

void network(Statistics& out, SyncEngine& e)
{
    const EngineCounters& c = e.counters();
    put(out, "recv.malformed", c.msgMalformed);
    put(out, "recv.bad_version", c.malformedVersion);
    put(out, "recv.bad_header", c.malformedHeader);
    put(out, "recv.bad_payload", c.malformedPayload);
    put(out, "recv.bad_type", c.malformedType);
    put(out, "recv.truncated", c.malformedTruncated);
    put(out, "recv.bad_size", c.malformedSize);
    put(out, "send.malformed", 0);
    put(out, "seq.lost", c.msgLost);
    put(out, "seq.before", c.msgBefore);
    linkCounters(out, "link.", e.channel(e.activeChannel()));
}

void cache(Statistics& out, SyncEngine& e)
{
    for (const SyncCache* cache : {&e.internalCache(), &e.externalCache()})
        cacheExtended(out, cache->name() + ".", numbersOf(activeObjects(*cache), cache->size(), cache->counters()));
}

void runtime(Statistics& out, SyncRuntime& rt)
{
    const EngineCounters& c = rt.engine().counters();
    runtimeCounters(out, {rt.uptimeSeconds(), c.eventsReceived, c.eventsFiltered, rt.eventLoss(), c.kernelResyncs,
                          rt.eventBufferSize()});
}

void links(Statistics& out, SyncEngine& e)
{
    put(out, "links", e.channelCount());
    for (size_t i = 0; i < e.channelCount(); ++i) {
        const std::string p = "link." + std::to_string(i) + ".";
        linkCounters(out, p, e.channel(i));
        put(out, p + "status", e.channelUp(i) ? "RUNNING" : "DOWN");
        put(out, p + "role", i == e.activeChannel() ? "ACTIVE" : "BACKUP");
    }
}

void queues(Statistics& out, SyncEngine& e)
{
    put(out, "nodes", e.txQueueLength() + e.resendQueueLength());
    put(out, "txqueue.current", e.txQueueLength());
    put(out, "txqueue.max", 2147483647);
    put(out, "txqueue.no_space", e.counters().txQueueDrops);
    put(out, "errorq.current", 0);
    put(out, "errorq.max", 128);
    put(out, "errorq.no_space", 0);
    put(out, "rsqueue.current", e.resendQueueLength());
    put(out, "rsqueue.max", e.settings().resendQueueSize);
    put(out, "rsqueue.no_space", e.counters().resendQueueOverflows);
}

void ftfw(Statistics& out, SyncEngine& e)
{
    const EngineCounters& c = e.counters();
    put(out, "ftfw.acks_sent", c.acksSent);
    put(out, "ftfw.nacks_sent", c.nacksSent);
    put(out, "ftfw.acks_received", c.acksReceived);
    put(out, "ftfw.nacks_received", c.nacksReceived);
    put(out, "ftfw.resent", c.resent);
    put(out, "ftfw.resend_overflows", c.resendQueueOverflows);
    put(out, "ftfw.unrecoverable_nacks", c.unrecoverableNacks);
    put(out, "ftfw.resync_requests_sent", c.resyncRequestsSent);
    put(out, "ftfw.resync_requests_received", c.resyncRequestsReceived);
    put(out, "ftfw.hello_received", c.helloReceived);
    put(out, "ftfw.failovers", e.failovers());
}

} // namespace

Result<Statistics> collectFlowStatistics(const FlowLogger& flows, const std::string& category)
{
    Statistics out;
    const FlowCounters& c = flows.counters();
    // conntrackd's "stats" cache: entries leave it when destroyed, so all it holds is live.
    const CacheNumbers n{c.active, c.active, c.created, 0, c.updated, c.destroyed, 0};
    if (category.empty() || category == "ct") {
        // stats-mode.c STATS: cache_stats() of the "stats" cache, then dump_traffic_stats().
        cacheSummary(out, "stats.", n);
        put(out, "traffic.bytes", c.bytes);
        put(out, "traffic.packets", c.packets);
    } else if (category == "cache") {
        cacheExtended(out, "stats.", n);
    } else if (category == "runtime") {
        runtimeCounters(out, {flows.uptimeSeconds(), c.eventsReceived, 0, flows.lost(), 0, flows.bufferSize()});
    } else if (category != "network" && category != "link" && category != "rsqueue" && category != "queue" &&
               category != "expect") {
        return makeError(EINVAL, "unknown statistics category '" + category + "'");
    }
    return out;
}

Result<Statistics> collectStatistics(SyncRuntime& rt, const std::string& category)
{
    Statistics out;
    SyncEngine& e = rt.engine();
    if (category.empty() || category == "ct")
        summary(out, e);
    else if (category == "network")
        network(out, e);
    else if (category == "cache")
        cache(out, e);
    else if (category == "runtime")
        runtime(out, rt);
    else if (category == "link")
        links(out, e);
    else if (category == "rsqueue") {
        auto lines = e.describeResendQueue();
        put(out, "length", lines.size());
        out.emplace_back("items", std::move(lines));
    } else if (category == "queue")
        queues(out, e);
    else if (category == "expect") {
        // conntrackd prints nothing without ExpectationSync.
        if (!e.settings().expectationSync)
            return out;
        for (const ExpectationCache* cache : {&e.internalExpectations(), &e.externalExpectations()})
            cacheSummary(out, cache->name() + ".", numbersOf(cache->size(), cache->size(), cache->counters()));
    }
    else
        return makeError(EINVAL, "unknown statistics category '" + category + "'");
    ftfw(out, e);
    return out;
}

} // namespace ctd::sync
