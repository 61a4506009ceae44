// conntrackd 1.4.7's command line (main.c), reproduced quirk for quirk: options are
// recognised by their second character only ("-sx" is -s, "xs" is -s too), table and
// category words are prefixes ("-s n" is network), an unknown option prints the usage and
// exits 0, conflicting modes exit 1. The parse yields the messages conntrackd would print
// while reading argv, in order, and what to do next.
#pragma once

#include "conntrackd_log.hpp"

#include <string>
#include <vector>

namespace ctd::ctl::conntrackd {

// conntrackd's request codes (local.h), one per client action.
enum class Action {
    None, // REQUEST mode reached without an action (e.g. "-c xC f"): conntrackd sends -1
    CtCommit, ExpCommit, AllCommit,
    CtDumpInternal, ExpDumpInternal, CtDumpExternal, ExpDumpExternal,
    CtDumpInternalXml, ExpDumpInternalXml, CtDumpExternalXml, ExpDumpExternalXml,
    CtFlushMaster, ExpFlushMaster, AllFlushMaster,
    CtFlushInternalCache, CtFlushExternalCache, AllFlushCache,
    CtResyncMaster, ExpResyncMaster, AllResyncMaster,
    SendBulk, ResetTimers, Kill, RequestDump,
    Stats, StatsNetwork, StatsCache, StatsRuntime, StatsLink, StatsRsqueue, StatsProcess,
    StatsQueue, ExpStats,
};

// One thing conntrackd prints while parsing: the usage (stdout) or a dlog() line (stderr).
struct ParseOutput {
    bool usage = false; // when true, text/level are unused
    LogLevel level = LogLevel::Error;
    std::string text;
};

struct ParsedCommand {
    enum class Next {
        Exit,    // exitCode says how
        Version, // -v: print the version text, exit 0
        Request, // a client request (action) to the running daemon
        Daemon,  // -d: start the daemon in the background
        Console, // no mode option: conntrackd runs in the foreground
    };
    std::vector<ParseOutput> output; // in order, before Next happens
    Next next = Next::Console;
    int exitCode = 0;
    Action action = Action::None;
    std::string configFile; // empty: the default
};

// conntrackd's DEFAULT_CONFIGFILE.
inline constexpr const char* kDefaultConfigFile = "/etc/conntrackd/conntrackd.conf";

ParsedCommand parseCommandLine(const std::vector<std::string>& args); // args: argv[1..]

// show_usage() and show_version() texts (progname is argv[0] as given).
std::string usageText(const std::string& progname);
std::string versionText();

} // namespace ctd::ctl::conntrackd
