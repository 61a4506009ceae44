// One test per error class: the exact message ("FILE:LINE: what, where"), so a change of
// wording is a reviewed diff. Messages name the key and its block as the file spells them.
#include "config_test_util.hpp"

#include <cerrno>

using namespace ctd::sync;
using namespace ctd::sync::test;

namespace {

// Nothing half-applied: an error gives no config and leaves the caller's notices alone.
void expectError(const std::string& text, const std::string& message) {
    std::vector<Notice> notices{Notice{"earlier.conf", 1, "Key", "kept"}};
    auto result = parseSyncConfig(text, "test.conf", notices);
    ASSERT_FALSE(result.ok()) << "parsed: " << text;
    EXPECT_EQ(result.error().message, message);
    EXPECT_TRUE(result.error().code == EINVAL || result.error().code == ERANGE);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(notices[0].file, "earlier.conf");
}

} // namespace

TEST(SyncConfigErrors, UnknownKey) {
    expectError("Sync {\n UDP {\n Foo 1\n }\n}\n", "test.conf:3: unknown key 'Foo' in Sync/UDP");
}

TEST(SyncConfigErrors, UnknownKeyCaseHint) {
    expectError("General {\n Lockfile /var/lock/x\n}\n",
                "test.conf:2: unknown key 'Lockfile' in General (keys are case-sensitive: did you "
                "mean 'LockFile'?)");
}

TEST(SyncConfigErrors, UnknownSection) {
    expectError("general {\n}\n",
                "test.conf:1: unknown section 'general' (expected General, Sync, Stats or Helper)");
}

TEST(SyncConfigErrors, KeyOfAnotherMode) {
    expectError("Sync {\n Mode FTFW {\n RefreshTime 5\n }\n}\n",
                "test.conf:3: unknown key 'RefreshTime' in Sync/Mode FTFW");
}

TEST(SyncConfigErrors, UnknownKeyInFilterAddress) {
    expectError("General { Filter { Address Accept { IPv4_addr 1.2.3.4 } } }\n",
                "test.conf:1: unknown key 'IPv4_addr' in General/Filter/Address");
}

TEST(SyncConfigErrors, SyncAndStats) {
    expectError("Sync {\n Mode FTFW { }\n Multicast { IPv4_address 225.0.0.50 Group 3780 "
                "}\n\n}\nStats {\n LogFile on\n}\n",
                "test.conf:6: cannot use both 'Stats' and 'Sync' sections ('Sync' at line 1)");
}

TEST(SyncConfigErrors, StatsThenSync) {
    expectError("Stats { }\nSync {\n Mode FTFW { }\n Multicast { IPv4_address 225.0.0.50 Group "
                "3780 }\n\n}\n",
                "test.conf:2: cannot use both 'Stats' and 'Sync' sections ('Stats' at line 1)");
}

TEST(SyncConfigErrors, MulticastWithoutAddress) {
    expectError("Sync {\n Multicast {\n Group 3780\n }\n}\n",
                "test.conf:2: Sync/Multicast block has no IPv4_address or IPv6_address (the "
                "multicast group to send to)");
}

TEST(SyncConfigErrors, MulticastWithoutGroup) {
    expectError("Sync {\n Multicast {\n IPv4_address 225.0.0.50\n }\n}\n",
                "test.conf:2: Sync/Multicast block has no Group (the UDP port of the group)");
}

TEST(SyncConfigErrors, UdpWithoutDestination) {
    expectError("Sync {\n UDP {\n IPv4_address 10.0.0.1\n Port 3780\n }\n}\n",
                "test.conf:2: Sync/UDP block has no IPv4_Destination_Address or "
                "IPv6_Destination_Address (the peer)");
}

TEST(SyncConfigErrors, UdpWithoutPort) {
    expectError("Sync {\n UDP {\n IPv4_Destination_Address 10.0.0.2\n }\n}\n",
                "test.conf:2: Sync/UDP block has no Port");
}

TEST(SyncConfigErrors, PortZero) {
    expectError("Sync {\n UDP {\n Port 0\n }\n}\n",
                "test.conf:3: 'Port' in Sync/UDP: '0' is out of range (1..65535)");
}

TEST(SyncConfigErrors, PortTooBig) {
    expectError("Sync {\n TCP {\n Port 70000\n }\n}\n",
                "test.conf:3: 'Port' in Sync/TCP: '70000' is out of range (1..65535)");
}

TEST(SyncConfigErrors, PortNotANumber) {
    expectError("Sync {\n UDP {\n Port http\n }\n}\n",
                "test.conf:3: 'Port' in Sync/UDP: 'http' is not a number");
}

