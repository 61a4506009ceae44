#include "event_loop.hpp"

#include "log.hpp"

#include <sdbus-c++/Error.h>
#include <sdbus-c++/IConnection.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <string>

namespace ctd::dbus {

namespace {

// Enough messages per wake-up to drain a burst, few enough that netlink and stream sources
// still get their turn; the bus timer (timeout 0 while messages are queued) brings us back.
constexpr int maxMessagesPerDispatch = 64;

} // namespace

std::unique_ptr<EventLoop> EventLoop::create()
{
    std::unique_ptr<EventLoop> loop(new EventLoop());
    int r = sd_event_new(&loop->event_);
    if (r < 0) {
        log::error(std::string("sd_event_new: ") + std::strerror(-r));
        return nullptr;
    }
    // sd-event sends WATCHDOG=1 itself at half of WATCHDOG_USEC when the manager set it.
    sd_event_set_watchdog(loop->event_, 1);
    loop->lastActive_ = now();
    return loop;
}

EventLoop::~EventLoop()
{
    detachBus();
    sd_event_source_unref(idleTimer_);
    sd_event_unref(event_);
}

uint64_t EventLoop::now()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

bool EventLoop::attachBus(sdbus::IConnection& bus)
{
    bus_ = &bus;
    auto poll = bus.getEventLoopPollData();
    int r = sd_event_add_io(event_, &busIo_, poll.fd, poll.events, onBusIo, this);
    if (r >= 0)
        r = sd_event_source_set_prepare(busIo_, onBusPrepare);
    if (r >= 0)
        r = sd_event_add_time(event_, &busTimer_, CLOCK_MONOTONIC, 0, 0, onBusTimer, this);
    if (r >= 0)
        r = sd_event_source_set_enabled(busTimer_, SD_EVENT_OFF);
    if (r < 0) {
        log::error(std::string("cannot attach the bus to the loop: ") + std::strerror(-r));
        return false;
    }
    sd_event_source_set_description(busIo_, "bus");
    sd_event_source_set_description(busTimer_, "bus-timer");
    return true;
}

void EventLoop::detachBus()
{
    busIo_ = sd_event_source_unref(busIo_);
    busTimer_ = sd_event_source_unref(busTimer_);
    bus_ = nullptr;
}

int EventLoop::onBusPrepare(sd_event_source*, void* userdata)
{
    auto* self = static_cast<EventLoop*>(userdata);
    if (!self->bus_)
        return 0;
    try {
        auto poll = self->bus_->getEventLoopPollData();
        sd_event_source_set_io_events(self->busIo_, poll.events);
        if (poll.timeout_usec == UINT64_MAX) {
            sd_event_source_set_enabled(self->busTimer_, SD_EVENT_OFF);
        } else {
            sd_event_source_set_time(self->busTimer_, poll.timeout_usec);
            sd_event_source_set_enabled(self->busTimer_, SD_EVENT_ONESHOT);
        }
    } catch (const sdbus::Error& e) {
        log::error("bus connection lost: " + e.getMessage());
        self->exit(1);
    }
    return 0;
}

int EventLoop::onBusIo(sd_event_source*, int, uint32_t, void* userdata)
{
    static_cast<EventLoop*>(userdata)->dispatchBus();
    return 0;
}

int EventLoop::onBusTimer(sd_event_source*, uint64_t, void* userdata)
{
    static_cast<EventLoop*>(userdata)->dispatchBus();
    return 0;
}

void EventLoop::dispatchBus()
{
    if (!bus_)
        return;
    try {
        for (int i = 0; i < maxMessagesPerDispatch && bus_ && bus_->processPendingRequest(); ++i) {
        }
    } catch (const sdbus::Error& e) {
        // sd_bus_process fails only when the connection is gone (dbus-daemon stopped):
        // nothing can reach us any more, so leave rather than spin.
        log::error("bus connection lost: " + e.getMessage());
        exit(1);
    }
}

bool EventLoop::handleSignals(std::function<void()> onTerminate, std::function<void()> onReload)
{
    onTerminate_ = std::move(onTerminate);
    onReload_ = std::move(onReload);
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&mask, sig);
    // sd-event needs the signals blocked to receive them through its signalfd.
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0)
        return false;
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        int r = sd_event_add_signal(event_, nullptr, sig, onSignal, this);
        if (r < 0) {
            log::error(std::string("sd_event_add_signal: ") + std::strerror(-r));
            return false;
        }
    }
    return true;
}

