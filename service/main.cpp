// ctd: the conntrack system service. Parses the command line, sets up logging, and runs
// the service (service/dbus/service.hpp).
#include "core_backends.hpp"
#include "sync/config/config_parser.hpp"
#include "sync_runtime.hpp"
#include "log.hpp"
#include "service.hpp"

#include "ctd_config.h"

#include <getopt.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr const char* defaultConfig = "/etc/ctd/ctd.conf";

void usage(FILE* out)
{
    std::fprintf(out,
                 "Usage: ctd [OPTION]...\n"
                 "The connection tracking service: org.netfilter.Conntrack1 on the system bus.\n"
                 "\n"
                 "  -c, --config FILE           configuration (conntrackd.conf syntax);\n"
                 "                              default %s when present\n"
                 "  -i, --idle-timeout SECONDS  exit after SECONDS without activity when no\n"
                 "                              sync engine is configured (default 60, 0 = never)\n"
                 "  -l, --log-level LEVEL       err, warning, notice, info (default), debug\n"
                 "      --check                 only validate the configuration and exit\n"
                 "  -h, --help                  show this help\n"
                 "  -V, --version               show the version\n",
                 defaultConfig);
}

// Loads and validates the configuration; notices (keys ctd accepts but has no use for) go
// to the log. Errors name file, line and key.
std::optional<ctd::sync::SyncConfig> loadConfig(const std::string& path)
{
    std::vector<ctd::sync::Notice> notices;
    auto parsed = ctd::sync::loadSyncConfig(path, notices);
    for (const auto& n : notices)
        ctd::log::notice(ctd::sync::formatNotice(n));
    if (!parsed) {
        ctd::log::error(parsed.error().message);
        return std::nullopt;
    }
    return std::move(*parsed);
}

