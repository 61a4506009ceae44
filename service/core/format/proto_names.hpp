// Names conntrack prints for families, protocols, protocol states and status bits. The
// tables are libnetfilter_conntrack 1.0.9's and conntrack-tools 1.4.7's, including their
// quirks (TCP state 9 is "SYN_SENT2", out-of-range states print as "NONE").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ctd {

// "ipv4", "ipv6" or "unknown".
std::string_view l3ProtoName(uint8_t family);
// "tcp", "udp", ... or "unknown" for protocols libnetfilter_conntrack has no name for.
std::string_view l4ProtoName(uint8_t protocol);

// State names as the default text format prints them; nullopt when out of range.
std::optional<std::string_view> tcpStateName(uint8_t state);
std::optional<std::string_view> sctpStateName(uint8_t state);
std::optional<std::string_view> dccpStateName(uint8_t state);
std::optional<std::string_view> dccpRoleName(uint8_t role);

std::optional<uint8_t> tcpStateFromName(std::string_view name);
std::optional<uint8_t> sctpStateFromName(std::string_view name);
std::optional<uint8_t> dccpStateFromName(std::string_view name);
std::optional<uint8_t> dccpRoleFromName(std::string_view name);

// The ICMP / ICMPv6 type of the other direction of a query (echo <-> echo reply,
// timestamp, information, address mask; ICMPv6 echo and node information), as the kernel's
// invert_tuple and libnetfilter_conntrack's invmap compute it: the one table behind Create's
// reply tuple, the sync commit's and the save parser's. nullopt when the type has none, or
// protocol is neither ICMP nor ICMPv6.
std::optional<uint8_t> invertIcmpType(uint8_t protocol, uint8_t type);
// The same with libnetfilter_conntrack's setter's 255 where there is none.
uint8_t icmpReplyType(uint8_t type);
uint8_t icmpv6ReplyType(uint8_t type);

// IPS_* bits conntrack knows by name, in the order conntrack prints them.
struct StatusBitName {
    uint32_t bit;
    std::string_view name;
};
extern const StatusBitName kSaveStatusNames[4]; // what "-o save" prints after -u
extern const StatusBitName kAllStatusNames[16]; // every IPS_* bit, for JSON

namespace ips {
constexpr uint32_t kExpected = 1u << 0;
constexpr uint32_t kSeenReply = 1u << 1;
constexpr uint32_t kAssured = 1u << 2;
constexpr uint32_t kConfirmed = 1u << 3;
constexpr uint32_t kSrcNat = 1u << 4;
constexpr uint32_t kDstNat = 1u << 5;
constexpr uint32_t kSeqAdjust = 1u << 6;
constexpr uint32_t kSrcNatDone = 1u << 7;
constexpr uint32_t kDstNatDone = 1u << 8;
constexpr uint32_t kDying = 1u << 9;
constexpr uint32_t kFixedTimeout = 1u << 10;
constexpr uint32_t kTemplate = 1u << 11;
constexpr uint32_t kUntracked = 1u << 12;
constexpr uint32_t kHelper = 1u << 13;
constexpr uint32_t kOffload = 1u << 14;
constexpr uint32_t kHwOffload = 1u << 15;
} // namespace ips

namespace proto {
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kDccp = 33;
constexpr uint8_t kGre = 47;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kSctp = 132;
constexpr uint8_t kUdplite = 136;
} // namespace proto

bool hasPorts(uint8_t protocol); // TCP, UDP, UDPLITE, SCTP, DCCP
bool isIcmp(uint8_t protocol); // ICMP or ICMPv6

} // namespace ctd