int EventLoop::onSignal(sd_event_source*, const struct signalfd_siginfo* info, void* userdata)
{
    auto* self = static_cast<EventLoop*>(userdata);
    auto& handler = info->ssi_signo == SIGHUP ? self->onReload_ : self->onTerminate_;
    if (handler)
        handler();
    return 0;
}

int EventLoop::run()
{
    int r = sd_event_loop(event_);
    if (r < 0) {
        log::error(std::string("event loop failed: ") + std::strerror(-r));
        return 1;
    }
    return r;
}

void EventLoop::exit(int code) { sd_event_exit(event_, code); }

void EventLoop::post(std::function<void()> fn)
{
    auto* heap = new std::function<void()>(std::move(fn));
    sd_event_source* source = nullptr;
    int r = sd_event_add_defer(
        event_, &source,
        [](sd_event_source* s, void* userdata) -> int {
            std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(userdata));
            sd_event_source_unref(s);
            (*fn)();
            return 0;
        },
        heap);
    if (r < 0) {
        delete heap;
        log::error(std::string("sd_event_add_defer: ") + std::strerror(-r));
        return;
    }
    sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

void EventLoop::setIdleExit(uint64_t timeoutUsec, std::function<bool()> mayExit,
                            std::function<void()> onIdle)
{
    idleTimeout_ = timeoutUsec;
    mayExit_ = std::move(mayExit);
    onIdle_ = std::move(onIdle);
    idleTimer_ = sd_event_source_unref(idleTimer_);
    if (idleTimeout_ == 0)
        return;
    sd_event_add_time(event_, &idleTimer_, CLOCK_MONOTONIC, lastActive_ + idleTimeout_,
                      100000 /* 0.1 s accuracy is plenty */, onIdleTimer, this);
    sd_event_source_set_description(idleTimer_, "idle-exit");
}

void EventLoop::armIdle(uint64_t at)
{
    if (!idleTimer_)
        return;
    sd_event_source_set_time(idleTimer_, at);
    sd_event_source_set_enabled(idleTimer_, SD_EVENT_ONESHOT);
}

int EventLoop::onIdleTimer(sd_event_source*, uint64_t, void* userdata)
{
    auto* self = static_cast<EventLoop*>(userdata);
    const uint64_t t = now();
    if (self->holds_ > 0 || (self->mayExit_ && !self->mayExit_())) {
        // Busy: look again one full timeout after now, as activity may end at any moment
        // and release() records its time.
        self->armIdle(t + self->idleTimeout_);
        return 0;
    }
    if (t < self->lastActive_ + self->idleTimeout_) {
        self->armIdle(self->lastActive_ + self->idleTimeout_);
        return 0;
    }
    if (self->onIdle_)
        self->onIdle_();
    return 0;
}

void EventLoop::touch()
{
    lastActive_ = now();
}

EventLoop::Hold::Hold(EventLoop* loop) : loop_(loop)
{
    ++loop_->holds_;
    loop_->touch();
}

EventLoop::Hold& EventLoop::Hold::operator=(Hold&& other) noexcept
{
    if (this != &other) {
        release();
        loop_ = other.loop_;
        other.loop_ = nullptr;
    }
    return *this;
}

void EventLoop::Hold::release()
{
    if (!loop_)
        return;
    --loop_->holds_;
    loop_->touch();
    // The idle timer may be waiting a full timeout from when we were busy; pull it in.
    if (loop_->holds_ == 0 && loop_->idleTimer_)
        loop_->armIdle(loop_->lastActive_ + loop_->idleTimeout_);
    loop_ = nullptr;
}

} // namespace ctd::dbus
