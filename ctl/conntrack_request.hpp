// What a conntrack 1.4.7 command line asks for, as plain values: the result of
// parseCommandLine() and the input of the bus mapping. Field names follow conntrack's
// options; "set" is tracked by the option bits (CT_OPT_*) exactly as conntrack tracks it, so
// the compatibility matrix and the mapping see the same thing.
#pragma once

#include "entry.hpp"
#include "format/formatter.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::cli {

// conntrack's exit statuses (enum exittype).
inline constexpr int kOtherProblem = 1;
inline constexpr int kParameterProblem = 2;

// conntrack's command bits, in its order (CT_LIST_BIT = 0 ... CT_ADD_BIT = 19).
enum class Command : uint8_t {
    List, Create, Update, Delete, Get, Flush, Event, Version, Help,
    ExpList, ExpCreate, ExpDelete, ExpGet, ExpFlush, ExpEvent,
    Count, ExpCount, Stats, ExpStats, Add,
    None, // no command given: conntrack prints its usage
};
inline constexpr int kNumberOfCommands = 20;

enum class Table : uint8_t { Conntrack, Expect, Dying, Unconfirmed };

// CT_OPT_* bit numbers, in conntrack's order; the compatibility matrix is indexed by them.
namespace opt {
enum Bit : uint8_t {
    OrigSrc, OrigDst, ReplSrc, ReplDst, Proto, Timeout, Status, Zero, EventMask,
    ExpSrc, ExpDst, MaskSrc, MaskDst, NatRange, Mark, Id, Family, SrcNat, DstNat,
    Output, Secmark, BufferSize, AnyNat, Zone, Label, AddLabel, DelLabel, OrigZone,
    ReplZone,
    Count
};
constexpr uint32_t bit(Bit b) { return 1u << b; }
} // namespace opt

// conntrack -e words.
namespace event {
inline constexpr uint32_t New = 1u << 0;
inline constexpr uint32_t Update = 1u << 1;
inline constexpr uint32_t Destroy = 1u << 2;
inline constexpr uint32_t All = New | Update | Destroy;
} // namespace event

// An address option: the address and, for CIDR or --mask-*, the netmask bytes.
struct AddressArg {
    Address addr;
    bool operator==(const AddressArg&) const = default;
};

struct NatArg {
    std::optional<Address> addr;
    std::optional<uint16_t> port;
    bool operator==(const NatArg&) const = default;
};

// The protocol extension's values (libct_proto_*.c). Which ones are set is in l4flags, whose
// bits are the extension's own (bit i = its option i, in its optflags order).
struct L4Args {
    std::string handler;          // "tcp", "udp", ..., "unknown"; empty without -p
    uint8_t protonum = 0;
    uint32_t flags = 0;
    uint16_t sport = 0, dport = 0, replySport = 0, replyDport = 0; // also GRE keys
    uint16_t maskSport = 0, maskDport = 0, tupleSport = 0, tupleDport = 0;
    uint8_t icmpType = 0, icmpCode = 0;
    uint16_t icmpId = 0;
    uint8_t state = 0;
    uint8_t dccpRole = 0;
    uint32_t origVtag = 0, replyVtag = 0;
    bool operator==(const L4Args&) const = default;
};

struct Request {
    Command command = Command::None;
    Table table = Table::Conntrack;
    uint32_t options = 0; // opt::bit(...)
    uint8_t family = 0;   // AF_INET / AF_INET6, 0 = unspecified (after conntrack's defaulting)

    AddressArg src, dst, replySrc, replyDst; // -s -d -r -q
    AddressArg tupleSrc, tupleDst;           // --tuple-src --tuple-dst
    AddressArg maskSrc, maskDst;             // --mask-src --mask-dst, or from CIDR
    L4Args l4;

    uint32_t timeout = 0; // -t (atol, truncated like conntrack's u32 attribute)
    uint32_t status = 0;  // -u flags that must be set / to set
    uint32_t statusMask = 0; // -u: 1.4.7's kernel filter mask (negated flags, UNREPLIED)
    uint32_t eventMask = 0; // -e
    std::string outputSpec;  // every -o argument, comma-joined
    FormatOptions output;    // parseFormatSpec(outputSpec)
    uint32_t mark = 0, markMask = 0xffffffff; // -m MARK[/MASK]
    uint32_t id = 0;         // -i / --id
    uint32_t secmark = 0;    // -c
    uint16_t zone = 0, origZone = 0, replyZone = 0;
    std::vector<unsigned> labels;       // -l, resolved to bits
    std::vector<unsigned> labelsModify; // --label-add / --label-del bits
    bool labelDelAll = false;           // --label-del without an argument
    NatArg srcNat, dstNat; // -n / -g; -j sets both
    uint64_t bufferSize = 0; // -b (accepted; ctd sizes its own buffers)

    bool has(opt::Bit b) const { return (options & opt::bit(b)) != 0; }
};

} // namespace ctd::cli
