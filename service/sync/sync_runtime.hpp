// The sync engine at work inside ctd: its own event socket and table socket, the links'
// sockets and a one-second timer, all on the service's sd-event loop. Changes to the kernel
// that may take long (commit of a big external cache, conntrackd -t over the whole table)
// run on a worker thread with a socket of its own and report back on the loop.
#pragma once

#include "netlink/conntrack_table.hpp"
#include "netlink/event_listener.hpp"
#include "netlink/expectation_table.hpp"
#include "netlink/socket.hpp"
#include "result.hpp"
#include "sync/config/sync_config.hpp"
#include "sync/engine/engine_config.hpp"
#include "sync/engine/link_watcher.hpp"
#include "sync/engine/netlink_kernel_port.hpp"
#include "sync/engine/sync_engine.hpp"

#include <systemd/sd-event.h>

#include <atomic>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ctd::sync {

class SyncRuntime : private nl::EventSink {
public:
    // Opens every socket and starts the engine (a first resync from the kernel, then the
    // StartupResync request if configured). Nothing runs when it fails.
    static Result<std::unique_ptr<SyncRuntime>> start(sd_event* loop, const SyncConfig& config);
    ~SyncRuntime() override;
    SyncRuntime(const SyncRuntime&) = delete;
    SyncRuntime& operator=(const SyncRuntime&) = delete;

    SyncEngine& engine() { return *engine_; }
    const SyncConfig& config() const { return config_; }

    using CommitDone = std::function<void(Result<CommitReport>)>;
    using CountDone = std::function<void(Result<uint64_t>)>;
    // conntrackd -c: the external cache into the kernel; done runs on the loop.
    void commit(CommitDone done);
    // conntrackd -c expect: the external expectations into the kernel.
    void commitExpectations(CommitDone done);
    // conntrackd -t
    void resetKernelTimers(CountDone done);
    Result<void> resyncFromKernel();
    void requestResync();
    void sendBulk();
    void flushCache(bool external, bool expectations = false);
    bool busy() const { return worker_.joinable(); }
    uint64_t eventLoss() const { return listener_ ? listener_->lossCount() : 0; }
    uint64_t eventBufferSize() const { return eventSocket_ ? eventSocket_->receiveBufferSize() : 0; }
    uint64_t uptimeSeconds() const { return (nowMs() - startedMs_) / 1000; }

    static uint64_t nowMs();

    // What start() has to say that is no error, for the service's log: syslog priority
    // and text (the event socket's BPF filter: attached, too long, refused).
    struct Note {
        int priority;
        std::string text;
    };
    const std::vector<Note>& startupNotes() const { return notes_; }

private:
    SyncRuntime(sd_event* loop, SyncConfig config);
    Result<void> open();
    void conntrackEvent(EventType type, const Entry& entry) override;
    void expectationEvent(EventType type, const Expectation& x) override;
    void eventsLost(uint64_t lossCount) override;
    template <typename T>
    void runKernelJob(std::function<Result<T>(NetlinkKernelPort&)> work, std::function<void(Result<T>)> done);
    using WorkerBody = std::function<void(nl::ConntrackTable&, nl::ExpectationTable&)>;
    void runOnWorker(WorkerBody body, std::function<void()> done);
    static int onEvents(sd_event_source*, int, uint32_t, void* self);
    static int onLink(sd_event_source*, int, uint32_t, void* self);
    static int onTick(sd_event_source*, uint64_t, void* self);
    static int onWorkerDone(sd_event_source*, int, uint32_t, void* self);
    static int onResyncTimer(sd_event_source*, uint64_t, void* self);
    static int onLinkState(sd_event_source*, int, uint32_t, void* self);
    void linkStateChanged(const LinkState& state);

    sd_event* loop_;
    SyncConfig config_;
    std::vector<Note> notes_;
    std::unique_ptr<nl::MnlSocket> eventSocket_;
    std::unique_ptr<nl::MnlSocket> tableSocket_;
    std::unique_ptr<nl::EventListener> listener_;
    std::unique_ptr<nl::ConntrackTable> table_;
    std::unique_ptr<nl::ExpectationTable> expectations_;
    std::unique_ptr<NetlinkKernelPort> kernel_;
    std::unique_ptr<SyncEngine> engine_;
    std::unique_ptr<LinkWatcher> watcher_;
    std::vector<sd_event_source*> sources_;
    sd_event_source* tick_ = nullptr;
    sd_event_source* resyncTimer_ = nullptr;
    sd_event_source* workerDone_ = nullptr;
    int workerFd_ = -1;
    std::thread worker_;
    std::function<void()> workerFinished_;
    std::optional<Error> workerError_;
    std::vector<void*> linkSources_;
    uint64_t ticks_ = 0;
    // Port ids of the sockets that commit (the running worker's, and the last few).
    std::atomic<uint32_t> commitPort_{0};
    std::vector<uint32_t> commitPorts_;
    uint64_t startedMs_ = nowMs();
    // Called after a failover or a carrier change (the bus face emits PropertiesChanged).
public:
    std::function<void()> onLinksChanged;
};

} // namespace ctd::sync