TEST(SyncConfigErrors, GroupTooBig) {
    expectError("Sync {\n Multicast {\n Group 65536\n }\n}\n",
                "test.conf:3: 'Group' in Sync/Multicast: '65536' is out of range (1..65535)");
}

TEST(SyncConfigErrors, TooManyChannels) {
    expectError("Sync {\n Multicast { IPv4_address 225.0.0.50 Group 3780 }\n Multicast { "
                "IPv4_address 225.0.0.51 Group 3781 }\n Multicast { IPv4_address 225.0.0.52 Group "
                "3782 }\n Multicast { IPv4_address 225.0.0.53 Group 3783 }\n Multicast { "
                "IPv4_address 225.0.0.54 Group 3784 }\n}\n",
                "test.conf:6: too many dedicated links (maximum: 4)");
}

TEST(SyncConfigErrors, TwoDefaults) {
    expectError("Sync {\n Multicast Default { IPv4_address 225.0.0.50 Group 3780 }\n Multicast "
                "Default { IPv4_address 225.0.0.51 Group 3781 }\n}\n",
                "test.conf:3: two Default dedicated links (the other one is at line 2)");
}

TEST(SyncConfigErrors, MixedChannelKinds) {
    expectError("Sync {\n Multicast { IPv4_address 225.0.0.50 Group 3780 }\n UDP { "
                "IPv4_Destination_Address 10.0.0.2 Port 3780 }\n}\n",
                "test.conf:3: cannot use 'UDP' with other dedicated link protocols ('Multicast' at "
                "line 2)");
}

TEST(SyncConfigErrors, NoChannel) {
    expectError("Sync {\n Mode FTFW { }\n}\n",
                "test.conf:1: Sync section has no dedicated link (a Multicast, UDP or TCP block)");
}

TEST(SyncConfigErrors, NotMulticastGroup) {
    expectError("Sync {\n Multicast { IPv4_address 192.168.0.1 Group 3780 }\n}\n",
                "test.conf:2: Sync/Multicast block: 192.168.0.1 is not a multicast address");
}

TEST(SyncConfigErrors, Ipv6GroupWithoutInterface) {
    expectError("Sync {\n Multicast { IPv6_address ff15::1 Group 3780 }\n}\n",
                "test.conf:2: Sync/Multicast block: an IPv6 group needs Interface (it selects the "
                "link to join on)");
}

TEST(SyncConfigErrors, MixedFamilies) {
    expectError("Sync {\n UDP {\n IPv4_address 10.0.0.1\n IPv6_Destination_Address fd00::2\n Port "
                "3780\n }\n}\n",
                "test.conf:2: Sync/UDP block mixes IPv4 and IPv6 addresses");
}

TEST(SyncConfigErrors, LinkLocalWithoutInterface) {
    expectError(
        "Sync {\n TCP {\n IPv6_Destination_Address fe80::2\n Port 3780\n }\n}\n",
        "test.conf:2: Sync/TCP block: link-local IPv6 addresses need Interface (their scope)");
}

TEST(SyncConfigErrors, MulticastDestinationInUdp) {
    expectError(
        "Sync {\n UDP {\n IPv4_Destination_Address 225.0.0.1\n Port 3780\n }\n}\n",
        "test.conf:2: Sync/UDP block: 225.0.0.1 is a multicast address; use a Multicast block");
}

TEST(SyncConfigErrors, InterfaceTooLong) {
    expectError("Sync {\n Multicast { Interface abcdefghijklmnop }\n}\n",
                "test.conf:2: 'Interface' in Sync/Multicast: 'abcdefghijklmnop' is longer than 15 "
                "characters");
}

TEST(SyncConfigErrors, UnclosedBlock) {
    expectError(
        "General {\n HashSize 3\n",
        "test.conf:3: unexpected end of file: General block opened at line 1 is not closed");
}

TEST(SyncConfigErrors, UnclosedNested) {
    expectError("Sync {\n UDP {\n Port 3780\n}\n",
                "test.conf:5: unexpected end of file: Sync block opened at line 1 is not closed");
}

TEST(SyncConfigErrors, MissingValue) {
    expectError("General {\n HashSize\n}\n",
                "test.conf:3: 'HashSize' in General needs a value, got '}'");
}

TEST(SyncConfigErrors, MissingBrace) {
    expectError("General\n HashSize 3\n}\n",
                "test.conf:2: expected '{' after 'General', got 'HashSize'");
}

TEST(SyncConfigErrors, NotANumber) {
    expectError("General {\n HashSize big\n}\n",
                "test.conf:2: 'HashSize' in General: 'big' is not a number");
}

TEST(SyncConfigErrors, HugeNumber) {
    expectError("General {\n HashLimit 99999999999999999999999999\n}\n",
                "test.conf:2: 'HashLimit' in General: '99999999999999999999999999' is out of range "
                "(0..2147483647)");
}

