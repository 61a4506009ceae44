// conntrackd 1.4.7 datagram -> messages, mirroring channel_handler_routine() (sync-mode.c)
// for the framing and msg2ct()/msg2exp() (parse.c) for the attributes, with the same
// size rules. Bytes are only read after a bounds check against the message length.
#include "sync_wire.hpp"
#include "format/proto_names.hpp"
#include "wire_bytes.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace ctd::sync {
namespace {

using wire::be16;
using wire::be32;
using wire::RawAttr;

// Exact payload sizes of the fixed-size attributes (h[].size - 4 of parse.c); -1 is
// variable (helper, labels), 0 unused.
constexpr int kCtSize[nta::Max] = {
    8, 32, 1, 4, 1, 4, 4, 4, // Ipv4 .. Mark
    8, 32, 1, 4, // master
    4, 4, 2, 2, // snat, dnat, spat, dpat
    24, 1, 4, 4, // seqadj, sctp
    1, 1, 1, 1, 2, 1, 1, // dccp, icmp, wscale
    -1, -1, 16, 16, 12, 2, // helper, labels, nat6, synproxy, zone
};
constexpr int kExpSize[nta::ExpMax] = {
    8, 32, 1, 4, 8, 32, 1, 4, 8, 32, 1, 4, // master, expect, mask
    4, 4, 4, 8, 4, 1, 4, // timeout, flags, class, nat ip/port/l4/dir
    -1, -1, // helper, fn
};

struct AttrError {
    std::string text;
};

// Walks the attributes as msg2ct does: stops when 4 bytes or fewer remain (they are
// ignored), fails on nta_len < 4, nta_len beyond the message, unknown type, wrong size.
template <typename F>
bool forEachAttr(const uint8_t* p, size_t len, uint16_t max, const int* sizes, F&& fn, std::string& err)
{
    long remain = long(len);
    while (remain > long(nta::kHeader)) {
        RawAttr a{be16(p + 2), be16(p), p + nta::kHeader};
        if (a.len > remain) {
            err = "attribute length beyond message";
            return false;
        }
        if (a.len < nta::kHeader) {
            err = "attribute length below header";
            return false;
        }
        if (a.type >= max) {
            err = "unknown attribute " + std::to_string(a.type);
            return false;
        }
        int want = sizes[a.type];
        if (want >= 0 && a.size() != size_t(want)) {
            err = "attribute " + std::to_string(a.type) + " has wrong size";
            return false;
        }
        if (!fn(a, err))
            return false;
        size_t step = nta::align4(a.len);
        remain -= long(step);
        p += step;
    }
    return true;
}

void setAddr(Address& a, uint8_t family, const uint8_t* p)
{
    a = Address{};
    a.family = family;
    std::copy_n(p, family == AF_INET ? 4 : 16, a.bytes.begin());
}

void setPair(Tuple& t, uint8_t family, const uint8_t* p)
{
    size_t n = family == AF_INET ? 4 : 16;
    setAddr(t.src, family, p);
    setAddr(t.dst, family, p + n);
}

void setPorts(Tuple& t, const uint8_t* p)
{
    t.sport = be16(p);
    t.dport = be16(p + 2);
}

std::string cString(const RawAttr& a)
{
    // strncpy semantics, bounded by the attribute
    const char* s = reinterpret_cast<const char*>(a.data);
    return std::string(s, std::find(s, s + a.size(), '\0'));
}

bool isIcmp(uint8_t p) { return p == IPPROTO_ICMP || p == IPPROTO_ICMPV6; }

struct CtAttrs {
    std::optional<Address> snat, dnat;
    std::optional<uint16_t> spat, dpat;
};

bool decodeCt(const uint8_t* p, size_t len, Entry& e, std::string& err)
{
    CtAttrs nat;
    std::optional<uint8_t> l4;
    bool haveAddr = false;
    auto tcp = [&]() -> TcpInfo& { return e.tcp ? *e.tcp : e.tcp.emplace(); };
    auto sctp = [&]() -> SctpInfo& { return e.sctp ? *e.sctp : e.sctp.emplace(); };
    auto dccp = [&]() -> DccpInfo& { return e.dccp ? *e.dccp : e.dccp.emplace(); };
    auto master = [&]() -> Tuple& { return e.master ? *e.master : e.master.emplace(); };
    auto fn = [&](const RawAttr& a, std::string&) {
        const uint8_t* d = a.data;
        switch (a.type) {
        case nta::Ipv4: e.family = AF_INET; setPair(e.orig, AF_INET, d); haveAddr = true; break;
        case nta::Ipv6: e.family = AF_INET6; setPair(e.orig, AF_INET6, d); haveAddr = true; break;
        case nta::L4Proto: l4 = d[0]; break;
        case nta::Port: setPorts(e.orig, d); break;
        case nta::TcpState: tcp().state = d[0]; break;
        case nta::Status: e.status = be32(d); break;
        case nta::Timeout: e.timeout = be32(d); break;
        case nta::Mark: e.mark = be32(d); break;
        case nta::MasterIpv4: setPair(master(), AF_INET, d); break;
        case nta::MasterIpv6: setPair(master(), AF_INET6, d); break;
        case nta::MasterL4Proto: master().protocol = d[0]; break;
        case nta::MasterPort: setPorts(master(), d); break;
        case nta::SnatIpv4: setAddr(nat.snat.emplace(), AF_INET, d); break;
        case nta::DnatIpv4: setAddr(nat.dnat.emplace(), AF_INET, d); break;
        case nta::SnatIpv6: setAddr(nat.snat.emplace(), AF_INET6, d); break;
        case nta::DnatIpv6: setAddr(nat.dnat.emplace(), AF_INET6, d); break;
        case nta::SpatPort: nat.spat = wire::le16(d); break;
        case nta::DpatPort: nat.dpat = wire::le16(d); break;
        case nta::NatSeqAdj:
            e.seqAdjOrig = SeqAdjust{be32(d), be32(d + 4), be32(d + 8)};
            e.seqAdjReply = SeqAdjust{be32(d + 12), be32(d + 16), be32(d + 20)};
            break;
        case nta::SctpState: sctp().state = d[0]; break;
        case nta::SctpVtagOrig: sctp().vtagOrig = be32(d); break;
        case nta::SctpVtagRepl: sctp().vtagReply = be32(d); break;
        case nta::DccpState: dccp().state = d[0]; break;
        case nta::DccpRole: dccp().role = d[0]; break;
        case nta::IcmpType: e.orig.icmpType = d[0]; break;
        case nta::IcmpCode: e.orig.icmpCode = d[0]; break;
        case nta::IcmpId: e.orig.icmpId = wire::le16(d); break;
        case nta::TcpWscaleOrig: tcp().wscaleOrig = d[0]; break;
        case nta::TcpWscaleRepl: tcp().wscaleReply = d[0]; break;
        case nta::HelperName:
            if (a.len > nta::kHelperMaxLen) {
                err = "helper name too long";
                return false;
            }
            if (a.size() > 0)
                e.helper = cString(a);
            break;
        case nta::Labels:
            if (a.len > nta::kLabelsMaxLen) {
                err = "labels too long";
                return false;
            }
            // ct_parse_clabel ignores (without error) an empty or unaligned bitmap
            if (a.size() == 0 || a.size() % 4)
                break;
            e.labels.assign(a.size(), 0);
            for (size_t i = 0; i < a.size(); i += 4) {
                uint32_t w = be32(d + i);
                for (size_t k = 0; k < 4; ++k)
                    e.labels[i + k] = uint8_t(w >> (8 * k)); // back to host order
            }
            break;
        case nta::Synproxy: e.synproxy = Synproxy{be32(d + 4), be32(d), be32(d + 8)}; break;
        case nta::Zone: e.zone = be16(d); break;
        }
        return true;
    };
    if (!forEachAttr(p, len, nta::Max, kCtSize, fn, err))
        return false;
    if (!haveAddr || !l4) {
        err = "missing mandatory attribute (addresses or layer 4 protocol)";
        return false;
    }
    e.orig.protocol = l4;
    if (e.master && !e.master->src.family) {
        err = "master tuple without addresses";
        return false;
    }
    e.reply = replyTupleOf(e.orig);
    // libnetfilter_conntrack turns SNAT/DNAT attributes into CTA_NAT_SRC/DST with only the
    // minimum address, and ports (min = max) only for TCP and UDP (__build_protonat).
    bool natPorts = *l4 == IPPROTO_TCP || *l4 == IPPROTO_UDP;
    auto range = [&](const std::optional<Address>& a, std::optional<uint16_t> port) -> std::optional<NatRange> {
        NatRange r;
        if (a)
            r.minAddr = *a;
        if (port && natPorts)
            r.minPort = r.maxPort = port;
        if (!a && !r.minPort)
            return std::nullopt;
        return r;
    };
    e.snat = range(nat.snat, nat.spat);
    e.dnat = range(nat.dnat, nat.dpat);
    return true;
}

bool decodeExp(const uint8_t* p, size_t len, Expectation& x, std::string& err)
{
    bool haveMaster = false;
    auto natT = [&]() -> ExpectationNat& { return x.nat ? *x.nat : x.nat.emplace(); };
    auto fn = [&](const RawAttr& a, std::string& e) {
        const uint8_t* d = a.data;
        switch (a.type) {
        case nta::ExpMasterIpv4: x.family = AF_INET; setPair(x.master, AF_INET, d); haveMaster = true; break;
        case nta::ExpMasterIpv6: x.family = AF_INET6; setPair(x.master, AF_INET6, d); haveMaster = true; break;
        case nta::ExpMasterL4Proto: x.master.protocol = d[0]; break;
        case nta::ExpMasterPort: setPorts(x.master, d); break;
        case nta::ExpExpectIpv4: setPair(x.tuple, AF_INET, d); break;
        case nta::ExpExpectIpv6: setPair(x.tuple, AF_INET6, d); break;
        case nta::ExpExpectL4Proto: x.tuple.protocol = d[0]; break;
        case nta::ExpExpectPort: setPorts(x.tuple, d); break;
        case nta::ExpMaskIpv4: setPair(x.mask, AF_INET, d); break;
        case nta::ExpMaskIpv6: setPair(x.mask, AF_INET6, d); break;
        case nta::ExpMaskL4Proto: x.mask.protocol = d[0]; break;
        case nta::ExpMaskPort: setPorts(x.mask, d); break;
        case nta::ExpTimeout: x.timeout = be32(d); break;
        case nta::ExpFlags: x.flags = be32(d); break;
        case nta::ExpClass: x.expectClass = be32(d); break;
        case nta::ExpNatIpv4: setPair(natT().tuple, AF_INET, d); break;
        case nta::ExpNatPort: setPorts(natT().tuple, d); break;
        case nta::ExpNatL4Proto: natT().tuple.protocol = d[0]; break;
        case nta::ExpNatDir: natT().dir = be32(d); break;
        case nta::ExpHelperName:
        case nta::ExpFn:
            if (a.len > (a.type == nta::ExpFn ? nta::kExpFnMaxLen : nta::kHelperMaxLen)) {
                e = "expectation string too long";
                return false;
            }
            if (a.size() > 0)
                (a.type == nta::ExpFn ? x.fn : x.helper) = cString(a);
            break;
        }
        return true;
    };
    if (!forEachAttr(p, len, nta::ExpMax, kExpSize, fn, err))
        return false;
    if (!haveMaster || !x.tuple.src.family) {
        err = "missing mandatory attribute (master or expected tuple)";
        return false;
    }
    return true;
}

void fail(DecodeResult& r, uint32_t MalformedCounts::*counter, const std::string& why, size_t offset)
{
    ++(r.malformed.*counter);
    if (r.firstError.empty())
        r.firstError = why + " (message at byte " + std::to_string(offset) + ")";
}

} // namespace

