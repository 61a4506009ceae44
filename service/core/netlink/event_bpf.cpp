#include "event_bpf.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string>

namespace ctd::nl {

namespace {

constexpr uint32_t kFirstAttr = sizeof(nlmsghdr) + sizeof(nfgenmsg);
constexpr uint32_t kAttrHeader = sizeof(nlattr);
// The high byte of nlmsg_type (host order) is the nfnetlink subsystem.
constexpr uint32_t kSubsysOffset =
    offsetof(nlmsghdr, nlmsg_type) + (std::endian::native == std::endian::little ? 1 : 0);
// A conditional jump reaches at most 255 instructions ahead; list items are emitted in
// chunks this long, each followed by its own trampoline to the list's outcome.
constexpr size_t kChunk = 200;

// Forward-only assembler with labels. Conditional jumps name labels for jt/jf (-1: the
// next instruction); `ja` takes a label. Positions are resolved by finish().
class Assembler {
public:
    int label()
    {
        at_.push_back(-1);
        return int(at_.size()) - 1;
    }
    void bind(int l) { at_[size_t(l)] = long(code_.size()); }
    size_t size() const { return code_.size(); }

    void op(uint16_t code, uint32_t k) { code_.push_back({sock_filter{code, 0, 0, k}, -1, -1}); }
    void jeq(uint32_t k, int onTrue, int onFalse)
    {
        code_.push_back({sock_filter{BPF_JMP | BPF_JEQ | BPF_K, 0, 0, k}, onTrue, onFalse});
    }
    void ja(int l) { code_.push_back({sock_filter{BPF_JMP | BPF_JA, 0, 0, 0}, l, -1}); }
    void ret(uint32_t verdict) { op(BPF_RET | BPF_K, verdict); }

    // A = offset of the top-level attribute `type` (0 when absent).
    void findTop(uint16_t type)
    {
        op(BPF_LD | BPF_W | BPF_IMM, kFirstAttr);
        op(BPF_LDX | BPF_W | BPF_IMM, type);
        op(BPF_LD | BPF_B | BPF_ABS, uint32_t(SKF_AD_OFF + SKF_AD_NLATTR));
    }
    // A = offset of the attribute `type` inside the nest whose header is at A (0 when absent).
    void findChild(uint16_t type)
    {
        op(BPF_LDX | BPF_W | BPF_IMM, type);
        op(BPF_LD | BPF_B | BPF_ABS, uint32_t(SKF_AD_OFF + SKF_AD_NLATTR_NEST));
    }
    // if A == 0 goto l, in reach whatever the distance
    void ifZero(int l)
    {
        jeq(0, -1, skipOne());
        ja(l);
    }

