// conntrackd 1.4.7's sync wire format (the "network.h" protocol, version 1), so ctd can
// replace one node of a conntrackd pair. Every quirk and its source is in
// docs/sync-protocol.md. Pure functions: no sockets, no clock.
#pragma once

#include "entry.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::sync {

// struct nethdr: byte 0 holds version in the high nibble and type in the low nibble
// (conntrackd declares `type:4, version:4` on little endian, the reverse on big endian,
// so the byte is the same on both); flags is one byte; len and seq are big endian.
inline constexpr uint8_t kProtocolVersion = 1; // CONNTRACKD_PROTOCOL_VERSION
inline constexpr size_t kHeaderSize = 8; // NETHDR_SIZ
inline constexpr size_t kAckHeaderSize = 16; // NETHDR_ACK_SIZ: + from, to (big endian)

// enum nethdr_type
namespace msg {
inline constexpr uint8_t CtNew = 0;
inline constexpr uint8_t CtUpd = 1;
inline constexpr uint8_t CtDel = 2;
inline constexpr uint8_t ExpNew = 3;
inline constexpr uint8_t ExpUpd = 4;
inline constexpr uint8_t ExpDel = 5;
inline constexpr uint8_t StateMax = ExpDel;
inline constexpr uint8_t Control = 10; // NET_T_CTL
} // namespace msg

// NET_F_* (bit 0 is NET_F_UNUSED)
namespace flag {
inline constexpr uint8_t Resync = 1 << 1;
inline constexpr uint8_t Nack = 1 << 2;
inline constexpr uint8_t Ack = 1 << 3;
inline constexpr uint8_t Alive = 1 << 4;
inline constexpr uint8_t Hello = 1 << 5;
inline constexpr uint8_t HelloBack = 1 << 6;
} // namespace flag

// A control message with ACK, NACK or RESYNC carries a range (struct nethdr_ack) and is
// 16 bytes long; every other message has the 8-byte header. conntrackd tests these flags
// only on type Control (IS_ACK etc. check x->type == NET_T_CTL).
inline bool hasRange(uint8_t type, uint8_t flags)
{
    return type == msg::Control && (flags & (flag::Ack | flag::Nack | flag::Resync));
}

struct SeqRange {
    uint32_t from = 0;
    uint32_t to = 0;
    bool operator==(const SeqRange&) const = default;
};

struct SyncMessage {
    uint8_t type = msg::Control;
    uint8_t flags = 0;
    uint32_t seq = 0;
    uint8_t version = kProtocolVersion; // decode: as received; encode: written as is
    std::optional<SeqRange> range; // control with ACK/NACK/RESYNC (encode: {0,0} if absent)
    std::optional<Entry> entry; // CtNew/CtUpd/CtDel
    std::optional<Expectation> expectation; // ExpNew/ExpUpd/ExpDel
    bool operator==(const SyncMessage&) const = default;
};

// What conntrackd's configuration changes in what it sends (build.c).
struct EncodeOptions {
    // Options { TCPWindowTracking yes }: TCP messages carry both window scales.
    bool tcpWindowTracking = false;
    // CommitTimeout set (non-zero): conntrackd leaves the timeout out of ct and exp messages.
    bool commitTimeout = false;
};

// Appends one message exactly as conntrackd 1.4.7 (little-endian host, Debian 12's
// libnetfilter_conntrack 1.0.9) builds it for the same kernel entry. An entry or
// expectation is needed for data types; a data message without one gets only the header.
void appendMessage(std::vector<uint8_t>& out, const SyncMessage& m, const EncodeOptions& opt);
inline void appendMessage(std::vector<uint8_t>& out, const SyncMessage& m) { appendMessage(out, m, {}); }

// Counters named after conntrackd's msg_rcv_* statistics (sync-mode.c).
struct MalformedCounts {
    uint32_t truncated = 0; // fewer bytes left than a header: rest of datagram dropped
    uint32_t badSize = 0; // len 0, beyond the datagram, or below the header: rest dropped
    uint32_t badVersion = 0; // version != 1: message skipped
    uint32_t badType = 0; // type neither data (0..5) nor control (10), or flags that do
                          // not fit the type: message skipped
    uint32_t badPayload = 0; // attribute errors, missing mandatory attributes: skipped
    uint32_t total() const { return truncated + badSize + badVersion + badType + badPayload; }
    bool operator==(const MalformedCounts&) const = default;
};

struct DecodeResult {
    std::vector<SyncMessage> messages; // the well-formed ones, in datagram order
    MalformedCounts malformed;
    std::string firstError; // empty when malformed.total() == 0
};

// Splits a datagram into messages (conntrackd packs several back to back, up to the
// link MTU minus IP/UDP headers) and decodes each. Never reads outside [data, data+len).
DecodeResult decodeDatagram(const uint8_t* data, size_t len);

// The reply tuple conntrackd's commit derives from an original tuple (decoded entries
// carry it already); also for entries that come without one.
Tuple replyTupleOf(const Tuple& orig);

} // namespace ctd::sync
