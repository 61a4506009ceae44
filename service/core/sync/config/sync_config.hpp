// What a conntrackd.conf (conntrack-tools 1.4.7 grammar) says, as plain typed values.
// Produced by parseSyncConfig() (config_parser.hpp); every default below is conntrackd
// 1.4.7's own (init_config() in read_config_yy.y), see docs/sync-config.md for the table.
// Durations are seconds, sizes bytes, queue/table sizes objects.
#pragma once

#include "entry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::sync {

// Which top-level section the file has. conntrackd refuses Sync and Stats together; a file
// with neither (only General and/or Helper) is valid for conntrackd and gives None.
enum class Role { None, Sync, Stats };

enum class SyncMode { Ftfw, Alarm, Notrack };

enum class ChannelKind { Multicast, Udp, Tcp };

enum class FilterPolicy { Accept, Ignore };

// Kernelspace: conntrackd attaches the filter to the netlink event socket (BPF);
// Userspace: events are copied up and filtered after reception.
enum class FilterFrom { Userspace, Kernelspace };

// Values are the kernel's enum tcp_conntrack (TCP_CONNTRACK_*); conntrackd's "LISTEN" is
// the old name of value 9, which today's kernels call SYN_SENT2.
enum class TcpState : uint8_t {
    SynSent = 1,
    SynRecv = 2,
    Established = 3,
    FinWait = 4,
    CloseWait = 5,
    LastAck = 6,
    TimeWait = 7,
    Close = 8, // "CLOSED" and its alias "CLOSE"
    Listen = 9,
};

// LOG_DAEMON, LOG_LOCAL0..7: the only facilities conntrackd's grammar knows.
enum class SyslogFacility {
    Daemon,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7
};

enum class SchedulerType { RoundRobin, Fifo }; // Scheduler { Type RR|FIFO }

enum class ExpectationSync { Off, All, Listed }; // Options { ExpectationSync on|off|{...} }

struct Prefix {
    Address address;    // network byte order, family AF_INET or AF_INET6
    uint8_t length = 0; // 32/128 when the file gave no "/n"
    bool operator==(const Prefix&) const = default;
};

// One dedicated link (Sync { Multicast|UDP|TCP [Default] { ... } }).
struct Channel {
    ChannelKind kind = ChannelKind::Multicast;
    bool isDefault = false; // written with the Default keyword
    unsigned line = 0;      // where the block starts, for messages
    // Multicast: the group address (IPv4_address / IPv6_address).
    // UDP/TCP: the local address to bind (IPv4_address / IPv6_address); absent = any.
    std::optional<Address> address;
    // UDP/TCP only: the peer (IPv4_Destination_Address / IPv6_Destination_Address).
    std::optional<Address> destination;
    // Multicast only: IPv4_interface, the local address that joins and sends.
    std::optional<Address> interfaceAddress;
    std::string interfaceName;         // Interface; empty = not given
    uint16_t port = 0;                 // Multicast: Group; UDP/TCP: Port. Validated 1..65535.
    std::optional<uint32_t> sndBuffer; // SndSocketBuffer; absent (or 0) = system default
    std::optional<uint32_t> rcvBuffer; // RcvSocketBuffer
    bool checksum = true;              // Checksum; conntrackd's default is on
    uint32_t errorQueueLength = 128;   // TCP only (ErrorQueueLength)
    bool operator==(const Channel&) const = default;

    // AF_INET or AF_INET6 of the link (validation guarantees all addresses agree).
    uint8_t family() const;
};

struct SyncSettings {
    SyncMode mode = SyncMode::Ftfw; // conntrackd defaults to FT-FW when no Mode is given
    bool modeGiven = false;
    // FTFW
    uint32_t resendQueueSize = 131072; // objects
    uint32_t ackWindowSize = 300;      // messages
    // FTFW and NOTRACK
    bool disableExternalCache = false;
    bool startupResync = false;
    // NOTRACK
    bool disableInternalCache = false;
    // ALARM (also accepted directly in Sync { })
    uint32_t refreshTime = 60;   // seconds
    uint32_t cacheTimeout = 180; // seconds
    // all modes
    std::optional<uint32_t> commitTimeout; // seconds; absent = conntrackd estimates
    uint32_t purgeTimeout = 60;            // seconds
    // dedicated links in file order; at most maxChannels, all of one kind
    std::vector<Channel> channels;
    size_t defaultChannel = 0; // index into channels: the Default one, else the first
    // Options
    bool tcpWindowTracking = false;
    ExpectationSync expectationSync = ExpectationSync::Off;
    std::vector<std::string> expectationHelpers; // when Listed, in file order

