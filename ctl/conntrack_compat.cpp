#include "conntrack_compat.hpp"

#include "bus_client.hpp"
#include "bus_errors.hpp"
#include "conntrack_bus.hpp"
#include "conntrack_cli.hpp"
#include "output_pipe.hpp"
#include "polkit_agent.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace ctd::ctl {

using cli::Command;
using cli::Request;

namespace {

constexpr const char* kPrefix = "conntrack v1.4.7 (conntrack-tools): ";
volatile std::sig_atomic_t gStop = 0;

void onSignal(int) { gStop = 1; }

void err(const std::string& text)
{
    std::fflush(stdout);
    std::fputs(text.c_str(), stderr);
}

void out(const std::string& text)
{
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
}

void summary(const std::string& what) { err(std::string(kPrefix) + what + "\n"); }

uint32_t commandBit(Command c) { return 1u << static_cast<unsigned>(c); }

// err2str() of conntrack 1.4.7: its own words for some errno values, strerror() otherwise.
std::string errText(int e, Command cmd)
{
    const uint32_t c = commandBit(cmd);
    const uint32_t create = commandBit(Command::Create), add = commandBit(Command::Add);
    const uint32_t get = commandBit(Command::Get), del = commandBit(Command::Delete);
    if ((c & commandBit(Command::List)) && e == 524)
        return "function not implemented";
    if ((c & 0xFFFF) && e == EINVAL)
        return "invalid parameters";
    if ((c & create) && e == EEXIST)
        return "Such conntrack exists, try -U to update";
    if ((c & (create | get | del | add)) && e == ENOENT)
        return "such conntrack doesn't exist";
    if ((c & (create | get | add)) && e == ENOMEM)
        return "not enough memory";
    if ((c & get) && e == EAFNOSUPPORT)
        return "protocol not supported";
    if ((c & (create | add)) && e == ETIME)
        return "conntrack has expired";
    if ((c & commandBit(Command::ExpCreate)) && e == ENOENT)
        return "master conntrack not found";
    if (e == EPERM)
        return "sorry, you must be root or get CAP_NET_ADMIN capability to do this";
    return std::strerror(e);
}

// A failed call: conntrack's "Operation failed" line; for ctd-only failures (no service,
// polkit) the service's words and a hint follow (docs/compat.md).
int failed(const sdbus::Error& e, Command cmd)
{
    const CallError ce = classify(e);
    std::string text;
    switch (ce.kind) {
    case Failure::NoService:
        text = std::string(kPrefix) + "cannot reach ctd (" + kBusName + "): " + ce.message +
            "\n" + ce.hint + "\n";
        break;
    case Failure::AccessDenied:
        text = std::string(kPrefix) + "Operation failed: " + errText(EPERM, cmd) + "\n" +
            ce.message + "\n" + ce.hint + "\n";
        break;
    case Failure::Kernel:
    case Failure::Busy:
    case Failure::NotConfigured:
    case Failure::Other:
        text = std::string(kPrefix) + "Operation failed: " + ce.message + "\n";
        break;
    default:
        text = std::string(kPrefix) + "Operation failed: " + errText(ce.errnoValue, cmd) + "\n";
        break;
    }
    err(text);
    return cli::kOtherProblem;
}

int unsupported(const std::string& what)
{
    err(cli::errorText(cli::kParameterProblem, "ctd cannot express " + what));
    return cli::kParameterProblem;
}

int loadFile(BusClient& bus, const std::string& file, bool interactive)
{
    const std::string path = file == "-" ? "/dev/stdin" : file;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err(cli::errorText(cli::kParameterProblem, "Failed to open file " + path + " for reading"));
        return cli::kParameterProblem;
    }
    cli::Dict options;
    if (interactive)
        options["interactive"] = sdbus::Variant(true);
    try {
        bus.longCalls(true);
        auto [loaded, failures] = bus.table().Load(sdbus::UnixFd(fd, sdbus::adopt_fd), "save",
                                                   options);
        (void)loaded;
        if (failures) {
            summary("Operation failed: " + std::to_string(failures) +
                    " entries could not be loaded");
            return cli::kOtherProblem;
        }
    } catch (const sdbus::Error& e) {
        return failed(e, Command::Create);
    }
    return 0;
}

