#include "conntrackd_compat.hpp"

#include "bus_client.hpp"
#include "bus_errors.hpp"
#include "conntrackd_daemon.hpp"
#include "conntrackd_log.hpp"
#include "conntrackd_options.hpp"
#include "conntrackd_plan.hpp"
#include "conntrackd_stats.hpp"
#include "output_pipe.hpp"
#include "polkit_agent.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace ctd::ctl {

using conntrackd::BusStep;
using conntrackd::LogLevel;

namespace {

using Options = std::map<std::string, sdbus::Variant>;

// The one line conntrackd prints when its UNIX socket does not answer (main.c).
constexpr const char* kCannotConnect =
    "can't connect: is conntrackd running? appropriate permissions?";

int failed(const sdbus::Error& e)
{
    const CallError ce = classify(e);
    const std::string message = ce.message.empty() ? ce.name : ce.message;
    if (ce.kind == Failure::NoService) {
        conntrackd::log(LogLevel::Error, kCannotConnect);
    } else if (withoutSyncEngine(e)) {
        conntrackd::log(LogLevel::Error, "ctd runs without a sync configuration (no Sync "
                                         "section in its conntrackd.conf): " + message);
    } else if (ce.kind == Failure::AccessDenied) {
        // conntrackd's words for a socket it may not use, then what polkit said.
        conntrackd::log(LogLevel::Error, kCannotConnect);
        conntrackd::log(LogLevel::Error, message);
    } else {
        conntrackd::log(LogLevel::Error, message);
    }
    return 1;
}

conntrackd::StatsMap toStatsMap(const std::map<std::string, sdbus::Variant>& in)
{
    conntrackd::StatsMap out;
    for (const auto& [key, value] : in) {
        // Only the documented types; anything else from the service is dropped, not
        // guessed at (a wrong type must not throw half-way through the text).
        if (value.containsValueOfType<uint64_t>())
            out[key] = value.get<uint64_t>();
        else if (value.containsValueOfType<uint32_t>())
            out[key] = static_cast<uint64_t>(value.get<uint32_t>());
        else if (value.containsValueOfType<std::string>())
            out[key] = value.get<std::string>();
        else if (value.containsValueOfType<std::vector<std::string>>())
            out[key] = value.get<std::vector<std::string>>();
    }
    return out;
}

class Runner {
public:
    Runner(BusClient& bus, Options options) : bus_(bus), options_(std::move(options)) {}

    void run(const BusStep& step);

private:
    bool expectationSync();

    BusClient& bus_;
    Options options_;
    std::optional<bool> expectSync_;
};

// conntrackd handles the expectation half of a request only with ExpectationSync
// configured; ctd's GetStatistics("expect") is empty exactly then.
bool Runner::expectationSync()
{
    if (!expectSync_) {
        try {
            expectSync_ = !bus_.caches().GetStatistics("expect").empty();
        } catch (const sdbus::Error& e) {
            if (!withoutSyncEngine(e))
                throw;
            expectSync_ = false;
        }
    }
    return *expectSync_;
}

void Runner::run(const BusStep& step)
{
    using C = BusStep::Call;
    if (step.onlyWithExpectSync && !expectationSync())
        return;
    // Commits, flushes and dumps of big caches take long (docs/dbus-api.md, Timeouts).
    bus_.longCalls(step.call != C::GetStatistics && step.call != C::Ping);
    switch (step.call) {
    case C::Commit:
        // conntrackd's client prints nothing for a commit, failed entries included.
        bus_.caches().Commit(step.arg, options_);
        break;
    case C::Flush: bus_.caches().Flush(step.arg, options_); break;
    case C::Dump: {
        OutputPipe pipe;
        pipe.startCopying();
        bus_.caches().Dump(step.arg, step.format, pipe.writeEnd(), options_);
        pipe.finish();
        break;
    }
    case C::ResyncFromKernel: bus_.caches().ResyncFromKernel(options_); break;
    case C::RequestResync: bus_.caches().RequestResync(options_); break;
    case C::SendBulk: bus_.caches().SendBulk(options_); break;
    case C::ResetKernelTimers: bus_.caches().ResetKernelTimers(options_); break;
    case C::GetStatistics: {
        std::string text;
        try {
            text = conntrackd::formatStats(step.arg, toStatsMap(bus_.caches().GetStatistics(step.arg)));
        } catch (const sdbus::Error& e) {
            if (!withoutSyncEngine(e))
                throw;
            // No sync engine: ctd in Stats mode answers as conntrackd's stats mode does.
            std::map<std::string, sdbus::Variant> flows;
            try {
                flows = bus_.stats().GetFlowStatistics(step.arg);
            } catch (const sdbus::Error& inner) {
                if (withoutSyncEngine(inner))
                    throw e; // neither Sync nor Stats: the sync error says it
                throw;
            }
            text = conntrackd::formatFlowStats(step.arg, toStatsMap(flows));
        }
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        break;
    }
    case C::TableFlush: {
        Options query;
        if (options_.count("interactive"))
            query["interactive"] = options_.at("interactive");
        bus_.table().Flush(query);
        break;
    }
    case C::ExpectationsFlush: {
        Options query;
        if (options_.count("interactive"))
            query["interactive"] = options_.at("interactive");
        bus_.expectations().Flush(query);
        break;
    }
    case C::Stop: bus_.manager().Stop(options_); break;
    case C::Ping: bus_.manager().Version(); break;
    }
}

// init_config() fails on a file it cannot open; the rest of the file is ctd's business.
bool configReadable(const std::string& path)
{
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f)
        return false;
    std::fclose(f);
    return true;
}

} // namespace

int runConntrackd(int argc, char** argv)
{
    const std::string progname = argc > 0 && argv[0] ? argv[0] : "conntrackd";
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    const conntrackd::ParsedCommand cmd = conntrackd::parseCommandLine(args);
    for (const auto& o : cmd.output) {
        if (o.usage) {
            std::fputs(conntrackd::usageText(progname).c_str(), stdout);
            std::fflush(stdout);
        } else {
            conntrackd::log(o.level, o.text);
        }
    }
    using Next = conntrackd::ParsedCommand::Next;
    switch (cmd.next) {
    case Next::Exit: return cmd.exitCode;
    case Next::Version: std::fputs(conntrackd::versionText().c_str(), stdout); return 0;
    default: break;
    }
    const std::string config =
        cmd.configFile.empty() ? conntrackd::kDefaultConfigFile : cmd.configFile;
    if (!configReadable(config)) {
        conntrackd::log(LogLevel::Error, "can't open config file `" + config + "'");
        return 1;
    }
    if (cmd.next == Next::Daemon)
        return conntrackd::startDaemon(config, true);
    if (cmd.next == Next::Console)
        return conntrackd::startDaemon(config, false);
    try {
        PolkitAgent agent(true);
        BusClient bus;
        Options options;
        if (agent.interactive())
            options["interactive"] = sdbus::Variant(true);
        Runner runner(bus, options);
        for (const BusStep& step : conntrackd::planFor(cmd.action))
            runner.run(step);
    } catch (const sdbus::Error& e) {
        return failed(e);
    } catch (const std::system_error& e) {
        conntrackd::log(LogLevel::Error, e.what());
        return 1;
    }
    return 0;
}

} // namespace ctd::ctl
