// Every complete example shipped with conntrackd 1.4.7 (Debian's
// /usr/share/doc/conntrackd/examples, vendored under tests/data/sync-config/examples),
// Debian's default /etc/conntrackd/conntrackd.conf, the three examples of
// conntrackd.conf(5) and the "full" fixtures (every key, checked against conntrackd -C).
#include "config_test_util.hpp"

#include <algorithm>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace ctd::sync;
using namespace ctd::sync::test;

namespace {

SyncConfig load(const std::string& relative, std::vector<Notice>* notices = nullptr) {
    std::vector<Notice> local;
    auto result = loadSyncConfig(dataPath(relative), notices ? *notices : local);
    EXPECT_TRUE(result.ok()) << (result ? "" : result.error().message);
    return result ? *result : SyncConfig{};
}

// The General section the three sync examples share (only HashSize etc. are live).
void expectExampleGeneral(const GeneralSettings& g) {
    EXPECT_EQ(g.hashSize, 32768u);
    EXPECT_EQ(g.hashLimit, 131072u);
    EXPECT_EQ(g.logFile, std::optional<std::string>("/var/log/conntrackd.log"));
    EXPECT_FALSE(g.syslog);
    EXPECT_EQ(g.lockFile, "/var/lock/conntrack.lock");
    EXPECT_EQ(g.unixPath, "/var/run/conntrackd.ctl");
    EXPECT_EQ(g.netlinkBufferSize, std::optional<uint32_t>(2097152));
    EXPECT_EQ(g.netlinkBufferSizeMaxGrowth, std::optional<uint32_t>(8388608));
    EXPECT_EQ(g.netlinkOverrunResync, std::optional<uint32_t>(30));
    EXPECT_FALSE(g.pollSecs);
    ASSERT_TRUE(g.filter.present);
    EXPECT_EQ(g.filter.from, FilterFrom::Userspace);
    ASSERT_TRUE(g.filter.protocol);
    EXPECT_EQ(g.filter.protocol->policy, FilterPolicy::Accept);
    EXPECT_EQ(g.filter.protocol->protocols,
              (std::vector<uint8_t>{IPPROTO_TCP, IPPROTO_SCTP, IPPROTO_DCCP}));
    ASSERT_TRUE(g.filter.address);
    EXPECT_EQ(g.filter.address->policy, FilterPolicy::Ignore);
    const auto& prefixes = g.filter.address->prefixes;
    ASSERT_GE(prefixes.size(), 5u);
    EXPECT_EQ(prefixes[0], (Prefix{v4("127.0.0.1"), 32}));
    // the dedicated link's own address is in every example's ignore list
    EXPECT_NE(std::find(prefixes.begin(), prefixes.end(), Prefix{v4("192.168.100.100"), 32}),
              prefixes.end());
    EXPECT_FALSE(g.filter.state);
}

void expectExampleMulticast(const SyncSettings& s) {
    ASSERT_EQ(s.channels.size(), 1u);
    const Channel& ch = s.channels[0];
    EXPECT_EQ(ch.kind, ChannelKind::Multicast);
    EXPECT_FALSE(ch.isDefault);
    EXPECT_EQ(ch.address, v4("225.0.0.50"));
    EXPECT_EQ(ch.interfaceAddress, v4("192.168.100.100"));
    EXPECT_EQ(ch.port, 3780);
    EXPECT_EQ(ch.interfaceName, "eth2");
    EXPECT_EQ(ch.sndBuffer, std::optional<uint32_t>(1249280));
    EXPECT_EQ(ch.rcvBuffer, std::optional<uint32_t>(1249280));
    EXPECT_TRUE(ch.checksum);
    EXPECT_EQ(ch.family(), AF_INET);
    EXPECT_EQ(s.defaultChannel, 0u);
    EXPECT_FALSE(s.tcpWindowTracking);
    EXPECT_EQ(s.expectationSync, ExpectationSync::Off);
}

} // namespace

