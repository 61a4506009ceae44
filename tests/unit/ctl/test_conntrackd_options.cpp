// The conntrackd drop-in's command line against what conntrackd 1.4.7 (Debian 12) does:
// every expectation here was observed with the real binary (messages, exit statuses, the
// second-character option matching and the prefix words).
#include "conntrackd_options.hpp"
#include "conntrackd_log.hpp"
#include "conntrackd_plan.hpp"

#include <gtest/gtest.h>

#include <climits>

using namespace ctd::ctl::conntrackd;
using Next = ParsedCommand::Next;

namespace {

ParsedCommand parse(std::vector<std::string> args) { return parseCommandLine(args); }

// The printed output as one string: "U" for the usage, "E:text"/"W:text" for log lines.
std::string outputOf(const ParsedCommand& c)
{
    std::string s;
    for (const auto& o : c.output) {
        if (!s.empty())
            s += "|";
        if (o.usage)
            s += "U";
        else
            s += std::string(o.level == LogLevel::Error ? "E:" : o.level == LogLevel::Warning ? "W:" : "N:") + o.text;
    }
    return s;
}

} // namespace

TEST(ConntrackdOptions, ClientActionsAndTableWords)
{
    struct Case {
        std::vector<std::string> args;
        Action action;
    } cases[] = {
        {{"-c"}, Action::AllCommit},
        {{"-c", "ct"}, Action::CtCommit},
        {{"-c", "expect"}, Action::ExpCommit},
        {{"-c", "e"}, Action::ExpCommit}, // prefixes, as strncmp(arg, word, strlen(arg))
        {{"-c", ""}, Action::CtCommit},   // "" is a prefix of "ct"
        {{"-i"}, Action::CtDumpInternal},
        {{"-i", "ct"}, Action::CtDumpInternal},
        {{"-i", "expect"}, Action::ExpDumpInternal},
        {{"-e"}, Action::CtDumpExternal},
        {{"-e", "expect", "-x"}, Action::ExpDumpExternalXml},
        {{"-i", "-x"}, Action::CtDumpInternalXml},
        {{"-e", "-x"}, Action::CtDumpExternalXml},
        {{"-F"}, Action::AllFlushMaster},
        {{"-F", "ct"}, Action::CtFlushMaster},
        {{"-F", "expect"}, Action::ExpFlushMaster},
        {{"-f"}, Action::AllFlushCache},
        {{"-f", "internal"}, Action::CtFlushInternalCache},
        {{"-f", "ext"}, Action::CtFlushExternalCache},
        {{"-R"}, Action::AllResyncMaster},
        {{"-R", "ct"}, Action::CtResyncMaster},
        {{"-R", "expect"}, Action::ExpResyncMaster},
        {{"-B"}, Action::SendBulk},
        {{"-t"}, Action::ResetTimers},
        {{"-k"}, Action::Kill},
        {{"-n"}, Action::RequestDump},
        {{"-s"}, Action::Stats},
        {{"-s", "network"}, Action::StatsNetwork},
        {{"-s", "n"}, Action::StatsNetwork},
        {{"-s", ""}, Action::StatsNetwork}, // "" matches the first word tried
        {{"-s", "c"}, Action::StatsCache},  // cache is tried before ct
        {{"-s", "cache"}, Action::StatsCache},
        {{"-s", "runtime"}, Action::StatsRuntime},
        {{"-s", "link"}, Action::StatsLink},
        {{"-s", "rsqueue"}, Action::StatsRsqueue},
        {{"-s", "process"}, Action::StatsProcess},
        {{"-s", "queue"}, Action::StatsQueue},
        {{"-s", "ct"}, Action::Stats},
        {{"-s", "expect"}, Action::ExpStats},
        {{"-C", "/etc/x.conf", "-s"}, Action::Stats},
        {{"-sx"}, Action::Stats}, // only argv[i][1] is looked at
        {{"xs"}, Action::Stats},
        {{"-c", "-i"}, Action::CtDumpInternal}, // the last action wins
    };
    for (const auto& c : cases) {
        const ParsedCommand p = parse(c.args);
        std::string joined;
        for (const auto& a : c.args)
            joined += a + " ";
        EXPECT_EQ(p.next, Next::Request) << joined;
        EXPECT_EQ(p.action, c.action) << joined;
        EXPECT_EQ(outputOf(p), "") << joined;
    }
}

