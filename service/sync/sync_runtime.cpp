#include "sync_runtime.hpp"

#include "netlink/ctnl_constants.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

namespace ctd::sync {
namespace {

constexpr uint64_t kTickUsec = 200000; // FTFW's fast ALIVE while data waits for its ACK

// Events arrive in bursts (a flush is one DESTROY per entry); conntrackd's default is
// rmem_default, which overruns at once on a busy firewall.
constexpr size_t kDefaultEventBuffer = 8u << 20;

struct LinkSource {
    SyncRuntime* runtime;
    size_t index;
};

Error sdError(int r, const std::string& what) { return makeError(-r, what + ": " + std::strerror(-r)); }

// One kernel job at a time on the worker.
Error busyError() { return makeError(EBUSY, "a commit or timer reset is already running"); }

// Filter From Kernelspace: the filter as a BPF program on the event socket, as conntrackd
// does. The same rule stays applied in userspace (engineSetupFrom), so a program that is
// too long or that the kernel refuses costs CPU, not correctness.
SyncRuntime::Note attachKernelFilter(nl::MnlSocket& socket, const EventFilter& filter)
{
    const std::string what = "Filter From Kernelspace: ";
    auto program = nl::buildEventBpf(eventBpfSpecOf(filter));
    if (!program)
        return {LOG_NOTICE, what + program.error().message + "; filtering in userspace only"};
    if (program->empty())
        return {LOG_DEBUG, what + "nothing to filter (empty lists), no BPF program attached"};
    if (auto r = socket.attachFilter(*program); !r)
        return {LOG_WARNING, what + "the kernel refused the event socket's BPF program (" + r.error().message +
                                 "); filtering in userspace only"};
    return {LOG_DEBUG, what + "BPF program of " + std::to_string(program->size()) +
                           " instructions attached to the event socket"};
}

} // namespace

uint64_t SyncRuntime::nowMs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

SyncRuntime::SyncRuntime(sd_event* loop, SyncConfig config) : loop_(loop), config_(std::move(config)) {}

SyncRuntime::~SyncRuntime()
{
    if (worker_.joinable())
        worker_.join();
    for (sd_event_source* s : sources_)
        sd_event_source_disable_unref(s);
    sd_event_source_disable_unref(tick_);
    sd_event_source_disable_unref(resyncTimer_);
    sd_event_source_disable_unref(workerDone_);
    if (workerFd_ >= 0)
        close(workerFd_);
    for (void* p : linkSources_)
        delete static_cast<LinkSource*>(p);
}

Result<std::unique_ptr<SyncRuntime>> SyncRuntime::start(sd_event* loop, const SyncConfig& config)
{
    std::unique_ptr<SyncRuntime> rt(new SyncRuntime(loop, config));
    if (auto r = rt->open(); !r)
        return r.error();
    return rt;
}

Result<void> SyncRuntime::open()
{
    EngineSetup setup = engineSetupFrom(config_);
    const bool polling = config_.general.pollSecs.has_value();
    if (!polling) {
        nl::SocketOptions options;
        options.receiveBuffer = std::max<size_t>(config_.general.netlinkBufferSize.value_or(0), kDefaultEventBuffer);
        auto socket = nl::MnlSocket::open(options);
        if (!socket)
            return makeError(socket.error().code, "event socket: " + socket.error().message);
        eventSocket_ = std::move(*socket);
        listener_ = std::make_unique<nl::EventListener>(*eventSocket_);
        // before subscribing: no unfiltered event gets queued
        if (config_.general.filter.present && config_.general.filter.from == FilterFrom::Kernelspace)
            notes_.push_back(attachKernelFilter(*eventSocket_, config_.general.filter));
        const uint32_t groups = nl::CtAll | (setup.settings.expectationSync ? uint32_t{nl::ExpAll} : 0u);
        if (auto r = listener_->subscribe(groups); !r)
            return makeError(r.error().code, "conntrack events: " + r.error().message);
    }
    auto socket = nl::MnlSocket::open();
    if (!socket)
        return makeError(socket.error().code, "table socket: " + socket.error().message);
    tableSocket_ = std::move(*socket);
    table_ = std::make_unique<nl::ConntrackTable>(*tableSocket_);
    expectations_ = std::make_unique<nl::ExpectationTable>(*tableSocket_);
    kernel_ = std::make_unique<NetlinkKernelPort>(*table_, expectations_.get());

    std::vector<std::unique_ptr<Link>> links;
    for (size_t i = 0; i < setup.links.size(); ++i) {
        auto link = openLink(setup.links[i]);
        if (!link)
            return makeError(link.error().code, config_.fileName + ":" + std::to_string(config_.sync.channels[i].line) +
                                                    ": channel: " + link.error().message);
        links.push_back(std::move(*link));
    }
    if (links.empty())
        return makeError(EINVAL, config_.fileName + ": Sync has no channel (Multicast, UDP or TCP block)");
    engine_ = std::make_unique<SyncEngine>(setup.settings, std::move(links), *kernel_);

    if (listener_) {
        sd_event_source* s = nullptr;
        if (int r = sd_event_add_io(loop_, &s, listener_->fd(), EPOLLIN, onEvents, this); r < 0)
            return sdError(r, "event socket source");
        sd_event_source_set_description(s, "sync-events");
        sources_.push_back(s);
    }
    for (size_t i = 0; i < engine_->channelCount(); ++i)
        for (int fd : engine_->channel(i).pollFds()) {
            auto* ls = new LinkSource{this, i};
            linkSources_.push_back(ls);
            sd_event_source* s = nullptr;
            if (int r = sd_event_add_io(loop_, &s, fd, EPOLLIN, onLink, ls); r < 0)
                return sdError(r, "link source");
            sd_event_source_set_description(s, "sync-link");
            sources_.push_back(s);
        }
    if (auto watcher = LinkWatcher::open()) {
        watcher_ = std::move(*watcher);
        sd_event_source* s = nullptr;
        if (int r = sd_event_add_io(loop_, &s, watcher_->fd(), EPOLLIN, onLinkState, this); r < 0)
            return sdError(r, "link watcher source");
        sources_.push_back(s);
        if (auto r = watcher_->dump([this](const LinkState& st) { linkStateChanged(st); }); !r)
            return makeError(r.error().code, "link states: " + r.error().message);
    } else {
        return makeError(watcher.error().code, "link watcher: " + watcher.error().message);
    }
    if (int r = sd_event_add_time_relative(loop_, &tick_, CLOCK_MONOTONIC, kTickUsec, 100000, onTick, this); r < 0)
        return sdError(r, "sync timer");
    workerFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (workerFd_ < 0)
        return makeError(errno, std::string("eventfd: ") + std::strerror(errno));
    if (int r = sd_event_add_io(loop_, &workerDone_, workerFd_, EPOLLIN, onWorkerDone, this); r < 0)
        return sdError(r, "worker source");

    const uint64_t now = nowMs();
    if (auto r = engine_->resyncFromKernel(now, false); !r)
        return makeError(r.error().code, "first dump of the table: " + r.error().message);
    if (setup.settings.startupResync)
        engine_->requestResync();
    engine_->flush(now);
    return Ok{};
}

void SyncRuntime::linkStateChanged(const LinkState& state)
{
    bool changed = false;
    for (size_t i = 0; i < engine_->channelCount(); ++i) {
        const LinkSpec& spec = engine_->channel(i).spec();
        if (spec.interface.empty() || spec.interface != state.name)
            continue;
        if (engine_->channelUp(i) != state.running) {
            engine_->setChannelUp(i, state.running);
            changed = true;
        }
    }
    if (changed && onLinksChanged)
        onLinksChanged();
}

int SyncRuntime::onLinkState(sd_event_source*, int, uint32_t, void* self)
{
    auto* rt = static_cast<SyncRuntime*>(self);
    (void)rt->watcher_->process([rt](const LinkState& st) { rt->linkStateChanged(st); });
    return 0;
}

void SyncRuntime::conntrackEvent(EventType type, const Entry& entry)
{
    const uint32_t pid = listener_->lastPortId();
    const bool ours = pid != 0 && (pid == tableSocket_->portId() || pid == commitPort_.load() ||
                                   std::find(commitPorts_.begin(), commitPorts_.end(), pid) != commitPorts_.end());
    engine_->kernelEvent(type, entry, nowMs(), !ours);
}

void SyncRuntime::expectationEvent(EventType type, const Expectation& x)
{
    engine_->kernelExpectationEvent(type, x, nowMs());
}

void SyncRuntime::eventsLost(uint64_t)
{
    // NetlinkOverrunResync: the table is read again after a pause, so a burst that
    // overran the socket is over before the dump competes with it.
    const auto delay = config_.general.netlinkOverrunResync;
    if (!delay || resyncTimer_)
        return;
    sd_event_add_time_relative(loop_, &resyncTimer_, CLOCK_MONOTONIC, uint64_t{*delay} * 1000000, 100000,
                               onResyncTimer, this);
}

int SyncRuntime::onResyncTimer(sd_event_source*, uint64_t, void* self)
{
    auto* rt = static_cast<SyncRuntime*>(self);
    rt->resyncTimer_ = sd_event_source_disable_unref(rt->resyncTimer_);
    (void)rt->resyncFromKernel();
    return 0;
}

int SyncRuntime::onEvents(sd_event_source*, int, uint32_t, void* self)
{
    auto* rt = static_cast<SyncRuntime*>(self);
    // Bounded per wake-up (EventIterationLimit batches) so links and the bus get turns.
    const uint32_t limit = std::max<uint32_t>(rt->config_.general.eventIterationLimit, 1);
    for (uint32_t i = 0; i < limit; ++i) {
        auto n = rt->listener_->process(*rt, 0);
        if (!n || *n == 0)
            break;
    }
    rt->engine_->flush(nowMs());
    return 0;
}

int SyncRuntime::onLink(sd_event_source*, int, uint32_t, void* userdata)
{
    auto* ls = static_cast<LinkSource*>(userdata);
    const uint64_t now = nowMs();
    ls->runtime->engine_->channelReadable(ls->index, now);
    ls->runtime->engine_->flush(now);
    return 0;
}

int SyncRuntime::onTick(sd_event_source* source, uint64_t, void* self)
{
    auto* rt = static_cast<SyncRuntime*>(self);
    const uint64_t now = nowMs();
    if (auto poll = rt->config_.general.pollSecs; poll && ++rt->ticks_ % (std::max<uint32_t>(*poll, 1) * 5) == 0)
        (void)rt->resyncFromKernel();
    rt->engine_->tick(now);
    sd_event_source_set_time_relative(source, kTickUsec);
    sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
    return 0;
}

Result<void> SyncRuntime::resyncFromKernel()
{
    const uint64_t now = nowMs();
    auto r = engine_->resyncFromKernel(now);
    engine_->flush(now);
    return r;
}

void SyncRuntime::requestResync()
{
    engine_->requestResync();
    engine_->flush(nowMs());
}

void SyncRuntime::sendBulk()
{
    engine_->sendBulk();
    engine_->flush(nowMs());
}

void SyncRuntime::flushCache(bool external, bool expectations)
{
    if (expectations) {
        if (external)
            engine_->flushExternalExpectations();
        else
            engine_->flushInternalExpectations();
        return;
    }
    if (external)
        engine_->flushExternal();
    else
        engine_->flushInternal();
}

void SyncRuntime::runOnWorker(WorkerBody body, std::function<void()> done)
{
    workerFinished_ = std::move(done);
    worker_ = std::thread([this, body = std::move(body)] {
        // One acknowledgement per datagram: failures still come one by one, and a bulk
        // commit no longer makes the kernel build (and us read) an ack per entry.
        nl::SocketOptions options;
        options.ackEachChange = false;
        auto socket = nl::MnlSocket::open(options);
        if (socket) {
            commitPort_.store((*socket)->portId());
            nl::ConntrackTable table(**socket);
            nl::ExpectationTable expectations(**socket);
            body(table, expectations);
        } else {
            workerError_ = socket.error();
        }
        uint64_t one = 1;
        (void)!write(workerFd_, &one, sizeof one);
    });
}

int SyncRuntime::onWorkerDone(sd_event_source*, int fd, uint32_t, void* self)
{
    auto* rt = static_cast<SyncRuntime*>(self);
    uint64_t value = 0;
    (void)!read(fd, &value, sizeof value);
    if (rt->worker_.joinable())
        rt->worker_.join();
    // Its events may still be queued: the last few commit sockets' ids stay known.
    if (uint32_t port = rt->commitPort_.exchange(0)) {
        rt->commitPorts_.push_back(port);
        if (rt->commitPorts_.size() > 4)
            rt->commitPorts_.erase(rt->commitPorts_.begin());
    }
    auto done = std::move(rt->workerFinished_);
    rt->workerFinished_ = nullptr;
    if (done)
        done();
    return 0;
}

// One kernel job on the worker: work runs there with a port on the worker's own socket,
// done on the loop with its result (or why it could not run).
template <typename T>
void SyncRuntime::runKernelJob(std::function<Result<T>(NetlinkKernelPort&)> work,
                               std::function<void(Result<T>)> done)
{
    if (busy()) {
        done(busyError());
        return;
    }
    auto result = std::make_shared<std::optional<Result<T>>>();
    workerError_.reset();
    runOnWorker(
        [work = std::move(work), result](nl::ConntrackTable& table, nl::ExpectationTable& expectations) {
            NetlinkKernelPort port(table, &expectations);
            result->emplace(work(port));
        },
        [this, result, done = std::move(done)] {
            if (!result->has_value())
                done(workerError_.value_or(makeError(EIO, "the kernel job did not run")));
            else
                done(std::move(**result));
        });
}

void SyncRuntime::commit(CommitDone done)
{
    if (busy()) {
        done(busyError());
        return;
    }
    // Built here, where the cache lives, straight into the kernel's messages: no copy of
    // the entries, and the worker only sends.
    auto prepared = std::make_shared<PreparedCommit>();
    engine_->forEachToCommit(nowMs(), [&](const Entry& e) { prepared->add(e); });
    runKernelJob<CommitReport>([prepared](NetlinkKernelPort& port) { return port.commit(*prepared); },
                               std::move(done));
}

void SyncRuntime::commitExpectations(CommitDone done)
{
    auto xs = std::make_shared<std::vector<Expectation>>(engine_->expectationsToCommit(nowMs()));
    runKernelJob<CommitReport>([xs](NetlinkKernelPort& port) { return port.commitExpectations(*xs); },
                               std::move(done));
}

void SyncRuntime::resetKernelTimers(CountDone done)
{
    const uint32_t seconds = config_.sync.purgeTimeout;
    runKernelJob<uint64_t>([seconds](NetlinkKernelPort& port) { return port.resetTimers(seconds); },
                           std::move(done));
}

} // namespace ctd::sync
