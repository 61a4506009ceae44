// conntrackd's Stats mode: every destroyed connection logged as one line, conntrackd's
// format ("Wed Dec  2 01:33:37 2026\t" then conntrack's line with the counters the kernel
// reports at destroy time). To Stats { LogFile PATH } when given a path (the unit then
// needs ReadWritePaths= for it, docs/units.md), to the journal for "LogFile on" and for
// Syslog (ctd is a journald service; syslog gets it from there).
// Like conntrackd's stats cache, it knows the live entries (the table dumped at start, then
// the events) and counts what `conntrackd -s` shows in Stats mode (FlowCounters).
#pragma once

#include "netlink/event_listener.hpp"
#include "netlink/socket.hpp"
#include "result.hpp"
#include "sync/config/sync_config.hpp"

#include <systemd/sd-event.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_set>

namespace ctd::sync {

// conntrackd's stats cache counters (cache.c) and its traffic/netlink counters.
struct FlowCounters {
    uint64_t active = 0;       // live entries known (dumped at start or seen since)
    uint64_t created = 0;      // entries added: the start-up dump, NEW, an UPDATE of one not known
    uint64_t updated = 0;      // UPDATE events of known entries
    uint64_t destroyed = 0;    // DESTROY events of known entries
    uint64_t eventsReceived = 0;
    uint64_t bytes = 0;        // counters of the destroyed entries, both directions
    uint64_t packets = 0;
};

class FlowLogger : private nl::EventSink {
public:
    static Result<std::unique_ptr<FlowLogger>> start(sd_event* loop, const SyncConfig& config);
    ~FlowLogger() override;
    FlowLogger(const FlowLogger&) = delete;
    FlowLogger& operator=(const FlowLogger&) = delete;

    const FlowCounters& counters() const { return counters_; }
    uint64_t lost() const { return listener_ ? listener_->lossCount() : 0; }
    // What the configuration asked for (NetlinkBufferSize), as conntrackd reports it, else
    // the event socket's.
    uint64_t bufferSize() const { return bufferSize_; }
    uint64_t uptimeSeconds() const;

    // The line for one destroyed entry, without the date (exposed for tests).
    static std::string flowLine(const Entry& e);

private:
    FlowLogger() = default;
    void conntrackEvent(EventType type, const Entry& entry) override;
    void known(const Entry& entry); // cache_update_force(): add, or count an update
    void eventsLost(uint64_t lossCount) override;
    static int onEvents(sd_event_source*, int, uint32_t, void* self);

    std::unique_ptr<nl::MnlSocket> socket_;
    std::unique_ptr<nl::EventListener> listener_;
    sd_event_source* source_ = nullptr;
    FILE* file_ = nullptr; // null: the journal
    FlowCounters counters_;
    // Kernel ids of the live entries (an entry without CTA_ID is counted, not kept).
    std::unordered_set<uint32_t> live_;
    uint64_t bufferSize_ = 0;
    uint64_t startedSec_ = 0;
};

} // namespace ctd::sync