TEST(ConntrackdOptions, ConfigFile)
{
    EXPECT_EQ(parse({"-C", "/etc/a.conf", "-c"}).configFile, "/etc/a.conf");
    EXPECT_EQ(parse({"-c"}).configFile, "");
    const ParsedCommand longPath = parse({"-C", std::string(PATH_MAX + 10, 'a'), "-c"});
    EXPECT_EQ(longPath.configFile.size(), static_cast<size_t>(PATH_MAX - 1));
    EXPECT_EQ(outputOf(longPath),
              "W:Path to config file to long. Cutting it down to 4096 characters");
    // A missing file name: usage and an error, then conntrackd carries on (console mode).
    const ParsedCommand missing = parse({"-C"});
    EXPECT_EQ(outputOf(missing), "U|E:Missing config filename");
    EXPECT_EQ(missing.next, Next::Console);
}

TEST(ConntrackdOptions, DaemonAndConsole)
{
    EXPECT_EQ(parse({"-d"}).next, Next::Daemon);
    EXPECT_EQ(parse({"-d", "-d"}).next, Next::Daemon);
    EXPECT_EQ(parse({"-C", "/etc/c.conf", "-d"}).next, Next::Daemon);
    EXPECT_EQ(parse({}).next, Next::Console);
    EXPECT_EQ(parse({"-C", "/etc/c.conf"}).next, Next::Console);
}

TEST(ConntrackdOptions, ErrorsAsConntrackdPrintsThem)
{
    struct Case {
        std::vector<std::string> args;
        std::string output;
        int exitCode;
    } cases[] = {
        {{"-x"}, "U|E:Invalid parameters", 1},
        {{"-s", "-x"}, "U|E:Invalid parameters", 1},
        {{"-i", "-x", "-x"}, "U|E:Invalid parameters", 1},
        {{"-d", "-c"}, "U|E:Invalid parameters", 1},
        {{"-c", "-d"}, "U|E:Invalid parameters", 1},
        // An unknown option prints the usage and exits 0, as 1.4.7 does.
        {{"-q"}, "U|E:Unknown option: -q", 0},
        {{"-S"}, "U|E:Unknown option: -S", 0},
        {{"--help"}, "U|E:Unknown option: --help", 0},
        {{"x"}, "U|E:Unknown option: x", 0},
        {{""}, "U|E:Unknown option: ", 0},
        // A word that is no table name is read as the next option.
        {{"-c", "foo"}, "U|E:Unknown option: foo", 0},
        {{"-i", "foo"}, "U|E:Unknown option: foo", 0},
        {{"-F", "foo"}, "U|E:Unknown option: foo", 0},
        {{"-c", "xd"}, "U|E:Invalid parameters", 1},
        {{"-f", "foo"}, "E:unknown parameter `foo' for option `-f'", 1},
        {{"-s", "general"}, "E:unknown parameter `general' for option `-s'", 1},
        {{"-h"}, "U", 0},
        {{"-hx"}, "U", 0},
    };
    for (const auto& c : cases) {
        const ParsedCommand p = parse(c.args);
        std::string joined;
        for (const auto& a : c.args)
            joined += a + " ";
        EXPECT_EQ(p.next, Next::Exit) << joined;
        EXPECT_EQ(p.exitCode, c.exitCode) << joined;
        EXPECT_EQ(outputOf(p), c.output) << joined;
    }
    EXPECT_EQ(parse({"-v"}).next, Next::Version);
}

TEST(ConntrackdOptions, MulticastIsLinkWithAWarning)
{
    const ParsedCommand p = parse({"-s", "multicast"});
    EXPECT_EQ(p.action, Action::StatsLink);
    EXPECT_EQ(outputOf(p), "W:use `link' instead of `multicast' as parameter.");
}

