#include "compact_entry.hpp"

namespace ctd::sync {
namespace {

enum TupleBit : uint8_t {
    HasProtocol = 1 << 0,
    HasSport = 1 << 1,
    HasDport = 1 << 2,
    HasIcmpType = 1 << 3,
    HasIcmpCode = 1 << 4,
    HasIcmpId = 1 << 5,
};

template <typename T> void take(const std::optional<T>& from, T& slot, uint8_t& present, uint8_t bit)
{
    if (from) {
        slot = *from;
        present |= bit;
    }
}

template <typename T> std::optional<T> give(T value, uint8_t present, uint8_t bit)
{
    return (present & bit) ? std::optional<T>(value) : std::nullopt;
}

} // namespace

bool PackedTuple::pack(const Tuple& t, PackedTuple& p)
{
    if (t.zone)
        return false;
    PackedTuple out;
    out.src = t.src.bytes;
    out.dst = t.dst.bytes;
    out.srcFamily = t.src.family;
    out.dstFamily = t.dst.family;
    take(t.protocol, out.protocol, out.present, HasProtocol);
    take(t.sport, out.sport, out.present, HasSport);
    take(t.dport, out.dport, out.present, HasDport);
    take(t.icmpType, out.icmpType, out.present, HasIcmpType);
    take(t.icmpCode, out.icmpCode, out.present, HasIcmpCode);
    take(t.icmpId, out.icmpId, out.present, HasIcmpId);
    p = out;
    return true;
}

Tuple PackedTuple::unpack() const
{
    Tuple t;
    t.src.family = srcFamily;
    t.src.bytes = src;
    t.dst.family = dstFamily;
    t.dst.bytes = dst;
    t.protocol = give(protocol, present, HasProtocol);
    t.sport = give(sport, present, HasSport);
    t.dport = give(dport, present, HasDport);
    t.icmpType = give(icmpType, present, HasIcmpType);
    t.icmpCode = give(icmpCode, present, HasIcmpCode);
    t.icmpId = give(icmpId, present, HasIcmpId);
    return t;
}

CompactEntry& CompactEntry::operator=(const CompactEntry& other)
{
    if (this == &other)
        return *this;
    orig_ = other.orig_;
    reply_ = other.reply_;
    countersOrig_ = other.countersOrig_;
    countersReply_ = other.countersReply_;
    timestampStart_ = other.timestampStart_;
    status_ = other.status_;
    timeout_ = other.timeout_;
    mark_ = other.mark_;
    id_ = other.id_;
    zone_ = other.zone_;
    present_ = other.present_;
    family_ = other.family_;
    tcpState_ = other.tcpState_;
    wscaleOrig_ = other.wscaleOrig_;
    wscaleReply_ = other.wscaleReply_;
    flagsOrig_ = other.flagsOrig_;
    flagsReply_ = other.flagsReply_;
    rest_ = other.rest_ ? std::make_unique<Entry>(*other.rest_) : nullptr;
    return *this;
}

void CompactEntry::assign(const Entry& e)
{
    // What is left in rest after the fixed slots took their fields decides whether a side
    // allocation is needed; the common connection leaves nothing.
    Entry rest = e;
    uint32_t bits = 0;
    auto slot = [&](auto& from, auto& to, Bit bit) {
        if (from) {
            to = *from;
            bits |= bit;
            from.reset();
        }
    };
    family_ = e.family;
    rest.family = 0;
    rest.use.reset();
    if (PackedTuple::pack(e.orig, orig_)) {
        bits |= OrigPacked;
        rest.orig = Tuple{};
    }
    if (PackedTuple::pack(e.reply, reply_)) {
        bits |= ReplyPacked;
        rest.reply = Tuple{};
    }
    slot(rest.status, status_, Status);
    slot(rest.timeout, timeout_, Timeout);
    slot(rest.mark, mark_, Mark);
    slot(rest.id, id_, Id);
    slot(rest.zone, zone_, Zone);
    slot(rest.countersOrig, countersOrig_, CountersOrig);
    slot(rest.countersReply, countersReply_, CountersReply);
    if (rest.timestamps && !rest.timestamps->stop) {
        timestampStart_ = rest.timestamps->start;
        bits |= TimestampStart;
        rest.timestamps.reset();
    }
    if (rest.synproxy == Synproxy{}) {
        bits |= SynproxyZero;
        rest.synproxy.reset();
    }
    if (rest.tcp) {
        bits |= Tcp;
        slot(rest.tcp->state, tcpState_, TcpState);
        slot(rest.tcp->wscaleOrig, wscaleOrig_, WscaleOrig);
        slot(rest.tcp->wscaleReply, wscaleReply_, WscaleReply);
        slot(rest.tcp->flagsOrig, flagsOrig_, FlagsOrig);
        slot(rest.tcp->flagsReply, flagsReply_, FlagsReply);
        rest.tcp.reset();
    }
    present_ = bits;
    if (rest == Entry{})
        rest_.reset();
    else if (rest_)
        *rest_ = std::move(rest);
    else
        rest_ = std::make_unique<Entry>(std::move(rest));
}

Entry CompactEntry::expand() const
{
    Entry e = rest_ ? *rest_ : Entry{};
    auto give = [&](auto value, Bit bit, auto& to) {
        if (has(bit))
            to = value;
    };
    e.family = family_;
    if (has(OrigPacked))
        e.orig = orig_.unpack();
    if (has(ReplyPacked))
        e.reply = reply_.unpack();
    give(status_, Status, e.status);
    give(timeout_, Timeout, e.timeout);
    give(mark_, Mark, e.mark);
    give(id_, Id, e.id);
    give(zone_, Zone, e.zone);
    give(countersOrig_, CountersOrig, e.countersOrig);
    give(countersReply_, CountersReply, e.countersReply);
    if (has(TimestampStart))
        e.timestamps = Timestamps{timestampStart_, std::nullopt};
    if (has(SynproxyZero))
        e.synproxy = Synproxy{};
    if (has(Tcp)) {
        TcpInfo& tcp = e.tcp.emplace();
        give(tcpState_, TcpState, tcp.state);
        give(wscaleOrig_, WscaleOrig, tcp.wscaleOrig);
        give(wscaleReply_, WscaleReply, tcp.wscaleReply);
        give(flagsOrig_, FlagsOrig, tcp.flagsOrig);
        give(flagsReply_, FlagsReply, tcp.flagsReply);
    }
    return e;
}

} // namespace ctd::sync