TEST(SyncConfigExamples, Ftfw) {
    std::vector<Notice> notices;
    SyncConfig c = load("examples/sync/ftfw/conntrackd.conf", &notices);
    EXPECT_EQ(c.role, Role::Sync);
    EXPECT_EQ(c.sync.mode, SyncMode::Ftfw);
    EXPECT_TRUE(c.sync.modeGiven);
    // every Mode FTFW key is commented out: conntrackd's defaults
    EXPECT_EQ(c.sync.resendQueueSize, 131072u);
    EXPECT_EQ(c.sync.ackWindowSize, 300u);
    EXPECT_EQ(c.sync.purgeTimeout, 60u);
    EXPECT_FALSE(c.sync.commitTimeout);
    EXPECT_FALSE(c.sync.disableExternalCache);
    expectExampleMulticast(c.sync);
    expectExampleGeneral(c.general);
    EXPECT_TRUE(hasNotice(notices, "LockFile"));
    EXPECT_TRUE(hasNotice(notices, "UNIX"));
    EXPECT_TRUE(c.helpers.empty());
}

TEST(SyncConfigExamples, Alarm) {
    SyncConfig c = load("examples/sync/alarm/conntrackd.conf");
    EXPECT_EQ(c.role, Role::Sync);
    EXPECT_EQ(c.sync.mode, SyncMode::Alarm);
    EXPECT_EQ(c.sync.refreshTime, 15u);
    EXPECT_EQ(c.sync.cacheTimeout, 180u);
    EXPECT_EQ(c.sync.purgeTimeout, 60u);
    expectExampleMulticast(c.sync);
    expectExampleGeneral(c.general);
}

TEST(SyncConfigExamples, Notrack) {
    SyncConfig c = load("examples/sync/notrack/conntrackd.conf");
    EXPECT_EQ(c.role, Role::Sync);
    EXPECT_EQ(c.sync.mode, SyncMode::Notrack);
    EXPECT_FALSE(c.sync.disableInternalCache);
    EXPECT_FALSE(c.sync.disableExternalCache);
    expectExampleMulticast(c.sync);
    expectExampleGeneral(c.general);
}

TEST(SyncConfigExamples, Stats) {
    SyncConfig c = load("examples/stats/conntrackd.conf");
    EXPECT_EQ(c.role, Role::Stats);
    EXPECT_EQ(c.stats.logFile, std::optional<std::string>("/var/log/conntrackd-stats.log"));
    EXPECT_FALSE(c.stats.syslog);
    EXPECT_TRUE(c.sync.channels.empty());
    EXPECT_EQ(c.general.hashSize, 8192u);
    EXPECT_EQ(c.general.hashLimit, 65535u);
    EXPECT_EQ(c.general.netlinkBufferSize, std::optional<uint32_t>(262142));
    EXPECT_EQ(c.general.netlinkBufferSizeMaxGrowth, std::optional<uint32_t>(655355));
    ASSERT_TRUE(c.general.filter.present);
    ASSERT_TRUE(c.general.filter.protocol);
    EXPECT_EQ(c.general.filter.protocol->policy, FilterPolicy::Accept);
    EXPECT_EQ(c.general.filter.protocol->protocols, (std::vector<uint8_t>{IPPROTO_TCP}));
    ASSERT_TRUE(c.general.filter.address);
    EXPECT_EQ(c.general.filter.address->policy, FilterPolicy::Ignore);
    EXPECT_EQ(c.general.filter.address->prefixes, (std::vector<Prefix>{{v4("127.0.0.1"), 32}}));
}

TEST(SyncConfigExamples, DebianDefault) {
    std::vector<Notice> notices;
    SyncConfig c = load("debian/conntrackd.conf", &notices);
    EXPECT_EQ(c.role, Role::Stats);
    EXPECT_EQ(c.general.syslog, SyslogFacility::Daemon);
    EXPECT_EQ(c.general.netlinkBufferSize, std::optional<uint32_t>(262142));
    EXPECT_EQ(c.general.netlinkBufferSizeMaxGrowth, std::optional<uint32_t>(655355));
    EXPECT_EQ(c.general.unixPath, "/var/run/conntrackd.sock");
    EXPECT_EQ(c.stats.logFile, std::optional<std::string>(defaultStatsLogFile));
    EXPECT_TRUE(hasNotice(notices, "Backlog"));
    EXPECT_TRUE(hasNotice(notices, "SocketBufferSize"));
    EXPECT_TRUE(hasNotice(notices, "SocketBufferSizeMaxGrown"));
    EXPECT_TRUE(hasNotice(notices, "Systemd"));
}

