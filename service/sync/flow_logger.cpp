#include "flow_logger.hpp"

#include "format/formatter.hpp"
#include "netlink/ctnl_constants.hpp"

#include <systemd/sd-journal.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace ctd::sync {

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
    if (auto r = f->listener_->subscribe(nl::CtNew | nl::CtDestroy); !r)
        return makeError(r.error().code, "conntrack events: " + r.error().message);
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

void FlowLogger::conntrackEvent(EventType type, const Entry& entry)
{
    if (type == EventType::New) {
        ++created_;
        return;
    }
    if (type != EventType::Destroy)
        return;
    ++destroyed_;
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