    static constexpr size_t maxChannels = 4; // conntrackd's MULTICHANNEL_MAX
    bool operator==(const SyncSettings&) const = default;
};

struct ProtocolFilter {
    FilterPolicy policy = FilterPolicy::Accept;
    std::vector<uint8_t> protocols; // IPPROTO_* numbers, file order, no duplicates
    bool operator==(const ProtocolFilter&) const = default;
};

struct AddressFilter {
    FilterPolicy policy = FilterPolicy::Accept;
    std::vector<Prefix> prefixes; // file order; /32 or /128 for plain addresses
    bool operator==(const AddressFilter&) const = default;
};

struct StateFilter {
    FilterPolicy policy = FilterPolicy::Accept;
    std::vector<TcpState> tcpStates; // only TCP has states in conntrackd's grammar
    bool operator==(const StateFilter&) const = default;
};

// General { Filter [From Userspace|Kernelspace] { ... } }. An absent part filters nothing.
struct EventFilter {
    bool present = false;
    FilterFrom from = FilterFrom::Userspace;
    std::optional<ProtocolFilter> protocol;
    std::optional<AddressFilter> address;
    std::optional<StateFilter> state;
    bool operator==(const EventFilter&) const = default;
};

struct SchedulerSettings {
    std::optional<SchedulerType> type;
    std::optional<int> priority; // 0..99
    bool operator==(const SchedulerSettings&) const = default;
};

struct GeneralSettings {
    uint32_t hashSize = 65536;            // cache buckets
    uint32_t hashLimit = 262144;          // cache entries
    std::optional<std::string> logFile;   // absent = off; "on" = /var/log/conntrackd.log
    std::optional<SyslogFacility> syslog; // absent = off; "on" = daemon
    std::string lockFile = "/var/lock/conntrackd.lock";
    std::string unixPath;                      // UNIX { Path }; empty = not given
    std::optional<uint32_t> netlinkBufferSize; // absent = net.core.rmem_default
    std::optional<uint32_t> netlinkBufferSizeMaxGrowth;
    std::optional<uint32_t> netlinkOverrunResync = 30; // seconds; absent = off
    bool netlinkEventsReliable = false;
    std::optional<uint32_t> pollSecs; // absent = event-driven
    uint32_t eventIterationLimit = 100;
    // Debian's conntrackd is built with systemd support, which makes "on" the default.
    bool systemd = true;
    std::optional<int> nice; // deprecated, conntrackd ignores it too
    SchedulerSettings scheduler;
    EventFilter filter;
    bool operator==(const GeneralSettings&) const = default;
};

struct StatsSettings {
    std::optional<std::string> logFile; // absent = off; "on" = /var/log/conntrackd-stats.log
    std::optional<SyslogFacility> syslog;
    // Documented in conntrackd.conf(5) but rejected by 1.4.7's parser; ctd accepts it.
    bool netlinkEventsReliable = false;
    bool operator==(const StatsSettings&) const = default;
};

struct HelperPolicy {
    std::string name;
    uint32_t expectMax = 0;
    uint32_t expectTimeout = 0; // seconds
    bool operator==(const HelperPolicy&) const = default;
};

// Helper { Type NAME inet|inet6 tcp|udp { ... } }: user-space helpers over NFQUEUE. ctd runs
// none; they are kept so the caller can refuse or warn.
struct HelperType {
    std::string name;
    uint8_t family = 0;   // AF_INET / AF_INET6
    uint8_t protocol = 0; // IPPROTO_TCP / IPPROTO_UDP
    std::optional<uint32_t> queueNum;
    std::optional<uint32_t> queueLen;
    std::vector<HelperPolicy> policies;
    unsigned line = 0;
    bool operator==(const HelperType&) const = default;
};

struct SyncConfig {
    std::string fileName;
    Role role = Role::None;
    GeneralSettings general;
    SyncSettings sync;   // meaningful when role == Sync
    StatsSettings stats; // meaningful when role == Stats
    std::vector<HelperType> helpers;
    bool operator==(const SyncConfig&) const = default;
};

// conntrackd's literal values for "LogFile on" (General and Stats).
inline constexpr const char* defaultLogFile = "/var/log/conntrackd.log";
inline constexpr const char* defaultStatsLogFile = "/var/log/conntrackd-stats.log";

} // namespace ctd::sync
