// The one loop of the service. sd-event owns it; the sdbus-c++ 1.2 connection, which has no
// sd-event attachment of its own, joins as an io source on its poll fd plus a timer, both
// re-armed in a prepare callback every iteration because the events and the timeout it
// wants change whenever replies are queued or calls are sent.
#pragma once

#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace sdbus {
class IConnection;
}

namespace ctd::dbus {

class EventLoop {
public:
    // nullptr when sd-event cannot be set up (logged).
    static std::unique_ptr<EventLoop> create();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    sd_event* get() const { return event_; }

    // The connection must outlive the loop's use of it (detachBus() or destruction).
    bool attachBus(sdbus::IConnection& bus);
    void detachBus();

    // SIGTERM/SIGINT call onTerminate, SIGHUP calls onReload. SIGPIPE is ignored: a closed
    // caller fd must come back as EPIPE, never kill the service.
    bool handleSignals(std::function<void()> onTerminate, std::function<void()> onReload);

    // Runs until exit(); returns the exit code.
    int run();
    void exit(int code);

    // Runs fn on the next loop iteration, outside whatever callback is running now.
    void post(std::function<void()> fn);

    // Idle exit: onIdle runs once nothing held activity for timeout and mayExit() agrees.
    // timeoutUsec 0 disables it.
    void setIdleExit(uint64_t timeoutUsec, std::function<bool()> mayExit,
                     std::function<void()> onIdle);

    // An in-flight call, a watcher or a stream holds the loop busy while it lives.
    class Hold {
    public:
        Hold() = default;
        explicit Hold(EventLoop* loop);
        Hold(Hold&& other) noexcept : loop_(other.loop_) { other.loop_ = nullptr; }
        Hold& operator=(Hold&& other) noexcept;
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;
        ~Hold() { release(); }
        void release();

    private:
        EventLoop* loop_ = nullptr;
    };

    Hold hold() { return Hold(this); }
    // Records activity now (a call that finished at once, a record streamed).
    void touch();
    unsigned holds() const { return holds_; }

    static uint64_t now();

private:
    EventLoop() = default;
    static int onBusPrepare(sd_event_source* source, void* userdata);
    static int onBusIo(sd_event_source* source, int fd, uint32_t revents, void* userdata);
    static int onBusTimer(sd_event_source* source, uint64_t usec, void* userdata);
    static int onSignal(sd_event_source* source, const struct signalfd_siginfo* info,
                        void* userdata);
    static int onIdleTimer(sd_event_source* source, uint64_t usec, void* userdata);
    void dispatchBus();
    void armIdle(uint64_t at);

    sd_event* event_ = nullptr;
    sdbus::IConnection* bus_ = nullptr;
    sd_event_source* busIo_ = nullptr;
    sd_event_source* busTimer_ = nullptr;
    sd_event_source* idleTimer_ = nullptr;
    std::function<void()> onTerminate_, onReload_, onIdle_;
    std::function<bool()> mayExit_;
    uint64_t idleTimeout_ = 0;
    uint64_t lastActive_ = 0;
    unsigned holds_ = 0;
};

} // namespace ctd::dbus
