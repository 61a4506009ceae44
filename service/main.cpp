// ctd: the conntrack system service. Parses the command line, sets up logging, and runs
// the service (service/dbus/service.hpp).
#include "core_backends.hpp"
#include "log.hpp"
#include "service.hpp"

#include "ctd_config.h"

#include <getopt.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
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
                 "  -h, --help                  show this help\n"
                 "  -V, --version               show the version\n",
                 defaultConfig);
}

// Until core's conntrackd.conf parser is bound, a "Sync {" section is what tells a sync
// configuration from a table-only one (conntrackd.conf has no other way to say it).
bool configHasSyncSection(const std::string& path)
{
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        auto start = line.find_first_not_of(" \t");
        if (start != std::string::npos && line.compare(start, 4, "Sync") == 0 &&
            line.find('{', start) != std::string::npos)
            return true;
    }
    return false;
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
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    std::string config;
    bool configGiven = false;
    ctd::dbus::ServiceOptions options;
    options.labelMap = CTD_LABEL_MAP;
    int logLevel = LOG_INFO;
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

    const bool sync = !config.empty() && configHasSyncSection(config);
    if (!config.empty())
        ctd::log::info("configuration " + config + (sync ? " (sync engine)" : " (table only)"));
    // The core's backends, with every netlink socket open before READY=1. Without them
    // (no nf_conntrack, no CAP_NET_ADMIN) ctd still serves the bus, and every table call
    // answers with the reason.
    auto makeBackends = [config, sync, coreOptions](ctd::dbus::EventLoop& loop) {
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
        backends.syncConfigured = [sync] { return sync; };
        backends.reload = [config] {
            if (!config.empty() && access(config.c_str(), R_OK) != 0)
                ctd::log::warning("configuration " + config +
                                  " is not readable; keeping the old one");
        };
        return backends;
    };
    return ctd::dbus::runService(options, makeBackends);
}
