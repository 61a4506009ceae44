// How a sync cache holds an entry: the fields every synced connection has (tuples, status,
// timeout, mark, id, zone, TCP state, counters, start time, an unused synproxy) in fixed slots, and whatever
// else the entry carries (helper, labels, master, SCTP/DCCP state, seqadj, ...) in one
// side allocation made only when present. A full Entry is 648 bytes of optionals, which
// made the caches cost 1.7x conntrackd's memory per connection; this is about 170.
// Lossless: expand() gives back the entry that was stored, except its use count (the
// kernel's reference count of the moment, never sent or shown from a cache).
#pragma once

#include "entry.hpp"

#include <array>
#include <cstdint>
#include <memory>

namespace ctd::sync {

// A Tuple without its directional zone (tuples that have one go to the side allocation).
struct PackedTuple {
    std::array<uint8_t, 16> src{};
    std::array<uint8_t, 16> dst{};
    uint16_t sport = 0;
    uint16_t dport = 0;
    uint16_t icmpId = 0;
    uint8_t icmpType = 0;
    uint8_t icmpCode = 0;
    uint8_t protocol = 0;
    uint8_t srcFamily = 0;
    uint8_t dstFamily = 0;
    uint8_t present = 0; // which of the optional layer 4 fields are set

    // false (and p untouched) when t has a directional zone.
    static bool pack(const Tuple& t, PackedTuple& p);
    Tuple unpack() const;
};

class CompactEntry {
public:
    CompactEntry() = default;
    explicit CompactEntry(const Entry& e) { assign(e); }
    CompactEntry(const CompactEntry& other) { *this = other; }
    CompactEntry& operator=(const CompactEntry& other);
    CompactEntry(CompactEntry&&) noexcept = default;
    CompactEntry& operator=(CompactEntry&&) noexcept = default;

    void assign(const Entry& e);
    Entry expand() const;

    // Cheap reads for the engine's hot paths, without expanding.
    uint8_t family() const { return family_; }
    // Whether part of the entry needed the side allocation (not for an ordinary connection).
    bool hasSideAllocation() const { return rest_ != nullptr; }

private:
    enum Bit : uint32_t {
        Status = 1u << 0,
        Timeout = 1u << 1,
        Mark = 1u << 2,
        Id = 1u << 3,
        Zone = 1u << 4,
        Tcp = 1u << 5,
        TcpState = 1u << 6,
        WscaleOrig = 1u << 7,
        WscaleReply = 1u << 8,
        FlagsOrig = 1u << 9,
        FlagsReply = 1u << 10,
        CountersOrig = 1u << 11,
        CountersReply = 1u << 12,
        TimestampStart = 1u << 13,
        OrigPacked = 1u << 14,
        ReplyPacked = 1u << 15,
        // ctnetlink gives every entry it creates a synproxy extension, all zero unless
        // synproxy is in use: committed and injected entries come back with one.
        SynproxyZero = 1u << 16,
    };
    bool has(Bit b) const { return (present_ & b) != 0; }

    PackedTuple orig_;
    PackedTuple reply_;
    Counters countersOrig_;
    Counters countersReply_;
    uint64_t timestampStart_ = 0;
    uint32_t status_ = 0;
    uint32_t timeout_ = 0;
    uint32_t mark_ = 0;
    uint32_t id_ = 0;
    uint16_t zone_ = 0;
    uint32_t present_ = 0;
    uint8_t family_ = 0;
    uint8_t tcpState_ = 0;
    uint8_t wscaleOrig_ = 0;
    uint8_t wscaleReply_ = 0;
    TcpFlags flagsOrig_;
    TcpFlags flagsReply_;
    // The rest of the entry, with the fields above cleared; null when nothing is left.
    std::unique_ptr<Entry> rest_;
};

} // namespace ctd::sync
