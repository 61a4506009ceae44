// The conntrack entry model: everything ctnetlink can tell about a connection or an
// expectation, as plain values. Optional fields are std::optional because "absent" and
// "zero" print differently in conntrack's formats (mark=0 vs. no mark at all).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd {

// Address in network byte order; an IPv4 address uses the first 4 bytes.
struct Address {
    uint8_t family = 0; // AF_INET, AF_INET6 or 0 when absent
    std::array<uint8_t, 16> bytes{};
    bool operator==(const Address&) const = default;
};

// One direction of a connection: layer 3 addresses plus the layer 4 identifiers.
// Ports and ICMP id are host byte order. Which layer 4 fields are meaningful depends on
// protocol: ports for TCP/UDP/UDPLITE/SCTP/DCCP, GRE keys (in sport/dport), icmp* for
// ICMP and ICMPv6.
struct Tuple {
    Address src;
    Address dst;
    std::optional<uint8_t> protocol; // IPPROTO_*
    std::optional<uint16_t> sport;
    std::optional<uint16_t> dport;
    std::optional<uint8_t> icmpType;
    std::optional<uint8_t> icmpCode;
    std::optional<uint16_t> icmpId;
    std::optional<uint16_t> zone; // CTA_TUPLE_ZONE (directional zone)
    bool operator==(const Tuple&) const = default;
};

struct Counters {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    bool operator==(const Counters&) const = default;
};

// Nanoseconds since the epoch, as the kernel reports them (CTA_TIMESTAMP).
struct Timestamps {
    uint64_t start = 0;
    std::optional<uint64_t> stop;
    bool operator==(const Timestamps&) const = default;
};

struct TcpFlags {
    uint8_t flags = 0;
    uint8_t mask = 0;
    bool operator==(const TcpFlags&) const = default;
};

struct TcpInfo {
    std::optional<uint8_t> state; // TCP_CONNTRACK_*
    std::optional<uint8_t> wscaleOrig;
    std::optional<uint8_t> wscaleReply;
    std::optional<TcpFlags> flagsOrig;
    std::optional<TcpFlags> flagsReply;
    bool operator==(const TcpInfo&) const = default;
};

struct SctpInfo {
    std::optional<uint8_t> state; // SCTP_CONNTRACK_*
    std::optional<uint32_t> vtagOrig;
    std::optional<uint32_t> vtagReply;
    bool operator==(const SctpInfo&) const = default;
};

struct DccpInfo {
    std::optional<uint8_t> state; // CT_DCCP_*
    std::optional<uint8_t> role;
    std::optional<uint64_t> handshakeSeq;
    bool operator==(const DccpInfo&) const = default;
};

// A NAT binding as ctnetlink accepts it on create (CTA_NAT_SRC / CTA_NAT_DST).
struct NatRange {
    Address minAddr;
    Address maxAddr;
    std::optional<uint16_t> minPort;
    std::optional<uint16_t> maxPort;
    bool operator==(const NatRange&) const = default;
};

struct SeqAdjust {
    uint32_t correctionPos = 0;
    uint32_t offsetBefore = 0;
    uint32_t offsetAfter = 0;
    bool operator==(const SeqAdjust&) const = default;
};

struct Synproxy {
    uint32_t isn = 0;
    uint32_t its = 0;
    uint32_t tsoff = 0;
    bool operator==(const Synproxy&) const = default;
};

// What a ctnetlink event or message says happened to an entry.
enum class EventType : uint8_t { None, New, Update, Destroy };

struct Entry {
    uint8_t family = 0; // nfgenmsg family: AF_INET or AF_INET6
    Tuple orig;
    Tuple reply;
    std::optional<Tuple> master; // CTA_TUPLE_MASTER: the entry this one was expected by
    std::optional<uint32_t> status; // IPS_* bits
    std::optional<uint32_t> timeout; // seconds
    std::optional<uint32_t> mark;
    std::optional<uint32_t> secmark;
    std::optional<std::string> secctx;
    std::optional<uint32_t> use;
    std::optional<uint32_t> id;
    std::optional<uint16_t> zone; // CTA_ZONE
    std::optional<Counters> countersOrig;
    std::optional<Counters> countersReply;
    std::optional<Timestamps> timestamps;
    std::optional<std::string> helper; // CTA_HELP / CTA_HELP_NAME
    std::vector<uint8_t> labels; // CTA_LABELS bitmap, empty when absent
    std::vector<uint8_t> labelsMask; // CTA_LABELS_MASK (create/update only)
    std::optional<TcpInfo> tcp;
    std::optional<SctpInfo> sctp;
    std::optional<DccpInfo> dccp;
    std::optional<NatRange> snat; // create only: the kernel reports NAT through the tuples
    std::optional<NatRange> dnat;
    std::optional<SeqAdjust> seqAdjOrig;
    std::optional<SeqAdjust> seqAdjReply;
    std::optional<Synproxy> synproxy;
    bool operator==(const Entry&) const = default;
};

struct ExpectationNat {
    uint32_t dir = 0;
    Tuple tuple;
    bool operator==(const ExpectationNat&) const = default;
};

struct Expectation {
    uint8_t family = 0;
    Tuple master; // CTA_EXPECT_MASTER
    Tuple tuple; // CTA_EXPECT_TUPLE
    Tuple mask; // CTA_EXPECT_MASK
    std::optional<uint32_t> timeout;
    std::optional<uint32_t> id;
    std::optional<std::string> helper; // CTA_EXPECT_HELP_NAME
    std::optional<uint16_t> zone;
    std::optional<uint32_t> flags; // NF_CT_EXPECT_*
    std::optional<uint32_t> expectClass;
    std::optional<ExpectationNat> nat;
    std::optional<std::string> fn; // CTA_EXPECT_FN
    bool operator==(const Expectation&) const = default;
};

} // namespace ctd
