// Packet <-> SyncMessage: the engine's model onto the wire codec.
#include "packet.hpp"

namespace ctd::sync {

void encodePacket(const Packet& packet, const EncodeOptions& options, std::vector<uint8_t>& out)
{
    SyncMessage m;
    m.type = static_cast<uint8_t>(packet.kind);
    m.flags = packet.flags;
    m.seq = packet.seq;
    if (hasRange(m.type, m.flags))
        m.range = SeqRange{packet.from, packet.to};
    switch (packet.kind) {
    case PacketKind::CtNew:
    case PacketKind::CtUpdate:
    case PacketKind::CtDelete:
        m.entry = packet.entry;
        break;
    case PacketKind::ExpNew:
    case PacketKind::ExpUpdate:
    case PacketKind::ExpDelete:
        m.expectation = packet.expectation;
        break;
    case PacketKind::Control:
        break;
    }
    appendMessage(out, m, options);
}

DecodedDatagram decodePackets(std::span<const uint8_t> datagram)
{
    DecodeResult r = decodeDatagram(datagram.data(), datagram.size());
    DecodedDatagram out;
    out.malformed = r.malformed.total();
    out.kinds = r.malformed;
    out.firstError = std::move(r.firstError);
    out.packets.reserve(r.messages.size());
    for (SyncMessage& m : r.messages) {
        Packet p;
        p.kind = static_cast<PacketKind>(m.type);
        p.flags = m.flags;
        p.seq = m.seq;
        if (m.range) {
            p.from = m.range->from;
            p.to = m.range->to;
        }
        if (m.entry)
            p.entry = std::move(*m.entry);
        else if (p.kind <= PacketKind::CtDelete)
            continue; // a data message must carry its entry (the codec guarantees it)
        if (m.expectation)
            p.expectation = std::move(*m.expectation);
        out.packets.push_back(std::move(p));
    }
    return out;
}

} // namespace ctd::sync
