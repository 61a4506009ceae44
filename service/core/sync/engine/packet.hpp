// The engine's view of one sync message, and the only place it meets the wire codec
// (wire_adapter.cpp): FTFW logic works on these, the codec owns the bytes.
#pragma once

#include "entry.hpp"
#include "sync/wire/sync_wire.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ctd::sync {

// conntrackd 1.4.7 message types (NET_T_STATE_*, NET_T_CTL).
enum class PacketKind : uint8_t { CtNew = 0, CtUpdate = 1, CtDelete = 2, ExpNew = 3, ExpUpdate = 4, ExpDelete = 5, Control = 10 };

// Header flags: ctd::sync::flag (sync_wire.hpp), conntrackd's NET_F_*.

struct Packet {
    PacketKind kind = PacketKind::Control;
    uint8_t flags = 0;
    uint32_t seq = 0;
    uint32_t from = 0; // ACK / NACK range (also carried, zero, by RESYNC)
    uint32_t to = 0;
    Entry entry; // for the Ct* kinds
    Expectation expectation; // for the Exp* kinds

    bool isData() const { return kind != PacketKind::Control; }
    bool isAck() const { return kind == PacketKind::Control && (flags & flag::Ack); }
    bool isNack() const { return kind == PacketKind::Control && (flags & flag::Nack); }
    bool isResync() const { return kind == PacketKind::Control && (flags & flag::Resync); }
    bool isAlive() const { return kind == PacketKind::Control && (flags & flag::Alive); }
};

// Appends the encoded packet to out.
void encodePacket(const Packet& packet, const EncodeOptions& options, std::vector<uint8_t>& out);

struct DecodedDatagram {
    std::vector<Packet> packets;
    uint64_t malformed = 0; // messages dropped as malformed
    MalformedCounts kinds; // by kind, as conntrackd -s network shows them
    std::string firstError;
};

DecodedDatagram decodePackets(std::span<const uint8_t> datagram);

} // namespace ctd::sync