TEST(SyncConfigManPage, StatsExample) {
    // conntrackd 1.4.7 itself rejects this one ("symbol 'NetlinkEventsReliable': syntax
    // error"); ctd accepts it with a notice.
    std::vector<Notice> notices;
    SyncConfig c = load("manpage/stats-example.conf", &notices);
    EXPECT_EQ(c.role, Role::Stats);
    EXPECT_EQ(c.stats.logFile, std::optional<std::string>(defaultStatsLogFile));
    EXPECT_EQ(c.stats.syslog, SyslogFacility::Daemon);
    EXPECT_FALSE(c.stats.netlinkEventsReliable);
    EXPECT_TRUE(hasNotice(notices, "NetlinkEventsReliable"));
    EXPECT_TRUE(c.general.systemd);
    EXPECT_EQ(c.general.filter.from, FilterFrom::Userspace);
}

TEST(SyncConfigManPage, SyncExample1FtfwMulticast) {
    SyncConfig c = load("manpage/sync-example-1.conf");
    EXPECT_EQ(c.role, Role::Sync);
    EXPECT_EQ(c.sync.mode, SyncMode::Ftfw);
    ASSERT_EQ(c.sync.channels.size(), 2u);
    EXPECT_FALSE(c.sync.channels[0].isDefault);
    EXPECT_TRUE(c.sync.channels[1].isDefault);
    EXPECT_EQ(c.sync.defaultChannel, 1u);
    EXPECT_EQ(c.sync.channels[0].address, v4("225.0.0.50"));
    EXPECT_EQ(c.sync.channels[1].address, v4("225.0.0.51"));
    EXPECT_EQ(c.sync.channels[1].port, 3781);
    EXPECT_EQ(c.sync.channels[1].interfaceName, "eth3");
    EXPECT_EQ(c.sync.expectationSync, ExpectationSync::All);
    EXPECT_EQ(c.general.eventIterationLimit, 100u);
    ASSERT_TRUE(c.general.filter.address);
    EXPECT_EQ(c.general.filter.address->prefixes[1], (Prefix{v4("192.168.100.0"), 24}));
}

TEST(SyncConfigManPage, SyncExample2NotrackTcp) {
    SyncConfig c = load("manpage/sync-example-2.conf");
    EXPECT_EQ(c.sync.mode, SyncMode::Notrack);
    EXPECT_TRUE(c.sync.disableInternalCache);
    EXPECT_TRUE(c.sync.disableExternalCache);
    ASSERT_EQ(c.sync.channels.size(), 1u);
    const Channel& ch = c.sync.channels[0];
    EXPECT_EQ(ch.kind, ChannelKind::Tcp);
    EXPECT_EQ(ch.address, v4("192.168.2.100"));
    EXPECT_EQ(ch.destination, v4("192.168.2.101"));
    EXPECT_EQ(ch.port, 3780);
    EXPECT_EQ(ch.errorQueueLength, 128u);
    ASSERT_TRUE(c.general.filter.state);
    EXPECT_EQ(c.general.filter.state->tcpStates,
              (std::vector<TcpState>{TcpState::Established, TcpState::Close, TcpState::TimeWait,
                                     TcpState::CloseWait}));
}