// NFCT_SOPT_SETUP_REPLY as nl_create_conntrack() applies it before the commit: the
// inverse of the original, ICMP query types mapped to their reply the way
// libnetfilter_conntrack's setter does (format/proto_names.hpp: 255 where there is none,
// which the kernel refuses, as it refuses conntrackd's commit).
Tuple replyTupleOf(const Tuple& o)
{
    Tuple r;
    r.src = o.dst;
    r.dst = o.src;
    r.protocol = o.protocol;
    r.sport = o.dport;
    r.dport = o.sport;
    if (o.protocol && isIcmp(*o.protocol) && o.icmpType) {
        r.icmpType = invertIcmpType(*o.protocol, *o.icmpType).value_or(255);
        r.icmpCode = o.icmpCode;
        r.icmpId = o.icmpId;
    }
    return r;
}

DecodeResult decodeDatagram(const uint8_t* data, size_t len)
{
    DecodeResult r;
    size_t off = 0;
    while (off < len) {
        const uint8_t* p = data + off;
        size_t remain = len - off;
        // Framing errors end the datagram: conntrackd breaks out of its loop.
        if (remain < kHeaderSize) {
            fail(r, &MalformedCounts::truncated, "truncated header", off);
            break;
        }
        SyncMessage m;
        m.version = p[0] >> 4;
        m.type = p[0] & 0x0f;
        m.flags = p[1];
        size_t mlen = be16(p + 2);
        m.seq = be32(p + 4);
        if (mlen == 0 || mlen > remain) {
            fail(r, &MalformedCounts::badSize, "bad message length " + std::to_string(mlen), off);
            break;
        }
        bool ranged = hasRange(m.type, m.flags);
        if (ranged && remain < kAckHeaderSize) {
            fail(r, &MalformedCounts::truncated, "truncated control header", off);
            break;
        }
        if (mlen < (ranged ? kAckHeaderSize : kHeaderSize)) {
            fail(r, &MalformedCounts::badSize, "message shorter than its header", off);
            break;
        }
        off += mlen;
        // Content errors skip only this message.
        if (m.version != kProtocolVersion) {
            fail(r, &MalformedCounts::badVersion, "bad version " + std::to_string(m.version), off - mlen);
            continue;
        }
        if (m.type == msg::Control) {
            if (!(m.flags & (flag::Ack | flag::Nack | flag::Resync | flag::Alive))) {
                fail(r, &MalformedCounts::badType, "control message without ack/nack/resync/alive", off - mlen);
                continue;
            }
            if (ranged)
                m.range = SeqRange{be32(p + 8), be32(p + 12)};
            r.messages.push_back(std::move(m));
            continue;
        }
        // IS_DATA: type 0..5 and no flags besides HELLO/HELLO_BACK
        if (m.type > msg::StateMax || (m.flags & ~(flag::Hello | flag::HelloBack))) {
            fail(r, &MalformedCounts::badType, "unknown message type " + std::to_string(m.type), off - mlen);
            continue;
        }
        std::string err;
        bool ok;
        if (m.type <= msg::CtDel)
            ok = decodeCt(p + kHeaderSize, mlen - kHeaderSize, m.entry.emplace(), err);
        else
            ok = decodeExp(p + kHeaderSize, mlen - kHeaderSize, m.expectation.emplace(), err);
        if (!ok) {
            fail(r, &MalformedCounts::badPayload, err, off - mlen);
            continue;
        }
        r.messages.push_back(std::move(m));
    }
    return r;
}

} // namespace ctd::sync