TEST(ConntrackdOptions, UsageAndVersionTexts)
{
    const std::string usage = usageText("conntrackd");
    EXPECT_EQ(usage.rfind("Connection tracking userspace daemon v1.4.7\n"
                          "Usage: conntrackd [commands] [options]\n\nGeneral commands:\n",
                          0),
              0u);
    EXPECT_NE(usage.find("  -s  [network|cache|runtime|link|rsqueue|queue|ct|expect], dump "
                         "statistics\n"),
              std::string::npos);
    EXPECT_EQ(usage.substr(usage.size() - 58),
              "  -t, reset the kernel timeout (see PurgeTimeout clause)\n\n");
    EXPECT_EQ(versionText(), "Connection tracking userspace daemon v1.4.7. Licensed under "
                             "GPLv2.\n(C) 2006-2009 Pablo Neira Ayuso <pablo@netfilter.org>\n");
}

TEST(ConntrackdLog, DlogLineFormat)
{
    // 2026-12-02 00:34:13 UTC; ctime() is local time, so pin the zone.
    setenv("TZ", "UTC", 1);
    tzset();
    EXPECT_EQ(logLine(LogLevel::Error, "unknown parameter `general' for option `-s'",
                      1796171653, 4242),
              "[Wed Dec  2 00:34:13 2026] (pid=4242) [ERROR] unknown parameter `general' "
              "for option `-s'\n");
    EXPECT_EQ(logLine(LogLevel::Warning, "w", 1796171653, 1),
              "[Wed Dec  2 00:34:13 2026] (pid=1) [warning] w\n");
    EXPECT_EQ(logLine(LogLevel::Notice, "n", 1796171653, 1),
              "[Wed Dec  2 00:34:13 2026] (pid=1) [notice] n\n");
}

TEST(ConntrackdPlan, EveryActionMapsToItsBusCall)
{
    using C = BusStep::Call;
    auto one = [](Action a) {
        const auto plan = planFor(a);
        EXPECT_EQ(plan.size(), 1u);
        return plan.at(0);
    };
    EXPECT_EQ(one(Action::CtCommit).call, C::Commit);
    EXPECT_EQ(one(Action::CtCommit).arg, "external:ct");
    const auto all = planFor(Action::AllCommit);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].arg, "external");
    EXPECT_FALSE(all[0].onlyWithExpectSync);
    EXPECT_EQ(all[1].arg, "external:expect");
    EXPECT_TRUE(all[1].onlyWithExpectSync);
    EXPECT_TRUE(one(Action::ExpCommit).onlyWithExpectSync);
    EXPECT_EQ(one(Action::CtDumpInternal).format, "conntrackd");
    EXPECT_EQ(one(Action::CtDumpInternal).arg, "internal");
    EXPECT_EQ(one(Action::CtDumpExternalXml).format, "conntrackd-xml");
    EXPECT_EQ(one(Action::CtDumpExternalXml).arg, "external");
    EXPECT_EQ(one(Action::ExpDumpInternal).arg, "internal:expect");
    EXPECT_EQ(one(Action::CtFlushMaster).call, C::TableFlush);
    EXPECT_EQ(planFor(Action::AllFlushMaster).size(), 2u);
    EXPECT_EQ(one(Action::ExpFlushMaster).call, C::ExpectationsFlush);
    EXPECT_EQ(one(Action::AllFlushCache).call, C::Flush);
    EXPECT_EQ(one(Action::AllFlushCache).arg, "");
    EXPECT_EQ(one(Action::CtFlushInternalCache).arg, "internal");
    EXPECT_EQ(one(Action::CtFlushExternalCache).arg, "external");
    EXPECT_EQ(one(Action::AllResyncMaster).call, C::ResyncFromKernel);
    EXPECT_EQ(one(Action::SendBulk).call, C::SendBulk);
    EXPECT_EQ(one(Action::ResetTimers).call, C::ResetKernelTimers);
    EXPECT_EQ(one(Action::Kill).call, C::Stop);
    EXPECT_EQ(one(Action::RequestDump).call, C::RequestResync);
    EXPECT_EQ(one(Action::Stats).arg, "");
    EXPECT_EQ(one(Action::StatsLink).arg, "link");
    EXPECT_EQ(one(Action::ExpStats).arg, "expect");
    EXPECT_EQ(one(Action::StatsProcess).call, C::Ping);
    EXPECT_EQ(one(Action::None).call, C::Ping);
}
