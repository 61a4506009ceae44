// ctnetlink numbers that the uapi headers do not export, and small helpers on message
// types. The CTA_FILTER flag bits mirror net/netfilter/nf_internals.h.
#pragma once

#include <cstdint>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

namespace ctd::nl {

namespace filter_flag {
inline constexpr uint32_t IpSrc = 1u << 0;
inline constexpr uint32_t IpDst = 1u << 1;
inline constexpr uint32_t TupleZone = 1u << 2;
inline constexpr uint32_t ProtoNum = 1u << 3;
inline constexpr uint32_t ProtoSrcPort = 1u << 4;
inline constexpr uint32_t ProtoDstPort = 1u << 5;
inline constexpr uint32_t IcmpType = 1u << 6;
inline constexpr uint32_t IcmpCode = 1u << 7;
inline constexpr uint32_t IcmpId = 1u << 8;
inline constexpr uint32_t Icmpv6Type = 1u << 9;
inline constexpr uint32_t Icmpv6Code = 1u << 10;
inline constexpr uint32_t Icmpv6Id = 1u << 11;
} // namespace filter_flag

// nfgenmsg version 1 (not in older uapi headers): makes a flush honour nfgen_family.
inline constexpr uint8_t kNfnetlinkV1 = 1;

// IPS_CONFIRMED: the kernel refuses (EBUSY) a create or update whose status lacks it.
inline constexpr uint32_t StatusConfirmed = 1u << 3;

inline constexpr uint16_t ctType(uint8_t msg) { return uint16_t(NFNL_SUBSYS_CTNETLINK << 8 | msg); }
inline constexpr uint16_t expType(uint8_t msg) { return uint16_t(NFNL_SUBSYS_CTNETLINK_EXP << 8 | msg); }
inline constexpr uint8_t subsysOf(uint16_t nlType) { return uint8_t(nlType >> 8); }
inline constexpr uint8_t msgOf(uint16_t nlType) { return uint8_t(nlType & 0xff); }

// Multicast groups as bits of a subscription mask: group n is bit n-1, as in
// sockaddr_nl.nl_groups.
enum EventGroup : uint32_t {
    CtNew = 1u << (NFNLGRP_CONNTRACK_NEW - 1),
    CtUpdate = 1u << (NFNLGRP_CONNTRACK_UPDATE - 1),
    CtDestroy = 1u << (NFNLGRP_CONNTRACK_DESTROY - 1),
    ExpNew = 1u << (NFNLGRP_CONNTRACK_EXP_NEW - 1),
    ExpUpdate = 1u << (NFNLGRP_CONNTRACK_EXP_UPDATE - 1),
    ExpDestroy = 1u << (NFNLGRP_CONNTRACK_EXP_DESTROY - 1),
    CtAll = CtNew | CtUpdate | CtDestroy,
    ExpAll = ExpNew | ExpUpdate | ExpDestroy,
};

} // namespace ctd::nl