void installStopHandlers()
{
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: the blocked read() must return
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int watch(BusClient& bus, const Request& r, const cli::Dict& query, bool expect)
{
    if (r.has(cli::opt::BufferSize)) {
        // ctd sizes its own socket; report what conntrack would, a forced SO_RCVBUF.
        const uint64_t size = std::max<uint64_t>(r.bufferSize * 2, 2304);
        err("NOTICE: Netlink socket buffer size has been set to " + std::to_string(size) +
            " bytes.\n");
    }
    installStopHandlers();
    OutputPipe pipe;
    // Loss is reported on stderr, as conntrack 1.4.7's ENOBUFS warning, never among the
    // events (a script reading stdout must not take it for one).
    pipe.onLossRecord([](std::string_view record) {
        const size_t at = record.find("lost ");
        const std::string n = at == std::string_view::npos
                                  ? std::string("some")
                                  : std::string(record.substr(at + 5, record.find(' ', at + 5) - at - 5));
        if (record.find("kernel") != std::string_view::npos)
            err("WARNING: the kernel dropped events: ctd's event socket overran " + n +
                " time(s); the events of those bursts are lost (ctd resynchronized).\n");
        else
            err("WARNING: " + n + " events were lost: this reader was too slow for ctd's buffer.\n");
    });
    try {
        if (expect)
            bus.expectations().Watch(query, cli::formatFor(r), pipe.writeEnd());
        else
            bus.table().Watch(query, cli::formatFor(r), pipe.writeEnd());
    } catch (const sdbus::Error& e) {
        return failed(e, r.command);
    }
    pipe.copyUntil(&gStop);
    uint64_t events = pipe.lines();
    if (pipe.sawXmlHeader()) {
        events = events >= 2 ? events - 2 : 0;
        out(expect ? "</expect>\n" : "</conntrack>\n");
    }
    summary(std::to_string(events) + (expect ? " expectation events have been shown."
                                             : " flow events have been shown."));
    return 0;
}

std::string cpuStatsLine(const std::map<std::string, uint64_t>& cpu, bool expect)
{
    static const char* const names[] = {nullptr,       "searched",     "found",     "new",
                                        "invalid",     "ignore",       "delete",    "delete_list",
                                        "insert",      "insert_failed", "drop",     "early_drop",
                                        "error",       "search_restart", "clash_resolve",
                                        "chaintoolong", "unknown1",    "unknown2",  "unknown3",
                                        "unknown4"};
    static const char* const expNames[] = {nullptr, "expect_new", "expect_create",
                                           "expect_delete"};
    CpuStats stats;
    if (auto it = cpu.find("cpu"); it != cpu.end())
        stats.cpu = static_cast<uint16_t>(it->second);
    const size_t n = expect ? 4 : 20;
    for (size_t i = 1; i < n; ++i) {
        auto it = cpu.find(expect ? expNames[i] : names[i]);
        if (it != cpu.end())
            stats.values[i] = static_cast<uint32_t>(it->second);
    }
    return expect ? formatExpectCpuStats(stats) : formatCpuStats(stats);
}

int dispatch(BusClient& bus, const Request& r, bool interactive)
{
    const std::string format = cli::formatFor(r);
    switch (r.command) {
    case Command::List: {
        auto q = cli::queryFor(r, interactive);
        if (!q.unsupported.empty())
            return unsupported(q.unsupported);
        OutputPipe pipe;
        pipe.startCopying();
        bus.longCalls(true);
        const uint64_t n = bus.table().List(q.dict, format, pipe.writeEnd());
        pipe.finish();
        summary(std::to_string(n) + " flow entries have been shown.");
        return 0;
    }
    case Command::ExpList: {
        cli::Dict q;
        if (r.has(cli::opt::Family))
            q["family"] = sdbus::Variant(std::string(r.family == AF_INET6 ? "ipv6" : "ipv4"));
        if (interactive)
            q["interactive"] = sdbus::Variant(true);
        OutputPipe pipe;
        pipe.startCopying();
        bus.longCalls(true);
        const uint64_t n = bus.expectations().List(q, format, pipe.writeEnd());
        pipe.finish();
        summary(std::to_string(n) + " expectations have been shown.");
        return 0;
    }
    case Command::Get: {
        auto e = cli::entryFor(r, false, interactive);
        OutputPipe pipe;
        pipe.startCopying();
        const uint64_t n = bus.table().Get(e.dict, format, pipe.writeEnd());
        pipe.finish();
        summary(std::to_string(n) + " flow entries have been shown.");
        return n ? 0 : cli::kOtherProblem;
    }
    case Command::ExpGet: {
        auto e = cli::expectationFor(r, false, interactive);
        OutputPipe pipe;
        pipe.startCopying();
        bus.expectations().Get(e.dict, format, pipe.writeEnd());
        pipe.finish();
        return 0;
    }
    case Command::Create:
    case Command::Add: {
        auto e = cli::entryFor(r, true, interactive);
        if (!e.unsupported.empty())
            return unsupported(e.unsupported);
        OutputPipe pipe;
        pipe.startCopying();
        bus.table().Create(e.dict, "", pipe.writeEnd());
        pipe.finish();
        summary(r.command == Command::Add ? "1 flow entries have been added."
                                          : "1 flow entries have been created.");
        return 0;
    }
    case Command::ExpCreate: {
        auto e = cli::expectationFor(r, true, interactive);
        OutputPipe pipe;
        pipe.startCopying();
        bus.expectations().Create(e.dict, "", pipe.writeEnd());
        pipe.finish();
        return 0;
    }
    case Command::Update: {
        auto q = cli::queryFor(r, interactive);
        auto c = cli::changesFor(r, interactive);
        if (!q.unsupported.empty())
            return unsupported(q.unsupported);
        uint64_t n = 0;
        if (!c.dict.empty()) {
            OutputPipe pipe;
            pipe.startCopying();
            bus.longCalls(true);
            try {
                n = bus.table().Update(q.dict, c.dict, format, pipe.writeEnd());
            } catch (const sdbus::Error& e) {
                if (classify(e).kind != Failure::NotFound)
                    throw;
            }
            pipe.finish();
        }
        summary(std::to_string(n) + " flow entries have been updated.");
        return n ? 0 : cli::kOtherProblem;
    }
    case Command::Delete: {
        auto q = cli::queryFor(r, interactive);
        if (!q.unsupported.empty())
            return unsupported(q.unsupported);
        uint64_t n = 0;
        OutputPipe pipe;
        pipe.startCopying();
        bus.longCalls(true);
        try {
            n = bus.table().Delete(q.dict, format, pipe.writeEnd());
        } catch (const sdbus::Error& e) {
            if (classify(e).kind != Failure::NotFound)
                throw;
        }
        pipe.finish();
        summary(std::to_string(n) + " flow entries have been deleted.");
        return n ? 0 : cli::kOtherProblem;
    }
    case Command::ExpDelete: {
        auto e = cli::expectationFor(r, false, interactive);
        OutputPipe pipe;
        pipe.startCopying();
        bus.expectations().Delete(e.dict, "", pipe.writeEnd());
        pipe.finish();
        // conntrack 1.4.7 counts nothing here and so reports failure after a delete.
        summary("0 expectations have been shown.");
        return cli::kOtherProblem;
    }
    case Command::Flush: {
        cli::Dict q;
        if (r.family)
            q["family"] = sdbus::Variant(std::string(r.family == AF_INET6 ? "ipv6" : "ipv4"));
        if (interactive)
            q["interactive"] = sdbus::Variant(true);
        bus.longCalls(true);
        bus.table().Flush(q);
        summary("connection tracking table has been emptied.");
        return 0;
    }
    case Command::ExpFlush: {
        cli::Dict q;
        if (interactive)
            q["interactive"] = sdbus::Variant(true);
        bus.longCalls(true);
        bus.expectations().Flush(q);
        summary("expectation table has been emptied.");
        return 0;
    }
    case Command::Event: {
        auto q = cli::queryFor(r, interactive);
        if (!q.unsupported.empty())
            return unsupported(q.unsupported);
        return watch(bus, r, q.dict, false);
    }
    case Command::ExpEvent: {
        cli::Dict q;
        if (interactive)
            q["interactive"] = sdbus::Variant(true);
        return watch(bus, r, q, true);
    }
    case Command::Count:
        out(std::to_string(bus.table().Count()) + "\n");
        return 0;
    case Command::ExpCount:
        out(std::to_string(bus.expectations().Count()) + "\n");
        return 0;
    case Command::Stats:
    case Command::ExpStats: {
        std::string text;
        for (const auto& cpu : bus.stats().GetKernelPerCpu())
            text += cpuStatsLine(cpu, r.command == Command::ExpStats);
        out(text);
        return 0;
    }
    default:
        return 0;
    }
}

} // namespace

