#include "flow_logger.hpp"

#include "format/formatter.hpp"
#include "netlink/conntrack_table.hpp"
#include "netlink/ctnl_constants.hpp"

#include <systemd/sd-journal.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

namespace ctd::sync {

namespace {

uint64_t monotonicSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec);
}

// conntrackd keeps NetlinkBufferSize when it is within NetlinkBufferSizeMaxGrowth, and
// otherwise reports the system's default ("Using current system buffer size").
uint64_t reportedBufferSize(const SyncConfig& config)
{
    const auto& g = config.general;
    if (g.netlinkBufferSize && g.netlinkBufferSizeMaxGrowth && *g.netlinkBufferSize <= *g.netlinkBufferSizeMaxGrowth)
        return *g.netlinkBufferSize;
    uint64_t size = 0;
    std::ifstream("/proc/sys/net/core/rmem_default") >> size;
    return size;
}

} // namespace

Result<std::unique_ptr<FlowLogger>> FlowLogger::start(sd_event* loop, const SyncConfig& config)
{
    std::unique_ptr<FlowLogger> f(new FlowLogger);
    const auto& path = config.stats.logFile;
    if (path && *path != defaultStatsLogFile) {
        f->file_ = std::fopen(path->c_str(), "ae");
        if (!f->file_)
            return makeError(errno, "Stats LogFile " + *path + ": " + std::strerror(errno));
        std::setvbuf(f->file_, nullptr, _IOLBF, 0);
    }
    nl::SocketOptions options;
    options.receiveBuffer = std::max<size_t>(config.general.netlinkBufferSize.value_or(0), 8u << 20);
    auto socket = nl::MnlSocket::open(options);
    if (!socket)
        return makeError(socket.error().code, "event socket: " + socket.error().message);
    f->socket_ = std::move(*socket);
    f->listener_ = std::make_unique<nl::EventListener>(*f->socket_);
    if (auto r = f->listener_->subscribe(nl::CtNew | nl::CtUpdate | nl::CtDestroy); !r)
        return makeError(r.error().code, "conntrack events: " + r.error().message);
    f->bufferSize_ = reportedBufferSize(config);
    f->startedSec_ = monotonicSeconds();
    // conntrackd fills its stats cache with the table at start (subscribed first, so an
    // entry made meanwhile is not missed; one seen twice is counted once).
    auto dumpSocket = nl::MnlSocket::open(nl::SocketOptions{});
    if (!dumpSocket)
        return makeError(dumpSocket.error().code, "dump socket: " + dumpSocket.error().message);
    nl::ConntrackTable table(**dumpSocket);
    if (auto r = table.dump(Query{}, [&f](const Entry& e) { f->known(e); return true; }); !r)
        return makeError(r.error().code, "first dump of the table: " + r.error().message);
    if (int r = sd_event_add_io(loop, &f->source_, f->listener_->fd(), EPOLLIN, onEvents, f.get()); r < 0)
        return makeError(-r, std::string("event source: ") + std::strerror(-r));
    return f;
}

FlowLogger::~FlowLogger()
{
    sd_event_source_disable_unref(source_);
    if (file_)
        std::fclose(file_);
}

std::string FlowLogger::flowLine(const Entry& destroyed)
{
    // conntrackd logs its cached copy, which has no timeout, use or id.
    Entry e = destroyed;
    e.timeout.reset();
    e.use.reset();
    e.id.reset();
    std::string line = formatEntry(e, FormatOptions{});
    if (!line.empty() && line.back() == '\n')
        line.pop_back();
    return line;
}

uint64_t FlowLogger::uptimeSeconds() const { return monotonicSeconds() - startedSec_; }

void FlowLogger::known(const Entry& entry)
{
    if (!entry.id) {
        ++counters_.created;
        return;
    }
    if (live_.insert(*entry.id).second) {
        ++counters_.created;
        counters_.active = live_.size();
    } else {
        ++counters_.updated;
    }
}

void FlowLogger::conntrackEvent(EventType type, const Entry& entry)
{
    ++counters_.eventsReceived;
    if (type == EventType::New) {
        // stats-mode.c event_new_stats(): added unless it is known already.
        if (!entry.id || !live_.count(*entry.id))
            known(entry);
        return;
    }
    if (type == EventType::Update) {
        known(entry);
        return;
    }
    if (type != EventType::Destroy)
        return;
    if (entry.id && live_.erase(*entry.id)) {
        ++counters_.destroyed;
        counters_.active = live_.size();
    }
    // conntrackd logs only the entries its cache knows; a flow destroyed before the first
    // dump saw it is logged here all the same.
    for (const auto& c : {entry.countersOrig, entry.countersReply}) {
        if (c) {
            counters_.bytes += c->bytes;
            counters_.packets += c->packets;
        }
    }
    const std::string line = flowLine(entry);
    if (!file_) {
        sd_journal_send("MESSAGE=%s", line.c_str(), "PRIORITY=6", "SYSLOG_IDENTIFIER=ctd-flows", nullptr);
        return;
    }
    // ctime()'s text without its newline, as conntrackd writes it.
    char date[32];
    const time_t now = time(nullptr);
    ctime_r(&now, date);
    date[strcspn(date, "\n")] = '\0';
    std::fprintf(file_, "%s\t%s\n", date, line.c_str());
}

void FlowLogger::eventsLost(uint64_t lossCount)
{
    const std::string text = "flow log: the kernel dropped events (" + std::to_string(lossCount) +
                             " overruns so far); some destroyed flows are not logged";
    if (file_)
        std::fprintf(file_, "# %s\n", text.c_str());
    sd_journal_send("MESSAGE=%s", text.c_str(), "PRIORITY=4", nullptr);
}

int FlowLogger::onEvents(sd_event_source*, int, uint32_t, void* self)
{
    auto* f = static_cast<FlowLogger*>(self);
    for (int i = 0; i < 100; ++i) {
        auto n = f->listener_->process(*f, 0);
        if (!n || *n == 0)
            break;
    }
    return 0;
}

} // namespace ctd::sync
