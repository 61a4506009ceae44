// A classic BPF program for a conntrack event socket: the kernel drops the events a
// conntrackd `Filter From Kernelspace` does not want before they are queued, so a busy
// table overruns the socket less. The program walks the ctnetlink attributes with the
// SKF_AD_NLATTR / SKF_AD_NLATTR_NEST ancillary loads (as libnetfilter_conntrack's
// nfct_filter does for conntrackd) and answers what conntrackd 1.4.7's program answers
// for every event the kernel sends (NEW, UPDATE, DESTROY):
//
// - a message of another netfilter subsystem (expectations) or a netlink control message
//   is accepted untouched;
// - Protocol: the original tuple's layer 4 protocol is listed / not listed;
// - Address: the original tuple's source and, separately, its destination are checked,
//   each against the prefixes of its own family; both must pass (the reply tuple is not
//   looked at). An event without an IPv4 address counts as not listed by IPv4 prefixes
//   (conntrackd's program reads a non-address there, which no real list matches); an event
//   without an IPv6 address is not checked against IPv6 prefixes;
// - State: the TCP state in CTA_PROTOINFO_TCP, when the event carries one;
// - a part with an empty list filters nothing; an attribute the event lacks passes its
//   check (protocol, state).
//
// sync/engine/engine_config.hpp's filterAccepts() for a Kernelspace filter is the same
// rule on a decoded Entry; the unit tests hold the two together.
#pragma once

#include "entry.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <linux/filter.h>
#include <optional>
#include <vector>

namespace ctd::nl {

struct EventBpfPrefix {
    Address address; // AF_INET or AF_INET6, network byte order; host bits may be set
    uint8_t length = 0;
};

struct EventBpfSpec {
    struct Values {
        bool accept = true; // Accept: only listed values pass; Ignore: listed values are dropped
        std::vector<uint8_t> values;
    };
    struct Prefixes {
        bool accept = true;
        std::vector<EventBpfPrefix> prefixes;
    };
    std::optional<Values> protocols; // IPPROTO_* of the original tuple
    std::optional<Prefixes> addresses;
    std::optional<Values> tcpStates; // TCP_CONNTRACK_*
};

// The kernel's limit (BPF_MAXINSNS); a longer program is refused by SO_ATTACH_FILTER.
inline constexpr size_t kEventBpfMaxInstructions = BPF_MAXINSNS;

// An empty vector when the spec filters nothing. E2BIG when the program would be longer
// than kEventBpfMaxInstructions (the message gives the length); the caller then filters in
// userspace only.
Result<std::vector<sock_filter>> buildEventBpf(const EventBpfSpec& spec);

// The verdicts the program returns.
inline constexpr uint32_t kEventBpfAccept = 0xffffffffu;
inline constexpr uint32_t kEventBpfDrop = 0;

} // namespace ctd::nl
