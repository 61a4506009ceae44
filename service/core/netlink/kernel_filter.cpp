#include "kernel_filter.hpp"

#include "ctnl_constants.hpp"

#include <netinet/in.h>

namespace ctd::nl {

namespace {

uint8_t fullLength(uint8_t family) { return family == AF_INET ? 32 : 128; }

// The family the query's addresses pin down: 0 none, 0xff contradictory.
uint8_t familyFromAddresses(const Query& q)
{
    uint8_t fam = 0;
    auto note = [&](uint8_t f) {
        if (!f)
            return;
        fam = (fam == 0 || fam == f) ? f : 0xff;
    };
    for (const auto* p : {&q.src, &q.dst, &q.replySrc, &q.replyDst})
        if (*p)
            note((*p)->addr.family);
    for (const auto& n : q.nat)
        if (n.addr)
            note(n.addr->family);
    return fam;
}

// Ports are compared by the kernel only for TCP and UDP (ctnetlink_filter_match_tuple);
// for other protocols the flag is accepted and ignored, which would widen a delete.
bool kernelComparesPorts(std::optional<uint8_t> proto)
{
    return proto && (*proto == IPPROTO_TCP || *proto == IPPROTO_UDP);
}

struct Side {
    const std::optional<Prefix>& src;
    const std::optional<Prefix>& dst;
    const std::optional<uint16_t>& sport;
    const std::optional<uint16_t>& dport;
    const std::optional<uint16_t>& zone;
};

// Fills one direction's flags and values; clears exact for what stays in userspace.
void planSide(const Query& q, const Side& side, uint8_t family, const KernelCaps& caps, uint32_t& flags, Tuple& t,
              bool& exact)
{
    auto addr = [&](const std::optional<Prefix>& p, uint32_t flag, Address& out) {
        if (!p)
            return;
        // A non-contiguous netmask has no CTA_FILTER form: the kernel compares whole
        // addresses only.
        bool full = !p->mask && p->length == fullLength(family) && p->addr.family == family;
        bool allowed = family == AF_INET || caps.ipv6AddressFilter;
        if (full && allowed) {
            flags |= flag;
            out = p->addr;
        } else {
            exact = false;
        }
    };
    addr(side.src, filter_flag::IpSrc, t.src);
    addr(side.dst, filter_flag::IpDst, t.dst);

    bool portsOk = kernelComparesPorts(q.protocol);
    auto port = [&](const std::optional<uint16_t>& v, uint32_t flag, std::optional<uint16_t>& out) {
        if (!v)
            return;
        if (portsOk) {
            flags |= flag;
            out = v;
        } else {
            exact = false;
        }
    };
    port(side.sport, filter_flag::ProtoSrcPort, t.sport);
    port(side.dport, filter_flag::ProtoDstPort, t.dport);

    if (side.zone) {
        if (caps.tupleZoneFilter) {
            flags |= filter_flag::TupleZone;
            t.zone = side.zone;
        } else {
            exact = false;
        }
    }
}

void planIcmp(const Query& q, uint8_t family, uint32_t& flags, Tuple& t, bool& exact)
{
    if (!q.icmpType && !q.icmpCode && !q.icmpId)
        return;
    bool v4 = family == AF_INET && q.protocol == IPPROTO_ICMP;
    bool v6 = family == AF_INET6 && q.protocol == IPPROTO_ICMPV6;
    if (!v4 && !v6) {
        exact = false;
        return;
    }
    if (q.icmpType) {
        flags |= v4 ? filter_flag::IcmpType : filter_flag::Icmpv6Type;
        t.icmpType = q.icmpType;
    }
    if (q.icmpCode) {
        flags |= v4 ? filter_flag::IcmpCode : filter_flag::Icmpv6Code;
        t.icmpCode = q.icmpCode;
    }
    if (q.icmpId) {
        flags |= v4 ? filter_flag::IcmpId : filter_flag::Icmpv6Id;
        t.icmpId = q.icmpId;
    }
}

KernelFilter planFamily(const Query& q, uint8_t family, const KernelCaps& caps, bool& exact)
{
    KernelFilter f;
    f.family = family;
    planSide(q, {q.src, q.dst, q.sport, q.dport, q.origZone}, family, caps, f.origFlags, f.orig, exact);
    planSide(q, {q.replySrc, q.replyDst, q.replySport, q.replyDport, q.replyZone}, family, caps, f.replyFlags,
             f.reply, exact);
    planIcmp(q, family, f.origFlags, f.orig, exact);
    // The kernel insists on PROTO_NUM beside any port or ICMP flag (EINVAL otherwise),
    // and a protocol alone is worth filtering too.
    if (q.protocol) {
        f.origFlags |= filter_flag::ProtoNum;
        f.orig.protocol = q.protocol;
        if (f.replyFlags & ~(filter_flag::IpSrc | filter_flag::IpDst | filter_flag::TupleZone)) {
            f.replyFlags |= filter_flag::ProtoNum;
            f.reply.protocol = q.protocol;
        }
    }
    return f;
}

} // namespace

FilterPlan planKernelFilter(const Query& q, const KernelCaps& caps)
{
    FilterPlan plan;
    if (q.table != TableKind::Conntrack) {
        // The dying and unconfirmed dumps take no filter beyond the family.
        KernelFilter f;
        f.family = q.family.value_or(0);
        plan.requests.push_back(f);
        plan.exact = false;
        return plan;
    }

    // A bit that must be both set and clear selects nothing; the kernel's masked compare
    // would keep the "set" half, so never let it near a delete.
    if (q.status.value_or(0) & q.statusClear.value_or(0))
        return {{}, true};

    uint8_t fromAddr = familyFromAddresses(q);
    if (fromAddr == 0xff || (q.family && fromAddr && *q.family != fromAddr))
        return {{}, true}; // contradictory: matches nothing
    std::optional<uint8_t> family = q.family;
    if (!family && fromAddr)
        family = fromAddr;

    bool exact = true;
    // Query fields the kernel never sees.
    if (q.state || !q.labels.empty() || !q.nat.empty() || q.id || q.secmark)
        exact = false;

    auto shared = [&](KernelFilter& f) {
        if (q.mark && q.mark->mask != 0) {
            f.mark = Masked32{q.mark->value & q.mark->mask, q.mark->mask};
        }
        // The kernel keeps an entry when (status & mask) == value, so "set" bits go in
        // both and "clear" bits in the mask only (ctnetlink_filter_match()).
        const uint32_t set = q.status.value_or(0), clear = q.statusClear.value_or(0);
        if ((set | clear) != 0)
            f.status = Masked32{set, set | clear};
        if (q.zone) {
            if (caps.zoneFilter)
                f.zone = q.zone;
            else
                exact = false;
        }
    };

    std::vector<uint8_t> families;
    if (family) {
        families.push_back(*family);
    } else {
        bool probeExact = true;
        KernelFilter probe = planFamily(q, AF_INET, caps, probeExact);
        if (probe.needsCtaFilter())
            families = {AF_INET, AF_INET6}; // CTA_FILTER refuses AF_UNSPEC
        else {
            // Nothing needs a concrete family: one AF_UNSPEC walk; the probe still tells
            // whether the non-address fields were all expressible.
            families.push_back(0);
            exact = exact && probeExact;
        }
    }
    for (uint8_t fam : families) {
        bool famExact = true;
        KernelFilter f = fam ? planFamily(q, fam, caps, famExact) : KernelFilter{};
        if (!fam)
            f.family = 0;
        shared(f);
        exact = exact && famExact;
        plan.requests.push_back(f);
    }
    plan.exact = exact;
    return plan;
}

} // namespace ctd::nl
