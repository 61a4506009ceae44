// General { }, Stats { } and Helper { } of conntrackd.conf.
#include "sync/config/config_reader.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace ctd::sync {

namespace {

// read_config_yy.y: FILENAME_MAXLEN (256) for LogFile/LockFile, UNIX_PATH_MAX (108) for Path.
constexpr size_t maxFileName = 256;
constexpr size_t maxUnixPath = 108;

// Keys 1.4.7 accepts that change nothing in ctd, with what to do instead.
constexpr const char* lockFileNotice =
    "accepted, ignored: ctd is single-instance through its D-Bus name, no lock file";
constexpr const char* unixNotice =
    "accepted, ignored: ctd is controlled over D-Bus (ctctl), not a UNIX socket";
constexpr const char* niceNotice =
    "accepted, ignored (deprecated, conntrackd ignores it too): use the unit's Nice=";
constexpr const char* schedulerNotice =
    "accepted, ignored: use the unit's CPUSchedulingPolicy= and CPUSchedulingPriority=";
constexpr const char* systemdNotice =
    "accepted, ignored: ctd always runs as a Type=notify unit with the watchdog";
constexpr const char* helperNotice =
    "accepted, ignored: ctd runs no user-space (NFQUEUE) helpers; use conntrackd or "
    "nft ct helper for those";

// LogFile on|off|/path: "on" is conntrackd's default file name.
bool readLogFile(ConfigReader& reader, const Token& key, const std::string& where,
                 std::optional<std::string>& out, const char* defaultName) {
    if (reader.lexer().peek().kind == TokenKind::Path) {
        std::string path;
        if (!reader.path(key, where, path, maxFileName))
            return false;
        out = path;
        return true;
    }
    Token v;
    if (!reader.value(key, where, v))
        return false;
    auto on = parseSwitch(v.text);
    if (!on)
        return reader.fail(v.line, keyIn(key, where) +
                                       ": expected on, off or an absolute path, "
                                       "got " +
                                       describeToken(v));
    out = *on ? std::optional<std::string>(defaultName) : std::nullopt;
    return true;
}

// Syslog on|off|daemon|local0..7
bool readSyslog(ConfigReader& reader, const Token& key, const std::string& where,
                std::optional<SyslogFacility>& out) {
    Token v;
    if (!reader.value(key, where, v))
        return false;
    if (auto on = parseSwitch(v.text)) {
        out = *on ? std::optional(SyslogFacility::Daemon) : std::nullopt;
        return true;
    }
    auto facility = parseSyslogFacility(v.text);
    if (!facility)
        // conntrackd only warns and keeps the previous value; a typo here would silently
        // lose the log, so ctd refuses.
        return reader.fail(v.line, keyIn(key, where) + ": " + describeToken(v) +
                                       " is not on, off, daemon or local0..local7");
    out = facility;
    return true;
}

bool parseUnix(ConfigReader& reader, const Token& opener) {
    auto& general = reader.config().general;
    const std::string where = "General/UNIX";
    reader.notice(opener.line, "UNIX", unixNotice);
    return reader.keyBlock(
        opener, where,
        {
            {"Path",
             [&](const Token& k) { return reader.path(k, where, general.unixPath, maxUnixPath); }},
            {"Backlog",
             [&](const Token& k) {
                 uint32_t ignored = 0;
                 reader.notice(k.line, "Backlog",
                               "accepted, ignored (deprecated, conntrackd ignores it too)");
                 return reader.number(k, where, ignored);
             }},
        });
}

bool parseScheduler(ConfigReader& reader, const Token& opener) {
    auto& scheduler = reader.config().general.scheduler;
    const std::string where = "General/Scheduler";
    reader.notice(opener.line, "Scheduler", schedulerNotice);
    return reader.keyBlock(
        opener, where,
        {
            {"Type",
             [&](const Token& k) {
                 std::string type;
                 if (!reader.word(k, where, type))
                     return false;
                 // strcasecmp() in conntrackd
                 std::string lowered;
                 for (char c : type)
                     lowered += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                 if (lowered == "rr")
                     scheduler.type = SchedulerType::RoundRobin;
                 else if (lowered == "fifo")
                     scheduler.type = SchedulerType::Fifo;
                 else
                     return reader.fail(k.line, keyIn(k, where) + ": unknown scheduler '" + type +
                                                    "' (RR or FIFO)");
                 return true;
             }},
            {"Priority",
             [&](const Token& k) {
                 uint32_t prio = 0;
                 if (!reader.number(k, where, prio, 0, 99))
                     return false;
                 scheduler.priority = static_cast<int>(prio);
                 return true;
             }},
        });
}

// A number that "0" turns into "not set", as conntrackd's if (value) checks do.
bool readOptionalSize(ConfigReader& reader, const Token& key, const std::string& where,
                      std::optional<uint32_t>& out) {
    uint32_t n = 0;
    if (!reader.number(key, where, n))
        return false;
    out = n ? std::optional(n) : std::nullopt;
    return true;
}

void checkSyslogAgreement(ConfigReader& reader, unsigned line) {
    const auto& config = reader.config();
    if (config.general.syslog && config.stats.syslog &&
        config.general.syslog != config.stats.syslog)
        reader.notice(line, "Syslog",
                      "General and Stats name different facilities; General's is used, as "
                      "in conntrackd");
}

} // namespace

