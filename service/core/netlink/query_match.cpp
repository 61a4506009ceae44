#include "query_match.hpp"

#include <netinet/in.h>

namespace ctd::nl {

namespace {

constexpr uint32_t kSrcNatDone = 1u << 7; // IPS_SRC_NAT_DONE
constexpr uint32_t kDstNatDone = 1u << 8; // IPS_DST_NAT_DONE

template <typename T>
bool same(const std::optional<T>& want, const std::optional<T>& have)
{
    return !want || (have && *have == *want);
}

bool prefixOk(const std::optional<Prefix>& p, const Address& a) { return !p || prefixContains(*p, a); }

// libnetfilter_conntrack's NFCT_GOPT_IS_SNAT / IS_SPAT / IS_DNAT / IS_DPAT.
bool isSnat(const Entry& e) { return (e.status.value_or(0) & kSrcNatDone) && e.reply.dst != e.orig.src; }
bool isSpat(const Entry& e) { return (e.status.value_or(0) & kSrcNatDone) && e.reply.dport != e.orig.sport; }
bool isDnat(const Entry& e) { return (e.status.value_or(0) & kDstNatDone) && e.reply.src != e.orig.dst; }
bool isDpat(const Entry& e) { return (e.status.value_or(0) & kDstNatDone) && e.reply.sport != e.orig.dport; }

// Mirrors conntrack 1.4.7 filter_nat() for one direction.
bool natSide(const NatFilter& f, const Entry& e, bool source)
{
    bool nat = source ? isSnat(e) : isDnat(e);
    bool pat = source ? isSpat(e) : isDpat(e);
    const Address& translated = source ? e.reply.dst : e.reply.src;
    const std::optional<uint16_t>& translatedPort = source ? e.reply.dport : e.reply.sport;
    if (!f.addr && !f.port)
        return nat || pat;
    bool ok = true;
    if (f.addr)
        ok = nat && translated == *f.addr;
    if (f.port)
        ok = ok && pat && translatedPort == f.port;
    return ok;
}

bool natOk(const NatFilter& f, const Entry& e)
{
    switch (f.kind) {
    case NatKind::Snat:
        return natSide(f, e, true);
    case NatKind::Dnat:
        return natSide(f, e, false);
    case NatKind::Any:
        return natSide(f, e, true) || natSide(f, e, false);
    }
    return false;
}

std::optional<uint8_t> protoState(const Entry& e)
{
    if (e.tcp && e.tcp->state)
        return e.tcp->state;
    if (e.sctp && e.sctp->state)
        return e.sctp->state;
    if (e.dccp && e.dccp->state)
        return e.dccp->state;
    return std::nullopt;
}

bool labelsOk(const std::vector<uint8_t>& want, const std::vector<uint8_t>& have)
{
    for (size_t i = 0; i < want.size(); ++i) {
        uint8_t h = i < have.size() ? have[i] : 0;
        if ((h & want[i]) != want[i])
            return false;
    }
    return true;
}

} // namespace

bool prefixContains(const Prefix& p, const Address& a)
{
    if (a.family != p.addr.family)
        return false;
    if (p.mask) {
        // conntrack 1.4.7 nfct_ip_net_cmp(): (address & netmask) == network, any netmask.
        const size_t n = a.family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < n; ++i)
            if ((a.bytes[i] & p.mask->bytes[i]) != (p.addr.bytes[i] & p.mask->bytes[i]))
                return false;
        return true;
    }
    unsigned bits = p.length;
    for (size_t i = 0; bits > 0; ++i, bits = bits > 8 ? bits - 8 : 0) {
        uint8_t mask = bits >= 8 ? 0xff : uint8_t(0xff << (8 - bits));
        if ((a.bytes[i] & mask) != (p.addr.bytes[i] & mask))
            return false;
    }
    return true;
}

uint16_t zoneIdOf(const Entry& e)
{
    if (e.zone)
        return *e.zone;
    if (e.orig.zone)
        return *e.orig.zone;
    return e.reply.zone.value_or(0);
}

bool matches(const Query& q, const Entry& e)
{
    if (q.family && e.family != *q.family)
        return false;
    if (!same(q.protocol, e.orig.protocol))
        return false;
    if (!prefixOk(q.src, e.orig.src) || !prefixOk(q.dst, e.orig.dst) || !prefixOk(q.replySrc, e.reply.src) ||
        !prefixOk(q.replyDst, e.reply.dst))
        return false;
    if (!same(q.sport, e.orig.sport) || !same(q.dport, e.orig.dport) || !same(q.replySport, e.reply.sport) ||
        !same(q.replyDport, e.reply.dport))
        return false;
    if (!same(q.icmpType, e.orig.icmpType) || !same(q.icmpCode, e.orig.icmpCode) || !same(q.icmpId, e.orig.icmpId))
        return false;
    if (q.zone && zoneIdOf(e) != *q.zone)
        return false;
    // Directional zones only, as libnetfilter_conntrack's non-strict compare does: an
    // entry without a CTA_TUPLE_ZONE in that direction is not filtered out.
    if (q.origZone && e.orig.zone && *e.orig.zone != *q.origZone)
        return false;
    if (q.replyZone && e.reply.zone && *e.reply.zone != *q.replyZone)
        return false;
    if (q.mark && (e.mark.value_or(0) & q.mark->mask) != (q.mark->value & q.mark->mask))
        return false;
    if (q.status && (e.status.value_or(0) & *q.status) != *q.status)
        return false;
    if (q.statusClear && (e.status.value_or(0) & *q.statusClear) != 0)
        return false;
    if (q.state && protoState(e) != q.state)
        return false;
    if (!q.labels.empty() && !labelsOk(q.labels, e.labels))
        return false;
    for (const auto& n : q.nat)
        if (!natOk(n, e))
            return false;
    if (q.id && e.id != q.id)
        return false;
    // Non-strict like libnetfilter_conntrack's cmp_secmark under conntrack 1.4.7: an
    // entry without CTA_SECMARK is not filtered out.
    if (q.secmark && e.secmark && *e.secmark != *q.secmark)
        return false;
    return true;
}

} // namespace ctd::nl