TEST(SyncConfigErrors, AboveIntMax) {
    expectError(
        "General {\n HashLimit 2147483648\n}\n",
        "test.conf:2: 'HashLimit' in General: '2147483648' is out of range (0..2147483647)");
}

TEST(SyncConfigErrors, NegativeNumber) {
    expectError("General {\n HashSize -1\n}\n",
                "test.conf:2: 'HashSize' in General: '-1' is not a number");
}

TEST(SyncConfigErrors, BadSwitch) {
    expectError("Sync {\n Multicast {\n Checksum 1\n }\n}\n",
                "test.conf:3: 'Checksum' in Sync/Multicast: expected on, off, yes or no, got '1'");
}

TEST(SyncConfigErrors, BadIpv4) {
    expectError(
        "Sync {\n Multicast {\n IPv4_address 300.1.1.1\n }\n}\n",
        "test.conf:3: 'IPv4_address' in Sync/Multicast: '300.1.1.1' is not an IPv4 address");
}

TEST(SyncConfigErrors, OctalLookingIpv4) {
    expectError("Sync {\n Multicast {\n IPv4_address 225.0.0.050\n }\n}\n",
                "test.conf:3: 'IPv4_address' in Sync/Multicast: '225.0.0.050' is not an IPv4 "
                "address (leading zeros: conntrackd's inet_aton() would read them as octal)");
}

TEST(SyncConfigErrors, BadIpv6) {
    expectError("Sync {\n UDP {\n IPv6_address fe80::1::2\n }\n}\n",
                "test.conf:3: 'IPv6_address' in Sync/UDP: 'fe80::1::2' is not an IPv6 address");
}

TEST(SyncConfigErrors, Ipv6WithZone) {
    expectError("Sync {\n UDP {\n IPv6_address fe80::1%eth0\n }\n}\n",
                "test.conf:3: unexpected '%' in Sync/UDP");
}

TEST(SyncConfigErrors, PrefixTooLong) {
    expectError("General { Filter { Address Ignore {\n IPv4_address 10.0.0.0/33\n } } }\n",
                "test.conf:2: 'IPv4_address' in General/Filter/Address: '10.0.0.0/33' has a prefix "
                "length above 32");
}

TEST(SyncConfigErrors, BadFilterAddress) {
    expectError("General { Filter { Address Ignore {\n IPv4_address 10.0.0.256\n } } }\n",
                "test.conf:2: 'IPv4_address' in General/Filter/Address: '10.0.0.256' is not an "
                "IPv4 address");
}

TEST(SyncConfigErrors, UnknownProtocol) {
    expectError(
        "General { Filter { Protocol Accept {\n TCP\n foo\n } } }\n",
        "test.conf:3: unknown protocol 'foo' in General/Filter/Protocol (not in /etc/protocols)");
}

TEST(SyncConfigErrors, UnknownTcpState) {
    expectError("General { Filter { State Accept {\n ESTABLISHED SYN for TCP\n } } }\n",
                "test.conf:2: unknown TCP state 'SYN' in General/Filter/State");
}

TEST(SyncConfigErrors, StatesWithoutForTcp) {
    expectError("General { Filter { State Accept {\n ESTABLISHED\n } } }\n",
                "test.conf:2: states in General/Filter/State must end with 'for TCP'");
}

TEST(SyncConfigErrors, StatesForUdp) {
    expectError("General { Filter { State Accept {\n ESTABLISHED for UDP\n } } }\n",
                "test.conf:2: expected 'TCP' after 'for' in General/Filter/State (only TCP has "
                "states), got 'UDP'");
}

TEST(SyncConfigErrors, ConflictingFilterPolicy) {
    expectError("General { Filter {\n Protocol Accept { TCP }\n Protocol Ignore { UDP }\n} }\n",
                "test.conf:3: conflicting policies for 'Protocol' in General/Filter (the other one "
                "is at line 2)");
}

TEST(SyncConfigErrors, BadFilterPolicy) {
    expectError("General { Filter {\n Protocol Drop { TCP }\n} }\n",
                "test.conf:2: 'Protocol' in General/Filter: expected Accept or Ignore, got 'Drop'");
}

TEST(SyncConfigErrors, BadFilterFrom) {
    expectError("General {\n Filter From kernelspace { }\n}\n",
                "test.conf:2: 'Filter From' expects Userspace or Kernelspace, got 'kernelspace'");
}

TEST(SyncConfigErrors, ConflictingModes) {
    expectError("Sync {\n Mode FTFW { }\n Mode ALARM { }\n}\n",
                "test.conf:3: conflicting sync modes: Mode ALARM here, Mode FTFW at line 2");
}