// Hidden test hook (docs/dbus-api.md "Test hooks"): CTD_TEST_EVENT_RCVBUF=BYTES shrinks the
// event socket's receive buffer so a test can overflow it and see the kernel's ENOBUFS
// reach a Watch stream. Read once, at start; not in --help. false: set but not a number.
bool testEventReceiveBuffer(ctd::dbus::CoreOptions& core)
{
    const char* value = std::getenv("CTD_TEST_EVENT_RCVBUF");
    if (!value)
        return true;
    std::string_view text(value);
    size_t bytes = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    // The kernel doubles the value into an int: keep it well inside one.
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || bytes == 0 ||
        bytes > (size_t(1) << 30)) {
        std::fprintf(stderr, "ctd: CTD_TEST_EVENT_RCVBUF: '%s' is not a number of bytes\n", value);
        return false;
    }
    core.eventReceiveBuffer = bytes;
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    static const option longOptions[] = {
        {"config", required_argument, nullptr, 'c'},
        {"idle-timeout", required_argument, nullptr, 'i'},
        {"log-level", required_argument, nullptr, 'l'},
        {"check", no_argument, nullptr, 'C'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    std::string config;
    bool configGiven = false;
    ctd::dbus::ServiceOptions options;
    options.labelMap = CTD_LABEL_MAP;
    int logLevel = LOG_INFO;
    bool checkOnly = false;
    for (int opt; (opt = getopt_long(argc, argv, "c:i:l:hV", longOptions, nullptr)) != -1;) {
        switch (opt) {
        case 'c':
            config = optarg;
            configGiven = true;
            break;
        case 'i': {
            std::string_view text(optarg);
            uint64_t seconds = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
            if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
                seconds > 365u * 24 * 3600) {
                std::fprintf(stderr, "ctd: --idle-timeout: '%s' is not a number of seconds\n", optarg);
                return 2;
            }
            options.idleTimeoutSec = seconds;
            break;
        }
        case 'l':
            logLevel = ctd::log::parseLevel(optarg);
            if (logLevel < 0) {
                std::fprintf(stderr, "ctd: --log-level: unknown level '%s'\n", optarg);
                return 2;
            }
            break;
        case 'C':
            checkOnly = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            std::printf("ctd %s\n", CTD_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "ctd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    ctd::dbus::CoreOptions coreOptions;
    coreOptions.labelMapPath = options.labelMap;
    if (!testEventReceiveBuffer(coreOptions))
        return 2;
    ctd::log::init(logLevel);
    if (std::getenv("CTD_TEST_EVENT_RCVBUF"))
        ctd::log::warning("event socket receive buffer forced to " +
                          std::to_string(coreOptions.eventReceiveBuffer) +
                          " bytes (CTD_TEST_EVENT_RCVBUF, a test hook)");

    if (!configGiven && access(defaultConfig, F_OK) == 0)
        config = defaultConfig;
    if (!config.empty() && access(config.c_str(), R_OK) != 0) {
        ctd::log::error("cannot read configuration " + config);
        return 1;
    }

    std::optional<ctd::sync::SyncConfig> parsed;
    if (!config.empty()) {
        parsed = loadConfig(config);
        if (!parsed)
            return 1;
    } else if (checkOnly) {
        ctd::log::error("--check: no configuration (give --config FILE)");
        return 1;
    }
    const bool sync = parsed && parsed->role == ctd::sync::Role::Sync;
    const bool stats = parsed && parsed->role == ctd::sync::Role::Stats;
    if (checkOnly) {
        std::printf("%s: configuration is valid (%s)\n", config.c_str(),
                    sync ? ctd::sync::modeName(parsed->sync.mode) : stats ? "Stats: flow logging" : "table only");
        return 0;
    }
    if (!config.empty())
        ctd::log::info("configuration " + config + (sync ? " (sync engine)" : " (table only)"));
    // The core's backends, with every netlink socket open before READY=1. Without them
    // (no nf_conntrack, no CAP_NET_ADMIN) ctd still serves the bus, and every table call
    // answers with the reason.
    auto makeBackends = [config, sync, stats, parsed, coreOptions](ctd::dbus::EventLoop& loop) {
        ctd::dbus::ServiceBackends backends;
        if (auto core = ctd::dbus::makeCoreBackends(loop, coreOptions)) {
            backends.table = std::move(core->table);
            backends.expectations = std::move(core->expectations);
            backends.stats = std::move(core->stats);
            backends.features = {"table", "expectations", "events"};
        } else {
            const std::string why = "conntrack netlink unavailable: " + core.error().message;
            ctd::log::error(why);
            backends.table = ctd::dbus::makeUnavailableTableBackend(why);
            backends.expectations = ctd::dbus::makeUnavailableExpectationBackend(why);
        }
        if (sync) {
            auto runtime = ctd::sync::SyncRuntime::start(loop.get(), *parsed);
            if (!runtime) {
                backends.fatal = "sync engine: " + runtime.error().message;
            } else {
                backends.sync = std::move(*runtime);
                for (const auto& note : backends.sync->startupNotes())
                    ctd::log::write(note.priority, note.text);
                backends.features.push_back("sync");
                ctd::log::info(std::string("sync engine: ") + ctd::sync::modeName(parsed->sync.mode) + ", " +
                               std::to_string(backends.sync->engine().channelCount()) + " link(s), " +
                               std::to_string(backends.sync->engine().internalCache().size()) +
                               " entries in the internal cache");
            }
        }
        if (stats) {
            auto flows = ctd::sync::FlowLogger::start(loop.get(), *parsed);
            if (!flows)
                backends.fatal = "Stats mode: " + flows.error().message;
            else {
                backends.flows = std::move(*flows);
                backends.features.push_back("flow-log");
                ctd::log::info("Stats mode: destroyed flows logged to " +
                               (parsed->stats.logFile && *parsed->stats.logFile != ctd::sync::defaultStatsLogFile
                                    ? *parsed->stats.logFile
                                    : std::string("the journal (ctd-flows)")));
            }
        }
        // Sync and Stats mode watch the kernel all the time: no idle exit.
        backends.syncConfigured = [sync, stats] { return sync || stats; };
        // SIGHUP: the file is read and checked again. The engine's sockets, caches and
        // sequence numbers cannot be swapped under a running peer session, so a changed
        // file is reported (apply it with a restart, which the peer sees as a HELLO) and
        // a broken one never replaces the running configuration.
        backends.reload = [config, parsed] {
            if (config.empty()) {
                ctd::log::info("SIGHUP: no configuration file; nothing to reload");
                return;
            }
            std::vector<ctd::sync::Notice> notices;
            auto fresh = ctd::sync::loadSyncConfig(config, notices);
            if (!fresh) {
                ctd::log::warning("SIGHUP: " + fresh.error().message + "; keeping the running configuration");
                return;
            }
            fresh->fileName = parsed->fileName;
            if (*fresh == *parsed)
                ctd::log::info("SIGHUP: " + config + " is unchanged");
            else
                ctd::log::warning("SIGHUP: " + config +
                                  " changed; the running sync engine keeps its configuration until ctd restarts");
        };
        return backends;
    };
    return ctd::dbus::runService(options, makeBackends);
}