TEST(SyncConfigFull, FtfwMulticastEveryKey) {
    std::vector<Notice> notices;
    SyncConfig c = load("full/ftfw-multicast.conf", &notices);
    const auto& g = c.general;
    EXPECT_FALSE(g.systemd);
    EXPECT_EQ(g.nice, std::optional<int>(-5));
    EXPECT_EQ(g.hashSize, 16384u);
    EXPECT_EQ(g.hashLimit, 65536u);
    EXPECT_EQ(g.logFile, std::optional<std::string>("/var/log/ctd-test.log"));
    EXPECT_EQ(g.syslog, SyslogFacility::Local4);
    EXPECT_EQ(g.lockFile, "/run/ctd-test.lock");
    EXPECT_EQ(g.unixPath, "/run/ctd-test.ctl");
    EXPECT_EQ(g.netlinkBufferSize, std::optional<uint32_t>(1048576));
    EXPECT_EQ(g.netlinkBufferSizeMaxGrowth, std::optional<uint32_t>(4194304));
    EXPECT_EQ(g.netlinkOverrunResync, std::optional<uint32_t>(45));
    EXPECT_TRUE(g.netlinkEventsReliable);
    EXPECT_EQ(g.pollSecs, std::optional<uint32_t>(15));
    EXPECT_EQ(g.eventIterationLimit, 200u);
    EXPECT_EQ(g.scheduler.type, SchedulerType::Fifo);
    EXPECT_EQ(g.scheduler.priority, std::optional<int>(50));
    EXPECT_EQ(g.filter.from, FilterFrom::Kernelspace);
    EXPECT_EQ(g.filter.protocol->policy, FilterPolicy::Ignore);
    EXPECT_EQ(g.filter.protocol->protocols, (std::vector<uint8_t>{17, 1, 58}));
    EXPECT_EQ(g.filter.address->prefixes, (std::vector<Prefix>{{v4("127.0.0.1"), 32},
                                                               {v4("192.168.0.0"), 24},
                                                               {v6("::1"), 128},
                                                               {v6("fd00:1::"), 64}}));
    EXPECT_EQ(g.filter.state->policy, FilterPolicy::Ignore);
    EXPECT_EQ(g.filter.state->tcpStates,
              (std::vector<TcpState>{TcpState::SynSent, TcpState::SynRecv, TcpState::Listen,
                                     TcpState::Close}));

    const auto& s = c.sync;
    EXPECT_EQ(s.mode, SyncMode::Ftfw);
    EXPECT_EQ(s.resendQueueSize, 65536u);
    // CommitTimeout 120 is dropped: conntrackd ignores it with DisableExternalCache on
    EXPECT_FALSE(s.commitTimeout);
    EXPECT_TRUE(hasNotice(notices, "CommitTimeout"));
    EXPECT_EQ(s.purgeTimeout, 30u);
    EXPECT_EQ(s.ackWindowSize, 200u);
    EXPECT_TRUE(s.disableExternalCache);
    EXPECT_TRUE(s.startupResync);
    ASSERT_EQ(s.channels.size(), 4u);
    EXPECT_EQ(s.defaultChannel, 1u);
    EXPECT_FALSE(s.channels[0].checksum);
    EXPECT_EQ(s.channels[0].rcvBuffer, std::optional<uint32_t>(2498560));
    EXPECT_TRUE(s.channels[1].isDefault);
    EXPECT_FALSE(s.channels[1].sndBuffer);
    EXPECT_EQ(s.channels[2].address, v6("ff15::50"));
    EXPECT_EQ(s.channels[2].family(), AF_INET6);
    EXPECT_FALSE(s.channels[2].interfaceAddress); // IPv6_interface is ignored
    EXPECT_EQ(s.channels[3].interfaceName, "eth5.100");
    EXPECT_EQ(s.channels[3].port, 3783);
    EXPECT_TRUE(s.tcpWindowTracking);
    EXPECT_EQ(s.expectationSync, ExpectationSync::Listed);
    EXPECT_EQ(s.expectationHelpers,
              (std::vector<std::string>{"ftp", "sip", "q.931", "h.245", "ras"}));
    for (const char* key :
         {"Systemd", "Nice", "LockFile", "UNIX", "Backlog", "Scheduler", "IPv6_interface"})
        EXPECT_TRUE(hasNotice(notices, key)) << key;
}