    Result<std::vector<sock_filter>> finish()
    {
        std::vector<sock_filter> out;
        out.reserve(code_.size());
        for (size_t i = 0; i < code_.size(); ++i) {
            const Pending& p = code_[i];
            sock_filter f = p.insn;
            auto distance = [&](int l) -> long {
                if (l == -1)
                    return 0;
                if (l == kSkipOne)
                    return 1;
                return at_[size_t(l)] - long(i) - 1;
            };
            if (BPF_CLASS(f.code) == BPF_JMP) {
                long t = distance(p.jt);
                if (BPF_OP(f.code) == BPF_JA) {
                    if (t < 0)
                        return makeError(EINVAL, "event filter: backward jump");
                    f.k = uint32_t(t);
                } else {
                    long e = distance(p.jf);
                    if (t < 0 || e < 0 || t > 255 || e > 255)
                        return makeError(EINVAL, "event filter: conditional jump out of reach");
                    f.jt = uint8_t(t);
                    f.jf = uint8_t(e);
                }
            }
            out.push_back(f);
        }
        return out;
    }

private:
    static constexpr int kSkipOne = -2;
    static int skipOne() { return kSkipOne; }
    struct Pending {
        sock_filter insn;
        int jt;
        int jf;
    };
    std::vector<Pending> code_;
    std::vector<long> at_;
};

// Emits the comparisons of a list, chunked so every jump to a match stays in reach.
// item(i, hit) emits the test of item i: a jump to `hit` on a match, fall-through
// otherwise. Accept: a match goes on to `pass`, no match drops. Ignore: a match drops,
// no match goes on. Code after this falls through to `pass`, which the caller binds.
template <typename Item>
void emitList(Assembler& a, size_t count, size_t itemSize, bool accept, int pass, Item item)
{
    const size_t perChunk = std::max<size_t>(1, kChunk / std::max<size_t>(1, itemSize));
    for (size_t first = 0; first < count; first += perChunk) {
        const int hit = a.label();
        const int next = a.label();
        for (size_t i = first; i < std::min(count, first + perChunk); ++i)
            item(i, hit);
        a.ja(next);
        a.bind(hit);
        if (accept)
            a.ja(pass);
        else
            a.ret(kEventBpfDrop);
        a.bind(next);
    }
    if (accept)
        a.ret(kEventBpfDrop);
}

// A = the byte at X + 4, compared with each value.
void emitByteList(Assembler& a, const EventBpfSpec::Values& v, int pass)
{
    a.op(BPF_MISC | BPF_TAX, 0);
    a.op(BPF_LD | BPF_B | BPF_IND, kAttrHeader);
    emitList(a, v.values.size(), 1, v.accept, pass, [&](size_t i, int hit) { a.jeq(v.values[i], hit, -1); });
}

uint32_t maskOf(unsigned bits) { return bits == 0 ? 0 : bits >= 32 ? 0xffffffffu : ~0u << (32 - bits); }

uint32_t wordOf(const Address& address, size_t w)
{
    const uint8_t* b = address.bytes.data() + 4 * w;
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

struct Masked {
    uint32_t value[4];
    uint32_t mask[4];
};

std::vector<Masked> maskedOf(const std::vector<const EventBpfPrefix*>& list, size_t words)
{
    std::vector<Masked> out;
    for (const EventBpfPrefix* p : list) {
        Masked m{};
        unsigned bits = std::min<unsigned>(p->length, unsigned(words * 32));
        for (size_t w = 0; w < words; ++w) {
            unsigned take = bits > 32 ? 32 : bits;
            bits -= take;
            m.mask[w] = maskOf(take);
            m.value[w] = wordOf(p->address, w) & m.mask[w];
        }
        out.push_back(m);
    }
    return out;
}

// X = offset of the address attribute; the address is its payload.
void emitIpv4List(Assembler& a, const std::vector<Masked>& list, bool accept, int pass)
{
    // Hosts first: one load, one compare each; then the networks, each loaded again
    // because the AND consumes A.
    std::vector<const Masked*> order;
    for (const Masked& m : list)
        if (m.mask[0] == 0xffffffffu)
            order.push_back(&m);
    const size_t hosts = order.size();
    for (const Masked& m : list)
        if (m.mask[0] != 0xffffffffu)
            order.push_back(&m);
    a.op(BPF_LD | BPF_W | BPF_IND, kAttrHeader);
    emitList(a, order.size(), 3, accept, pass, [&](size_t i, int hit) {
        const Masked& m = *order[i];
        if (i < hosts) {
            a.jeq(m.value[0], hit, -1);
        } else if (m.mask[0] == 0) {
            a.ja(hit);
        } else {
            a.op(BPF_LD | BPF_W | BPF_IND, kAttrHeader);
            a.op(BPF_ALU | BPF_AND | BPF_K, m.mask[0]);
            a.jeq(m.value[0], hit, -1);
        }
    });
}

void emitIpv6List(Assembler& a, const std::vector<Masked>& list, bool accept, int pass)
{
    emitList(a, list.size(), 12, accept, pass, [&](size_t i, int hit) {
        const Masked& m = list[i];
        int last = -1;
        for (int w = 0; w < 4; ++w)
            if (m.mask[w] != 0)
                last = w;
        if (last < 0) { // ::/0
            a.ja(hit);
            return;
        }
        const int miss = a.label();
        for (int w = 0; w <= last; ++w) {
            if (m.mask[w] == 0)
                continue;
            a.op(BPF_LD | BPF_W | BPF_IND, kAttrHeader + 4 * uint32_t(w));
            if (m.mask[w] != 0xffffffffu)
                a.op(BPF_ALU | BPF_AND | BPF_K, m.mask[w]);
            if (w == last)
                a.jeq(m.value[w], hit, -1);
            else
                a.jeq(m.value[w], -1, miss);
        }
        a.bind(miss);
    });
}

void emitProtocols(Assembler& a, const EventBpfSpec::Values& v)
{
    const int done = a.label();
    a.findTop(CTA_TUPLE_ORIG);
    a.ifZero(done);
    a.findChild(CTA_TUPLE_PROTO);
    a.ifZero(done);
    a.findChild(CTA_PROTO_NUM);
    a.ifZero(done);
    emitByteList(a, v, done);
    a.bind(done);
}

void emitTcpStates(Assembler& a, const EventBpfSpec::Values& v)
{
    const int done = a.label();
    a.findTop(CTA_PROTOINFO);
    a.ifZero(done);
    a.findChild(CTA_PROTOINFO_TCP);
    a.ifZero(done);
    a.findChild(CTA_PROTOINFO_TCP_STATE);
    a.ifZero(done);
    emitByteList(a, v, done);
    a.bind(done);
}

// The original tuple's source and destination, each against the prefixes of its own
// family: Accept needs both listed, Ignore neither. A family without prefixes lists
// nothing, so `Accept { 10.0.0.0/8 }` drops IPv6 events and `Accept { 2001:db8::/32 }`
// IPv4 ones; an event without addresses is not listed either.
void emitAddresses(Assembler& a, const std::vector<Masked>& v4, const std::vector<Masked>& v6, bool accept)
{
    const int done = a.label();
    const int notListed = a.label();
    const int ipv6 = a.label();
    auto family = [&](const std::vector<Masked>& list, uint16_t dstType, auto emitOne) {
        if (list.empty()) {
            if (accept)
                a.ret(kEventBpfDrop);
            else
                a.ja(done);
            return;
        }
        const int srcDone = a.label();
        const int dstDone = a.label();
        a.op(BPF_MISC | BPF_TAX, 0);
        emitOne(a, list, accept, srcDone);
        a.bind(srcDone);
        a.op(BPF_LD | BPF_MEM, 0);
        a.findChild(dstType);
        a.ifZero(notListed);
        a.op(BPF_MISC | BPF_TAX, 0);
        emitOne(a, list, accept, dstDone);
        a.bind(dstDone);
        a.ja(done);
    };
    a.findTop(CTA_TUPLE_ORIG);
    a.ifZero(notListed);
    a.findChild(CTA_TUPLE_IP);
    a.ifZero(notListed);
    a.op(BPF_ST, 0); // M[0] = the CTA_TUPLE_IP nest
    a.findChild(CTA_IP_V4_SRC);
    a.ifZero(ipv6);
    family(v4, CTA_IP_V4_DST, emitIpv4List);
    a.bind(ipv6);
    a.op(BPF_LD | BPF_MEM, 0);
    a.findChild(CTA_IP_V6_SRC);
    a.ifZero(notListed);
    family(v6, CTA_IP_V6_DST, emitIpv6List);
    a.bind(notListed);
    if (accept)
        a.ret(kEventBpfDrop);
    a.bind(done);
}

} // namespace

Result<std::vector<sock_filter>> buildEventBpf(const EventBpfSpec& spec)
{
    std::vector<const EventBpfPrefix*> v4, v6;
    if (spec.addresses)
        for (const EventBpfPrefix& p : spec.addresses->prefixes) {
            if (p.address.family == AF_INET)
                v4.push_back(&p);
            else if (p.address.family == AF_INET6)
                v6.push_back(&p);
        }
    const bool protocols = spec.protocols && !spec.protocols->values.empty();
    const bool states = spec.tcpStates && !spec.tcpStates->values.empty();
    if (!protocols && !states && v4.empty() && v6.empty())
        return std::vector<sock_filter>{};

    Assembler a;
    // Anything but a ctnetlink message (expectations, netlink control) passes.
    const int conntrack = a.label();
    a.op(BPF_LD | BPF_B | BPF_ABS, kSubsysOffset);
    a.jeq(NFNL_SUBSYS_CTNETLINK, conntrack, -1);
    a.ret(kEventBpfAccept);
    a.bind(conntrack);
    if (protocols)
        emitProtocols(a, *spec.protocols);
    if (!v4.empty() || !v6.empty())
        emitAddresses(a, maskedOf(v4, 1), maskedOf(v6, 4), spec.addresses->accept);
    if (states)
        emitTcpStates(a, *spec.tcpStates);
    a.ret(kEventBpfAccept);

    if (a.size() > kEventBpfMaxInstructions)
        return makeError(E2BIG, "event filter needs " + std::to_string(a.size()) + " BPF instructions, the kernel takes " +
                                    std::to_string(kEventBpfMaxInstructions));
    return a.finish();
}

} // namespace ctd::nl
