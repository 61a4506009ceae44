#include "event_hub.hpp"

#include "format_options.hpp"

#include "format/formatter.hpp"
#include "log.hpp"
#include "service_counters.hpp"

#include "netlink/ctnl_constants.hpp"
#include "netlink/query_match.hpp"

#include <sys/epoll.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace ctd::dbus {

struct EventHub::Watcher {
    bool expectations = false;
    Query query;
    uint32_t events = eventMask::All;
    StreamPtr out;
    TextBuffer buffer{4096};
    std::unique_ptr<Formatter> formatter;

    bool gone() const { return out->cancelled() || out->closed(); }
    bool wants(EventType type) const
    {
        switch (type) {
        case EventType::New: return events & eventMask::New;
        case EventType::Update: return events & eventMask::Update;
        case EventType::Destroy: return events & eventMask::Destroy;
        case EventType::None: break;
        }
        return false;
    }
};

namespace {

uint32_t conntrackGroups(uint32_t events)
{
    uint32_t groups = 0;
    if (events & eventMask::New)
        groups |= nl::CtNew;
    if (events & eventMask::Update)
        groups |= nl::CtUpdate;
    if (events & eventMask::Destroy)
        groups |= nl::CtDestroy;
    return groups;
}

uint32_t expectationGroups(uint32_t events)
{
    uint32_t groups = 0;
    if (events & eventMask::New)
        groups |= nl::ExpNew;
    if (events & eventMask::Update)
        groups |= nl::ExpUpdate;
    if (events & eventMask::Destroy)
        groups |= nl::ExpDestroy;
    return groups;
}

} // namespace

bool expectationMatches(const Query& q, const Expectation& x)
{
    if (q.family && *q.family != x.family)
        return false;
    if (q.protocol && x.tuple.protocol != q.protocol)
        return false;
    if (q.src && !nl::prefixContains(*q.src, x.tuple.src))
        return false;
    if (q.dst && !nl::prefixContains(*q.dst, x.tuple.dst))
        return false;
    if (q.sport && x.tuple.sport != q.sport)
        return false;
    if (q.dport && x.tuple.dport != q.dport)
        return false;
    if (q.id && x.id != q.id)
        return false;
    return true;
}

EventHub::EventHub(EventLoop& loop, std::shared_ptr<const LabelMap> labels, size_t receiveBuffer)
    : loop_(loop), labels_(std::move(labels)), receiveBuffer_(receiveBuffer)
{
}

EventHub::~EventHub() { closeSocket(); }

ctd::Result<std::unique_ptr<EventHub>> EventHub::create(EventLoop& loop,
                                                        std::shared_ptr<const LabelMap> labels,
                                                        size_t receiveBuffer)
{
    std::unique_ptr<EventHub> hub(new EventHub(loop, std::move(labels), receiveBuffer));
    if (auto r = hub->openSocket(); !r)
        return r.error();
    return hub;
}

ctd::Result<void> EventHub::openSocket()
{
    nl::SocketOptions options;
    // Events come in bursts (a flush of a big table is one DESTROY per entry): a large
    // buffer (CoreOptions) makes ENOBUFS rare; when it still happens it is reported,
    // never hidden.
    options.receiveBuffer = receiveBuffer_;
    auto socket = nl::MnlSocket::open(options);
    if (!socket)
        return socket.error();
    socket_ = std::move(*socket);
    listener_ = std::make_unique<nl::EventListener>(*socket_);
    groups_ = 0;
    int r = sd_event_add_io(loop_.get(), &io_, socket_->fd(), EPOLLIN, onIo, this);
    if (r < 0) {
        closeSocket();
        return ctd::makeError(-r, std::string("event socket source: ") + std::strerror(-r));
    }
    sd_event_source_set_description(io_, "conntrack-events");
    return ctd::Ok{};
}

void EventHub::closeSocket()
{
    io_ = sd_event_source_disable_unref(io_);
    listener_.reset();
    socket_.reset();
    groups_ = 0;
}