int runConntrack(int argc, char** argv)
{
    const std::string prog = argc > 0 ? argv[0] : "conntrack";
    std::vector<std::string> args(argv + 1, argv + argc);
    const bool ask = !getenv("CTCTL_NO_ASK_PASSWORD");

    // conntrack -R FILE / --load-file FILE: only as the first option, like conntrack.
    if (argc > 2 && (args[0] == "-R" || args[0] == "--load-file")) {
        try {
            PolkitAgent agent(ask);
            BusClient bus;
            return loadFile(bus, args[1], agent.interactive());
        } catch (const sdbus::Error& e) {
            return failed(e, Command::Create);
        }
    }

    const cli::ParseResult parsed = cli::parseCommandLine(args, cli::defaultLabelSource());
    err(parsed.diagnostics);
    if (!parsed.ok)
        return parsed.status;
    const Request& r = parsed.request;
    switch (r.command) {
    case Command::Version:
        out("conntrack v1.4.7 (conntrack-tools)\n");
        return 0;
    case Command::Help:
    case Command::None:
        out(cli::usageText(prog, r));
        return 0;
    default:
        break;
    }
    if (const std::string e = cli::preflight(r); !e.empty()) {
        err(e);
        return cli::kParameterProblem;
    }
    try {
        PolkitAgent agent(ask);
        BusClient bus;
        return dispatch(bus, r, agent.interactive());
    } catch (const sdbus::Error& e) {
        return failed(e, r.command);
    }
}

} // namespace ctd::ctl
