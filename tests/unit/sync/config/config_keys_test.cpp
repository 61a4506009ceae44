// Behaviour of single keys and of the lexer, each checked against conntrackd 1.4.7
// (conntrackd -C FILE -s in a private mount namespace) where the two agree, and the
// documented differences where ctd is stricter or more lenient.
#include "config_test_util.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

using namespace ctd::sync;
using namespace ctd::sync::test;

namespace {

SyncConfig parseOk(std::string_view text, std::vector<Notice>* notices = nullptr) {
    auto result = parseText(text, notices);
    EXPECT_TRUE(result.ok()) << (result ? "" : result.error().message);
    return result ? *result : SyncConfig{};
}

} // namespace

TEST(SyncConfigKeys, EmptyFileHasConntrackdDefaults) {
    SyncConfig c = parseOk("");
    EXPECT_EQ(c.role, Role::None);
    EXPECT_EQ(c.fileName, "test.conf");
    EXPECT_EQ(c.general, GeneralSettings{});
    EXPECT_EQ(c.general.hashSize, 65536u);
    EXPECT_EQ(c.general.hashLimit, 262144u);
    EXPECT_EQ(c.general.lockFile, "/var/lock/conntrackd.lock");
    EXPECT_EQ(c.general.netlinkOverrunResync, std::optional<uint32_t>(30));
    EXPECT_EQ(c.general.eventIterationLimit, 100u);
    EXPECT_TRUE(c.general.systemd);
    EXPECT_EQ(c.sync, SyncSettings{});
    EXPECT_EQ(c.sync.resendQueueSize, 131072u);
    EXPECT_EQ(c.sync.ackWindowSize, 300u);
    EXPECT_EQ(c.sync.refreshTime, 60u);
    EXPECT_EQ(c.sync.cacheTimeout, 180u);
    EXPECT_EQ(c.sync.purgeTimeout, 60u);
    EXPECT_EQ(parseOk("# only a comment\n\n   \t\r\n").role, Role::None);
}

TEST(SyncConfigKeys, ModeDefaultsToFtfwWithNotice) {
    std::vector<Notice> notices;
    SyncConfig c =
        parseOk("Sync {\n Multicast { IPv4_address 225.0.0.50 Group 3780 }\n}\n", &notices);
    EXPECT_EQ(c.sync.mode, SyncMode::Ftfw);
    EXPECT_FALSE(c.sync.modeGiven);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(formatNotice(notices[0]),
              "test.conf:1: Mode: no Mode given: FTFW, as conntrackd defaults to");
}

TEST(SyncConfigKeys, ModeNamesAreCaseInsensitiveKeywordsAreNot) {
    for (const char* name : {"notrack", "NoTrack", "NOTRACK"}) {
        std::string text = "Sync { Mode " + std::string(name) +
                           " { } Multicast { IPv4_address 225.0.0.50 Group 3780 } }";
        EXPECT_EQ(parseOk(text).sync.mode, SyncMode::Notrack) << name;
    }
    EXPECT_EQ(
        parseOk("Sync { Mode fTfW { } Multicast { IPv4_address 225.0.0.50 Group 1 } }").sync.mode,
        SyncMode::Ftfw);
    std::vector<Notice> notices;
    SyncConfig nack = parseOk(
        "Sync { Mode NACK { } Multicast { IPv4_address 225.0.0.50 Group 3780 } }", &notices);
    EXPECT_EQ(nack.sync.mode, SyncMode::Ftfw);
    EXPECT_EQ(notices.at(0).message, "'NACK' is the old name of FTFW");
    EXPECT_EQ(errorOf("SYNC { }"),
              "test.conf:1: unknown section 'SYNC' (expected General, Sync, Stats or Helper)");
    EXPECT_EQ(errorOf("General { hashsize 5 }"),
              "test.conf:1: unknown key 'hashsize' in General (keys are case-sensitive: did "
              "you mean 'HashSize'?)");
}

