// conntrackd's Stats mode: every destroyed connection logged as one line, conntrackd's
// format ("Wed Dec  2 01:33:37 2026\t" then conntrack's line with the counters the kernel
// reports at destroy time). To Stats { LogFile PATH } when given a path (the unit then
// needs ReadWritePaths= for it, docs/units.md), to the journal for "LogFile on" and for
// Syslog (ctd is a journald service; syslog gets it from there).
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

namespace ctd::sync {

class FlowLogger : private nl::EventSink {
public:
    static Result<std::unique_ptr<FlowLogger>> start(sd_event* loop, const SyncConfig& config);
    ~FlowLogger() override;
    FlowLogger(const FlowLogger&) = delete;
    FlowLogger& operator=(const FlowLogger&) = delete;

    uint64_t created() const { return created_; }
    uint64_t destroyed() const { return destroyed_; }
    uint64_t lost() const { return listener_ ? listener_->lossCount() : 0; }

    // The line for one destroyed entry, without the date (exposed for tests).
    static std::string flowLine(const Entry& e);

private:
    FlowLogger() = default;
    void conntrackEvent(EventType type, const Entry& entry) override;
    void eventsLost(uint64_t lossCount) override;
    static int onEvents(sd_event_source*, int, uint32_t, void* self);

    std::unique_ptr<nl::MnlSocket> socket_;
    std::unique_ptr<nl::EventListener> listener_;
    sd_event_source* source_ = nullptr;
    FILE* file_ = nullptr; // null: the journal
    uint64_t created_ = 0;
    uint64_t destroyed_ = 0;
};

} // namespace ctd::sync
