#include "format/proto_names.hpp"

#include <array>
#include <sys/socket.h>

namespace ctd {

namespace {

constexpr std::array<std::string_view, 10> kTcpStates = {
    "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

constexpr std::array<std::string_view, 10> kSctpStates = {
    "NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
    "SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED",
};

constexpr std::array<std::string_view, 10> kDccpStates = {
    "NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN",
    "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE", "INVALID",
};

constexpr std::array<std::string_view, 2> kDccpRoles = {"client", "server"};

template <size_t N>
std::optional<std::string_view> lookup(const std::array<std::string_view, N>& table, uint8_t v)
{
    if (v < N)
        return table[v];
    return std::nullopt;
}

template <size_t N>
std::optional<uint8_t> reverse(const std::array<std::string_view, N>& table, std::string_view name)
{
    for (size_t i = 0; i < N; ++i)
        if (table[i] == name)
            return static_cast<uint8_t>(i);
    return std::nullopt;
}

} // namespace

const StatusBitName kSaveStatusNames[4] = {
    {ips::kExpected, "EXPECTED"},
    {ips::kSeenReply, "SEEN_REPLY"},
    {ips::kAssured, "ASSURED"},
    {ips::kFixedTimeout, "FIXED_TIMEOUT"},
};

const StatusBitName kAllStatusNames[16] = {
    {ips::kExpected, "EXPECTED"}, {ips::kSeenReply, "SEEN_REPLY"}, {ips::kAssured, "ASSURED"},
    {ips::kConfirmed, "CONFIRMED"}, {ips::kSrcNat, "SRC_NAT"}, {ips::kDstNat, "DST_NAT"},
    {ips::kSeqAdjust, "SEQ_ADJUST"}, {ips::kSrcNatDone, "SRC_NAT_DONE"},
    {ips::kDstNatDone, "DST_NAT_DONE"}, {ips::kDying, "DYING"},
    {ips::kFixedTimeout, "FIXED_TIMEOUT"}, {ips::kTemplate, "TEMPLATE"},
    {ips::kUntracked, "UNTRACKED"}, {ips::kHelper, "HELPER"}, {ips::kOffload, "OFFLOAD"},
    {ips::kHwOffload, "HW_OFFLOAD"},
};

std::string_view l3ProtoName(uint8_t family)
{
    switch (family) {
    case AF_INET: return "ipv4";
    case AF_INET6: return "ipv6";
    default: return "unknown";
    }
}

std::string_view l4ProtoName(uint8_t protocol)
{
    switch (protocol) {
    case proto::kTcp: return "tcp";
    case proto::kUdp: return "udp";
    case proto::kUdplite: return "udplite";
    case proto::kIcmp: return "icmp";
    case proto::kIcmpv6: return "icmpv6";
    case proto::kSctp: return "sctp";
    case proto::kGre: return "gre";
    case proto::kDccp: return "dccp";
    default: return "unknown";
    }
}

std::optional<std::string_view> tcpStateName(uint8_t s) { return lookup(kTcpStates, s); }
std::optional<std::string_view> sctpStateName(uint8_t s) { return lookup(kSctpStates, s); }
std::optional<std::string_view> dccpStateName(uint8_t s) { return lookup(kDccpStates, s); }
std::optional<std::string_view> dccpRoleName(uint8_t r) { return lookup(kDccpRoles, r); }

std::optional<uint8_t> tcpStateFromName(std::string_view name)
{
    // conntrack -I accepts LISTEN for state 9 although it prints SYN_SENT2.
    if (name == "LISTEN")
        return 9;
    return reverse(kTcpStates, name);
}
std::optional<uint8_t> sctpStateFromName(std::string_view n) { return reverse(kSctpStates, n); }
std::optional<uint8_t> dccpStateFromName(std::string_view n) { return reverse(kDccpStates, n); }
std::optional<uint8_t> dccpRoleFromName(std::string_view n) { return reverse(kDccpRoles, n); }

namespace {

struct IcmpPair {
    uint8_t protocol, query, reply;
};
constexpr IcmpPair kIcmpPairs[] = {
    {proto::kIcmp, 8, 0},       // echo
    {proto::kIcmp, 13, 14},     // timestamp
    {proto::kIcmp, 15, 16},     // information
    {proto::kIcmp, 17, 18},     // address mask
    {proto::kIcmpv6, 128, 129}, // echo
    {proto::kIcmpv6, 139, 140}, // node information
};

} // namespace

std::optional<uint8_t> invertIcmpType(uint8_t protocol, uint8_t type)
{
    for (const IcmpPair& p : kIcmpPairs) {
        if (p.protocol != protocol)
            continue;
        if (type == p.query)
            return p.reply;
        if (type == p.reply)
            return p.query;
    }
    return std::nullopt;
}

uint8_t icmpReplyType(uint8_t type) { return invertIcmpType(proto::kIcmp, type).value_or(255); }
uint8_t icmpv6ReplyType(uint8_t type) { return invertIcmpType(proto::kIcmpv6, type).value_or(255); }

bool hasPorts(uint8_t p)
{
    return p == proto::kTcp || p == proto::kUdp || p == proto::kUdplite || p == proto::kSctp ||
           p == proto::kDccp;
}

bool isIcmp(uint8_t p) { return p == proto::kIcmp || p == proto::kIcmpv6; }

} // namespace ctd