TEST(SyncConfigErrors, UnknownMode) {
    expectError("Sync {\n Mode FAST { }\n}\n",
                "test.conf:2: unknown sync mode 'FAST' in Sync (FTFW, ALARM or NOTRACK)");
}

TEST(SyncConfigErrors, UnknownSyslogFacility) {
    expectError(
        "General {\n Syslog local8\n}\n",
        "test.conf:2: 'Syslog' in General: 'local8' is not on, off, daemon or local0..local7");
}

TEST(SyncConfigErrors, PollSecsZero) {
    expectError("General {\n PollSecs 0\n}\n",
                "test.conf:2: 'PollSecs' in General: '0' is out of range (1..2147483647)");
}

TEST(SyncConfigErrors, SchedulerPriority) {
    expectError("General {\n Scheduler {\n Priority 100\n }\n}\n",
                "test.conf:3: 'Priority' in General/Scheduler: '100' is out of range (0..99)");
}

TEST(SyncConfigErrors, SchedulerType) {
    expectError("General {\n Scheduler {\n Type batch\n }\n}\n",
                "test.conf:3: 'Type' in General/Scheduler: unknown scheduler 'batch' (RR or FIFO)");
}

TEST(SyncConfigErrors, NiceOutOfRange) {
    expectError("General {\n Nice -40\n}\n",
                "test.conf:2: 'Nice' in General: '-40' is out of range (-20..19)");
}

TEST(SyncConfigErrors, RelativeLogFile) {
    expectError("General {\n LogFile conntrackd.log\n}\n",
                "test.conf:2: 'LogFile' in General: expected on, off or an absolute path, got "
                "'conntrackd.log'");
}

TEST(SyncConfigErrors, LogFilePathTooLong) {
    expectError("General {\n LogFile /" + std::string(300, 'x') + "\n}\n",
                "test.conf:2: 'LogFile' in General: path is longer than 256 characters");
}

TEST(SyncConfigErrors, UnixPathTooLong) {
    expectError("General {\n UNIX { Path /" + std::string(120, 'x') + " }\n}\n",
                "test.conf:2: 'Path' in General/UNIX: path is longer than 108 characters");
}

TEST(SyncConfigErrors, BraceAtTopLevel) {
    expectError(
        "}\n",
        "test.conf:1: unexpected '}' at top level (expected General, Sync, Stats or Helper)");
}

TEST(SyncConfigErrors, StrayCharacter) {
    expectError("General {\n HashSize 3;\n}\n", "test.conf:2: unexpected ';' in General");
}

TEST(SyncConfigErrors, NulByte) {
    expectError(std::string("General {\n HashSize 3\x00"
                            "\n}\n",
                            25),
                "test.conf:2: unexpected '\\x00' in General");
}

TEST(SyncConfigErrors, HighByte) {
    expectError(
        "General {\n HashSize 3\n}\xc3"
        "\xa9"
        "\n",
        "test.conf:3: unexpected '\\xc3' at top level (expected General, Sync, Stats or Helper)");
}

TEST(SyncConfigErrors, PathWhereBlockExpected) {
    expectError("Sync {\n Multicast /x\n}\n",
                "test.conf:2: expected '{' after 'Multicast', got '/x'");
}

TEST(SyncConfigErrors, HelperUnknownFamily) {
    expectError("Helper {\n Type ftp inet4 tcp { QueueNum 0 }\n}\n",
                "test.conf:2: 'Type' in Helper: unknown layer 3 protocol 'inet4' (inet or inet6)");
}

TEST(SyncConfigErrors, HelperUnknownProtocol) {
    expectError("Helper {\n Type ftp inet sctp { QueueNum 0 }\n}\n",
                "test.conf:2: 'Type' in Helper: unknown layer 4 protocol 'sctp' (tcp or udp)");
}

TEST(SyncConfigErrors, HelperEmptyPolicy) {
    expectError(
        "Helper {\n Type ftp inet tcp {\n Policy ftp { }\n }\n}\n",
        "test.conf:3: Helper/Type ftp/Policy ftp is empty (needs ExpectMax or ExpectTimeout)");
}

TEST(SyncConfigErrors, ExpectationSyncBadItem) {
    expectError("Sync {\n Options {\n ExpectationSync { ftp 123 }\n }\n}\n",
                "test.conf:3: '123' is not a helper name in Sync/Options/ExpectationSync");
}

TEST(SyncConfigErrors, OldKeyRemovedIn146) {
    expectError("Sync {\n IgnoreProtocol { UDP }\n}\n",
                "test.conf:2: unknown key 'IgnoreProtocol' in Sync");
}