ctd::Result<void> EventHub::add(std::unique_ptr<Watcher> watcher, uint32_t groups)
{
    if (!socket_)
        if (auto r = openSocket(); !r)
            return r;
    if ((groups & ~groups_) != 0) {
        if (auto r = listener_->subscribe(groups & ~groups_); !r)
            return r;
        groups_ |= groups;
    }
    // The stream tells us when its reader left; forget the watcher outside that callback.
    watcher->out->onCancel([this] {
        if (!sweepPosted_) {
            sweepPosted_ = true;
            loop_.post([this] { sweep(); });
        }
    });
    watchers_.push_back(std::move(watcher));
    return ctd::Ok{};
}

ctd::Result<void> EventHub::watchConntrack(const QueryArgs& query, const FormatOptions& format,
                                           StreamPtr out)
{
    auto w = std::make_unique<Watcher>();
    w->query = query.query;
    w->events = query.events;
    w->out = std::move(out);
    w->formatter = std::make_unique<Formatter>(format, Command::Events, w->buffer, labels_.get());
    w->formatter->begin();
    return add(std::move(w), conntrackGroups(query.events));
}

ctd::Result<void> EventHub::watchExpectations(const QueryArgs& query, const FormatOptions& format,
                                              StreamPtr out)
{
    auto w = std::make_unique<Watcher>();
    w->expectations = true;
    w->query = query.query;
    w->events = query.events;
    w->out = std::move(out);
    w->formatter = std::make_unique<Formatter>(format, Command::Events, w->buffer, labels_.get());
    w->formatter->begin();
    return add(std::move(w), expectationGroups(query.events));
}

void EventHub::sweep()
{
    sweepPosted_ = false;
    std::erase_if(watchers_, [](const auto& w) { return w->gone(); });
    if (watchers_.empty() && groups_ != 0) {
        // Netlink has no cheap "leave every group": a new socket has none, and whatever
        // was still queued for the old one goes with it.
        closeSocket();
        if (auto r = openSocket(); !r)
            log::warning("event socket: " + r.error().message);
    }
}

int EventHub::onIo(sd_event_source*, int, uint32_t, void* userdata)
{
    auto* self = static_cast<EventHub*>(userdata);
    timeval now{};
    gettimeofday(&now, nullptr);
    self->nowSec_ = now.tv_sec;
    self->nowUsec_ = now.tv_usec;
    auto r = self->listener_->process(*self, 0);
    if (!r)
        log::warning("conntrack events: " + r.error().message);
    if (r && *r > 0)
        self->loop_.touch();
    return 0;
}

void EventHub::conntrackEvent(EventType type, const Entry& entry)
{
    EventInfo info{type, listener_->lastPortId(), {}, nowSec_, nowUsec_};
    for (auto& w : watchers_) {
        if (w->expectations || w->gone() || !w->wants(type) || !nl::matches(w->query, entry))
            continue;
        w->buffer.clear();
        w->formatter->event(entry, info);
        w->out->writeRecord(w->buffer.view());
    }
}

void EventHub::expectationEvent(EventType type, const Expectation& x)
{
    EventInfo info{type, listener_->lastPortId(), {}, nowSec_, nowUsec_};
    for (auto& w : watchers_) {
        if (!w->expectations || w->gone() || !w->wants(type) || !expectationMatches(w->query, x))
            continue;
        w->buffer.clear();
        w->formatter->expectationEvent(x, info);
        w->out->writeRecord(w->buffer.view());
    }
}

void EventHub::eventsLost(uint64_t)
{
    // The kernel dropped events for everyone: each watcher gets the loss record. The
    // service keeps no table copy, so its "resync" is only to carry on from here.
    ++serviceCounters().eventLoss;
    ++serviceCounters().resyncs;
    for (auto& w : watchers_)
        if (!w->gone())
            w->out->reportKernelLoss(1);
}

void EventHub::malformedEvent(const Error& error)
{
    log::debug("malformed conntrack event skipped: " + error.message);
}

} // namespace ctd::dbus