bool parseGeneral(ConfigReader& reader, const Token& opener) {
    auto& general = reader.config().general;
    const std::string where = "General";
    auto bufferAlias = [&](const char* canonical, std::optional<uint32_t>& out) {
        return [&reader, &where, canonical, &out](const Token& k) {
            reader.notice(k.line, std::string(k.text),
                          std::string("deprecated alias of ") + canonical);
            return readOptionalSize(reader, k, where, out);
        };
    };
    return reader.keyBlock(
        opener, where,
        {
            {"HashSize",
             [&](const Token& k) {
                 return reader.numberOrDefault(k, where, general.hashSize, 65536);
             }},
            {"HashLimit",
             [&](const Token& k) {
                 return reader.numberOrDefault(k, where, general.hashLimit, 262144);
             }},
            {"LogFile",
             [&](const Token& k) {
                 return readLogFile(reader, k, where, general.logFile, defaultLogFile);
             }},
            {"Syslog",
             [&](const Token& k) {
                 if (!readSyslog(reader, k, where, general.syslog))
                     return false;
                 checkSyslogAgreement(reader, k.line);
                 return true;
             }},
            {"LockFile",
             [&](const Token& k) {
                 reader.notice(k.line, "LockFile", lockFileNotice);
                 return reader.path(k, where, general.lockFile, maxFileName);
             }},
            {"UNIX", [&](const Token& k) { return parseUnix(reader, k); }},
            {"NetlinkBufferSize",
             [&](const Token& k) {
                 return readOptionalSize(reader, k, where, general.netlinkBufferSize);
             }},
            {"NetlinkBufferSizeMaxGrowth",
             [&](const Token& k) {
                 return readOptionalSize(reader, k, where, general.netlinkBufferSizeMaxGrowth);
             }},
            {"SocketBufferSize", bufferAlias("NetlinkBufferSize", general.netlinkBufferSize)},
            {"SocketBufferSizeMaxGrown",
             bufferAlias("NetlinkBufferSizeMaxGrowth", general.netlinkBufferSizeMaxGrowth)},
            {"SocketBufferSizeMaxGrowth",
             bufferAlias("NetlinkBufferSizeMaxGrowth", general.netlinkBufferSizeMaxGrowth)},
            {"EventIterationLimit",
             [&](const Token& k) {
                 return reader.numberOrDefault(k, where, general.eventIterationLimit, 100);
             }},
            {"PollSecs",
             [&](const Token& k) {
                 uint32_t secs = 0;
                 // conntrackd: "`PollSecs' clause must be > 0"
                 if (!reader.number(k, where, secs, 1))
                     return false;
                 general.pollSecs = secs;
                 return true;
             }},
            {"Filter", [&](const Token& k) { return parseFilter(reader, k); }},
            {"NetlinkOverrunResync",
             [&](const Token& k) {
                 Token v = reader.lexer().peek();
                 if (auto on = parseSwitch(v.text); on && v.kind == TokenKind::Atom) {
                     reader.lexer().next();
                     general.netlinkOverrunResync = *on ? std::optional(30u) : std::nullopt;
                     return true;
                 }
                 // "NetlinkOverrunResync 0" is 30 s in conntrackd (0 = not set), not off.
                 uint32_t secs = 0;
                 if (!reader.numberOrDefault(k, where, secs, 30))
                     return false;
                 general.netlinkOverrunResync = secs;
                 return true;
             }},
            {"NetlinkEventsReliable",
             [&](const Token& k) { return reader.onOff(k, where, general.netlinkEventsReliable); }},
            {"Nice",
             [&](const Token& k) {
                 int nice = 0;
                 reader.notice(k.line, "Nice", niceNotice);
                 if (!reader.signedNumber(k, where, nice, -20, 19))
                     return false;
                 general.nice = nice;
                 return true;
             }},
            {"Scheduler", [&](const Token& k) { return parseScheduler(reader, k); }},
            {"Systemd",
             [&](const Token& k) {
                 reader.notice(k.line, "Systemd", systemdNotice);
                 return reader.onOff(k, where, general.systemd);
             }},
        });
}