TEST(SyncConfigFull, NotrackTcpIpv6) {
    SyncConfig c = load("full/notrack-tcp.conf");
    const auto& s = c.sync;
    EXPECT_EQ(s.mode, SyncMode::Notrack);
    EXPECT_TRUE(s.disableInternalCache);
    EXPECT_FALSE(s.disableExternalCache);
    EXPECT_FALSE(s.commitTimeout); // "CommitTimeout 0" = not set
    EXPECT_EQ(s.purgeTimeout, 90u);
    ASSERT_EQ(s.channels.size(), 2u);
    EXPECT_EQ(s.defaultChannel, 0u);
    EXPECT_EQ(s.channels[0].kind, ChannelKind::Tcp);
    EXPECT_EQ(s.channels[0].address, v6("fe80::215:58ff:fe28:5a27"));
    EXPECT_EQ(s.channels[0].destination, v6("fe80::2d0:59ff:fe2a:775c"));
    EXPECT_EQ(s.channels[0].errorQueueLength, 256u);
    EXPECT_EQ(s.channels[1].family(), AF_INET);
    EXPECT_EQ(s.expectationSync, ExpectationSync::All);
    EXPECT_EQ(c.general.syslog, SyslogFacility::Daemon);
    EXPECT_FALSE(c.general.logFile);
    EXPECT_FALSE(c.general.netlinkOverrunResync);
    EXPECT_FALSE(c.general.filter.address);
}

TEST(SyncConfigFull, AlarmUdpOldModeName) {
    std::vector<Notice> notices;
    SyncConfig c = load("full/alarm-udp.conf", &notices);
    EXPECT_EQ(c.sync.mode, SyncMode::Alarm);
    EXPECT_EQ(c.sync.refreshTime, 10u);
    EXPECT_EQ(c.sync.cacheTimeout, 120u);
    EXPECT_EQ(c.sync.commitTimeout, std::optional<uint32_t>(30));
    EXPECT_EQ(c.sync.purgeTimeout, 15u);
    ASSERT_EQ(c.sync.channels.size(), 1u);
    EXPECT_EQ(c.sync.channels[0].kind, ChannelKind::Udp);
    EXPECT_EQ(c.sync.channels[0].destination, v4("172.16.0.2"));
    EXPECT_EQ(c.sync.channels[0].port, 3781);
    EXPECT_EQ(c.general.netlinkBufferSize, std::optional<uint32_t>(262142));
    EXPECT_EQ(c.general.netlinkBufferSizeMaxGrowth, std::optional<uint32_t>(655355));
    EXPECT_EQ(c.general.logFile, std::optional<std::string>(defaultLogFile));
    EXPECT_TRUE(hasNotice(notices, "Mode"));
}

TEST(SyncConfigLoad, MissingFileAndDirectory) {
    std::vector<Notice> notices;
    auto missing = loadSyncConfig(dataPath("no-such-file.conf"), notices);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ENOENT);
    auto dir = loadSyncConfig(dataPath("examples"), notices);
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().code, EISDIR);
    EXPECT_TRUE(notices.empty());
}

TEST(SyncConfigBroken, FixturesNameFileAndLine) {
    struct Case {
        const char* file;
        const char* message; // after "PATH:"
    };
    const Case cases[] = {
        {"broken/two-defaults.conf", "8: two Default dedicated links (the other one is at line 4)"},
        {"broken/mixed-channels.conf",
         "7: cannot use 'UDP' with other dedicated link protocols ('Multicast' at line 3)"},
        {"broken/removed-key.conf", "4: unknown key 'ResendBufferSize' in Sync/Mode FTFW"},
        {"broken/sync-and-stats.conf",
         "5: cannot use both 'Stats' and 'Sync' sections ('Stats' at line 2)"},
        {"broken/truncated.conf",
         "21: unexpected end of file: Sync/Mode FTFW block opened at line 5 is not closed"},
    };
    for (const auto& c : cases) {
        std::vector<Notice> notices;
        std::string path = dataPath(c.file);
        auto result = loadSyncConfig(path, notices);
        ASSERT_FALSE(result) << c.file;
        EXPECT_EQ(result.error().message, path + ":" + c.message);
        EXPECT_TRUE(notices.empty());
    }
}