TEST(SyncConfigKeys, CommentsAnywhereAndCrlf) {
    SyncConfig c = parseOk("General{HashSize 3#no space needed\r\nHashLimit 4 # trailing\r\n"
                           "# Foo 5\r\n}#end");
    EXPECT_EQ(c.general.hashSize, 3u);
    EXPECT_EQ(c.general.hashLimit, 4u);
    EXPECT_EQ(errorOf("General {\r\n\r\n Foo 1\r\n}\r\n"),
              "test.conf:3: unknown key 'Foo' in General");
}

TEST(SyncConfigKeys, PathsFollowConntrackdsLexer) {
    // {path} is \/[^"\n ]*: '#' and '}' belong to the path
    EXPECT_EQ(parseOk("General { LogFile /tmp/x#y\n}").general.logFile,
              std::optional<std::string>("/tmp/x#y"));
    EXPECT_EQ(errorOf("General { UNIX { Path /run/x}}\n"),
              "test.conf:2: unexpected end of file: General/UNIX block opened at line 1 is not "
              "closed");
    // ctd ends a path at a tab or '\r' too (conntrackd keeps them in the file name)
    EXPECT_EQ(parseOk("General { LogFile /tmp/x\t# note\r\n}").general.logFile,
              std::optional<std::string>("/tmp/x"));
}

TEST(SyncConfigKeys, RepeatedSectionsMergeLastKeyWins) {
    SyncConfig c = parseOk("General { HashSize 1 }\nGeneral { HashSize 2 HashLimit 9 }\n"
                           "Sync { Mode ALARM { RefreshTime 5 } }\n"
                           "Sync { Multicast { IPv4_address 225.0.0.50 Group 3780 } }\n"
                           "Sync { Mode ALARM { RefreshTime 7 } }\n");
    EXPECT_EQ(c.general.hashSize, 2u);
    EXPECT_EQ(c.general.hashLimit, 9u);
    EXPECT_EQ(c.sync.mode, SyncMode::Alarm);
    EXPECT_EQ(c.sync.refreshTime, 7u);
    EXPECT_EQ(c.sync.channels.size(), 1u);
}

TEST(SyncConfigKeys, ZeroMeansDefaultAsInConntrackd) {
    std::vector<Notice> notices;
    SyncConfig c = parseOk("General { HashSize 0 NetlinkOverrunResync 0 NetlinkBufferSize 0 }"
                           "Sync { Mode FTFW { ResendQueueSize 0 PurgeTimeout 0 "
                           "CommitTimeout 0 } TCP { IPv4_Destination_Address 10.0.0.2 "
                           "Port 1 ErrorQueueLength 0 SndSocketBuffer 0 } }",
                           &notices);
    EXPECT_EQ(c.general.hashSize, 65536u);
    EXPECT_EQ(c.general.netlinkOverrunResync, std::optional<uint32_t>(30));
    EXPECT_FALSE(c.general.netlinkBufferSize);
    EXPECT_EQ(c.sync.resendQueueSize, 131072u);
    EXPECT_EQ(c.sync.purgeTimeout, 60u);
    EXPECT_FALSE(c.sync.commitTimeout);
    EXPECT_EQ(c.sync.channels[0].errorQueueLength, 128u);
    EXPECT_FALSE(c.sync.channels[0].sndBuffer);
    EXPECT_EQ(notices.at(0).message, "0 means the default (65536), as in conntrackd");
}

TEST(SyncConfigKeys, OverrunResyncForms) {
    EXPECT_EQ(parseOk("General { NetlinkOverrunResync On }").general.netlinkOverrunResync,
              std::optional<uint32_t>(30));
    EXPECT_FALSE(parseOk("General { NetlinkOverrunResync off }").general.netlinkOverrunResync);
    EXPECT_EQ(parseOk("General { NetlinkOverrunResync 5 }").general.netlinkOverrunResync,
              std::optional<uint32_t>(5));
}