bool parseStats(ConfigReader& reader, const Token& opener) {
    auto& stats = reader.config().stats;
    const std::string where = "Stats";
    return reader.keyBlock(
        opener, where,
        {
            {"LogFile",
             [&](const Token& k) {
                 return readLogFile(reader, k, where, stats.logFile, defaultStatsLogFile);
             }},
            {"Syslog",
             [&](const Token& k) {
                 if (!readSyslog(reader, k, where, stats.syslog))
                     return false;
                 checkSyslogAgreement(reader, k.line);
                 return true;
             }},
            {"NetlinkEventsReliable",
             [&](const Token& k) {
                 reader.notice(k.line, "NetlinkEventsReliable",
                               "accepted in Stats as conntrackd.conf(5) documents it, although "
                               "conntrackd 1.4.7's parser rejects it there");
                 return reader.onOff(k, where, stats.netlinkEventsReliable);
             }},
        });
}

namespace {

bool parseHelperPolicy(ConfigReader& reader, const Token& opener, HelperType& helper,
                       const std::string& parent) {
    HelperPolicy policy;
    Token name;
    if (!reader.value(opener, parent, name))
        return false;
    if (!isWord(name.text) || name.text.size() > 16)
        // CTD_HELPER_NAME_LEN is 16
        return reader.fail(name.line, keyIn(opener, parent) + ": " + describeToken(name) +
                                          " is not a policy name (at most 16 characters)");
    policy.name = std::string(name.text);
    const std::string where = parent + "/Policy " + policy.name;
    bool any = false;
    bool ok = reader.keyBlock(opener, where,
                              {
                                  {"ExpectMax",
                                   [&](const Token& k) {
                                       any = true;
                                       return reader.number(k, where, policy.expectMax);
                                   }},
                                  {"ExpectTimeout",
                                   [&](const Token& k) {
                                       any = true;
                                       return reader.number(k, where, policy.expectTimeout);
                                   }},
                              });
    if (!ok)
        return false;
    if (!any)
        // conntrackd: "Helper policy configuration empty, fix your configuration file"
        return reader.fail(opener.line, where + " is empty (needs ExpectMax or ExpectTimeout)");
    helper.policies.push_back(policy);
    return true;
}

bool parseHelperType(ConfigReader& reader, const Token& opener) {
    HelperType helper;
    helper.line = opener.line;
    const std::string parent = "Helper";
    Token name, family, protocol;
    if (!reader.value(opener, parent, name) || !reader.value(opener, parent, family) ||
        !reader.value(opener, parent, protocol))
        return false;
    if (!isWord(name.text))
        return reader.fail(name.line, keyIn(opener, parent) + ": " + describeToken(name) +
                                          " is not a helper name");
    helper.name = std::string(name.text);
    if (family.text == "inet")
        helper.family = AF_INET;
    else if (family.text == "inet6")
        helper.family = AF_INET6;
    else
        return reader.fail(family.line, keyIn(opener, parent) + ": unknown layer 3 protocol " +
                                            describeToken(family) + " (inet or inet6)");
    if (protocol.text == "tcp")
        helper.protocol = IPPROTO_TCP;
    else if (protocol.text == "udp")
        helper.protocol = IPPROTO_UDP;
    else
        return reader.fail(protocol.line, keyIn(opener, parent) + ": unknown layer 4 protocol " +
                                              describeToken(protocol) + " (tcp or udp)");
    const std::string where = "Helper/Type " + helper.name;
    auto optionalNumber = [&](std::optional<uint32_t>& out) {
        return [&reader, &where, &out](const Token& k) {
            uint32_t n = 0;
            if (!reader.number(k, where, n))
                return false;
            out = n;
            return true;
        };
    };
    bool ok = reader.keyBlock(
        opener, where,
        {
            {"QueueNum", optionalNumber(helper.queueNum)},
            {"QueueLen", optionalNumber(helper.queueLen)},
            {"Policy", [&](const Token& k) { return parseHelperPolicy(reader, k, helper, where); }},
        });
    if (!ok)
        return false;
    reader.config().helpers.push_back(std::move(helper));
    return true;
}

} // namespace

bool parseHelper(ConfigReader& reader, const Token& opener) {
    reader.notice(opener.line, "Helper", helperNotice);
    return reader.keyBlock(opener, "Helper",
                           {
                               {"Type", [&](const Token& k) { return parseHelperType(reader, k); }},
                           });
}

} // namespace ctd::sync