TEST(SyncConfigKeys, LogFileAndSyslog) {
    EXPECT_EQ(parseOk("General { LogFile yes }").general.logFile,
              std::optional<std::string>(defaultLogFile));
    EXPECT_FALSE(parseOk("General { LogFile on LogFile off }").general.logFile);
    EXPECT_EQ(parseOk("General { Syslog on }").general.syslog, SyslogFacility::Daemon);
    EXPECT_FALSE(parseOk("General { Syslog no }").general.syslog);
    std::vector<Notice> notices;
    SyncConfig c = parseOk("General { Syslog local0 } Stats { Syslog local1 }", &notices);
    EXPECT_EQ(c.stats.syslog, SyslogFacility::Local1);
    EXPECT_TRUE(hasNotice(notices, "Syslog"));
}

TEST(SyncConfigKeys, NiceAcceptsUnsignedToo) {
    // conntrackd 1.4.7 wants a sign ("Nice 1" is a syntax error there); ctd takes both
    EXPECT_EQ(parseOk("General { Nice 1 }").general.nice, std::optional<int>(1));
    EXPECT_EQ(parseOk("General { Nice -1 }").general.nice, std::optional<int>(-1));
}

TEST(SyncConfigKeys, InterfaceNamesConntrackdCannotLex) {
    // "abc" is an IPv6 address to conntrackd's lexer, so "Interface abc" fails there
    SyncConfig c = parseOk("Sync { Multicast { IPv4_address 225.0.0.50 Group 1 Interface abc "
                           "} }");
    EXPECT_EQ(c.sync.channels[0].interfaceName, "abc");
}

TEST(SyncConfigKeys, DefaultChannelIndexAndOrder) {
    SyncConfig c = parseOk("Sync {\n"
                           " UDP { IPv4_Destination_Address 10.0.0.2 Port 1 }\n"
                           " UDP { IPv4_Destination_Address 10.0.1.2 Port 2 }\n"
                           " UDP Default { IPv4_Destination_Address 10.0.2.2 Port 3 }\n"
                           "}\n");
    ASSERT_EQ(c.sync.channels.size(), 3u);
    EXPECT_EQ(c.sync.defaultChannel, 2u);
    EXPECT_EQ(c.sync.channels[0].port, 1);
    EXPECT_EQ(c.sync.channels[1].line, 3u);
    EXPECT_EQ(c.sync.channels[2].destination, v4("10.0.2.2"));
    EXPECT_FALSE(c.sync.channels[0].address); // bind to any
}

TEST(SyncConfigKeys, FilterDetails) {
    std::vector<Notice> notices;
    SyncConfig c = parseOk("General { Filter {\n"
                           " Protocol Accept { TCP tcp UDP }\n"
                           " Protocol Accept { SCTP }\n"
                           " Address Ignore { IPv4_address 10.1.2.3/8 IPv4_address 10.0.0.0/8 }\n"
                           " State Accept { }\n"
                           "} }",
                           &notices);
    const auto& f = c.general.filter;
    EXPECT_TRUE(f.present);
    EXPECT_EQ(f.from, FilterFrom::Userspace);
    EXPECT_EQ(f.protocol->protocols, (std::vector<uint8_t>{6, 17, 132}));
    EXPECT_EQ(f.address->prefixes, (std::vector<Prefix>{{v4("10.0.0.0"), 8}}));
    ASSERT_TRUE(f.state);
    EXPECT_TRUE(f.state->tcpStates.empty());
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(notices[0].message, "10.1.2.3/8 has host bits set; read as 10.0.0.0/8");
    EXPECT_EQ(notices[0].line, 4u);
}

TEST(SyncConfigKeys, ExpectationSyncForms) {
    auto with = [](const char* options) {
        return parseOk(withChannel(std::string("Options { ") + options + " }")).sync;
    };
    EXPECT_EQ(with("ExpectationSync on").expectationSync, ExpectationSync::All);
    EXPECT_EQ(with("ExpectationSync Off").expectationSync, ExpectationSync::Off);
    auto listed = with("ExpectationSync { ftp sip ftp }");
    EXPECT_EQ(listed.expectationSync, ExpectationSync::Listed);
    EXPECT_EQ(listed.expectationHelpers, (std::vector<std::string>{"ftp", "sip"}));
    auto reset = with("ExpectationSync { ftp } ExpectationSync off");
    EXPECT_EQ(reset.expectationSync, ExpectationSync::Off);
    EXPECT_TRUE(reset.expectationHelpers.empty());
}

TEST(SyncConfigKeys, HelperSectionIsKeptAndNoticed) {
    std::vector<Notice> notices;
    SyncConfig c = parseOk("Helper {\n Type ftp inet tcp {\n QueueNum 0\n QueueLen 10240\n"
                           " Policy ftp { ExpectMax 1 ExpectTimeout 300 }\n }\n"
                           " Type dhcpv6 inet6 udp { QueueNum 4 Policy dhcpv6 { ExpectMax 1 } "
                           "}\n}\n",
                           &notices);
    EXPECT_EQ(c.role, Role::None);
    ASSERT_EQ(c.helpers.size(), 2u);
    EXPECT_EQ(c.helpers[0].name, "ftp");
    EXPECT_EQ(c.helpers[0].family, AF_INET);
    EXPECT_EQ(c.helpers[0].protocol, IPPROTO_TCP);
    EXPECT_EQ(c.helpers[0].queueLen, std::optional<uint32_t>(10240));
    EXPECT_EQ(c.helpers[0].policies, (std::vector<HelperPolicy>{{"ftp", 1, 300}}));
    EXPECT_EQ(c.helpers[1].family, AF_INET6);
    EXPECT_EQ(c.helpers[1].line, 7u);
    EXPECT_TRUE(hasNotice(notices, "Helper"));
}

TEST(SyncConfigKeys, CommitTimeoutDroppedWithoutExternalCache) {
    std::vector<Notice> notices;
    SyncConfig c = parseOk("Sync { Mode NOTRACK { CommitTimeout 5 DisableExternalCache on } "
                           "Multicast { IPv4_address 225.0.0.50 Group 3780 } }",
                           &notices);
    EXPECT_FALSE(c.sync.commitTimeout);
    EXPECT_EQ(notices.at(0).key, "CommitTimeout");
}

TEST(SyncConfigKeys, NoticeFormatAndIgnoredKeys) {
    std::vector<Notice> notices;
    parseOk("General {\n LockFile /x\n Systemd on\n Nice -1\n UNIX { Path /y }\n"
            " Scheduler { Type RR Priority 1 }\n}\n",
            &notices);
    ASSERT_EQ(notices.size(), 5u);
    EXPECT_EQ(formatNotice(notices[0]), "test.conf:2: LockFile: accepted, ignored: ctd is "
                                        "single-instance through its D-Bus name, no lock file");
    EXPECT_EQ(notices[1].key, "Systemd");
    EXPECT_EQ(notices[2].message,
              "accepted, ignored (deprecated, conntrackd ignores it too): use the unit's Nice=");
    EXPECT_EQ(notices[3].key, "UNIX");
    EXPECT_EQ(notices[4].message, "accepted, ignored: use the unit's CPUSchedulingPolicy= and "
                                  "CPUSchedulingPriority=");
}

TEST(SyncConfigKeys, NoticesAppendToCallersList) {
    std::vector<Notice> notices{Notice{"a.conf", 3, "X", "y"}};
    auto result = parseSyncConfig("General { LockFile /x }", "b.conf", notices);
    ASSERT_TRUE(result);
    ASSERT_EQ(notices.size(), 2u);
    EXPECT_EQ(notices[1].file, "b.conf");
}
