// A small classic BPF interpreter for the unit tests: the instructions event_bpf emits,
// with the kernel's semantics (a load out of the packet ends the program with 0; the
// SKF_AD_NLATTR and SKF_AD_NLATTR_NEST ancillary loads as net/core/filter.c's
// bpf_skb_get_nlattr[_nest] on a linear skb, with lib/nlattr.c's nla_find). Anything
// else is reported as unsupported rather than guessed at.
#pragma once

#include <cstdint>
#include <cstring>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <optional>
#include <string>
#include <vector>

namespace ctd::test {

struct CbpfRun {
    uint32_t verdict = 0;
    std::string error; // non-empty: the program did something this interpreter refuses
    size_t steps = 0;
};

// What bpf_check_classic() insists on, as far as these programs go: a length in
// 1..BPF_MAXINSNS, jumps inside the program, a RET last, memory slots in range and stored
// before loaded on every path (checked here along the straight-line order, which is
// enough for forward-only programs walked in order).
inline std::optional<std::string> checkCbpf(const std::vector<sock_filter>& p)
{
    if (p.empty() || p.size() > BPF_MAXINSNS)
        return "length " + std::to_string(p.size());
    // memValid[i]: slots surely stored on every path reaching i (bit per slot)
    std::vector<uint32_t> valid(p.size() + 1, ~0u);
    valid[0] = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const sock_filter& f = p[i];
        uint32_t mem = valid[i];
        auto flow = [&](size_t target, uint32_t m) {
            if (target < valid.size())
                valid[target] &= m;
        };
        switch (BPF_CLASS(f.code)) {
        case BPF_ST:
        case BPF_STX:
            if (f.k >= BPF_MEMWORDS)
                return "store slot at " + std::to_string(i);
            mem |= 1u << f.k;
            break;
        case BPF_LD:
        case BPF_LDX:
            if (BPF_MODE(f.code) == BPF_MEM) {
                if (f.k >= BPF_MEMWORDS)
                    return "load slot at " + std::to_string(i);
                if (!(mem & (1u << f.k)))
                    return "load of a slot not stored at " + std::to_string(i);
            }
            break;
        default: break;
        }
        if (BPF_CLASS(f.code) == BPF_JMP) {
            if (BPF_OP(f.code) == BPF_JA) {
                if (i + 1 + f.k >= p.size())
                    return "jump out of the program at " + std::to_string(i);
                flow(i + 1 + f.k, mem);
            } else {
                if (i + 1 + f.jt >= p.size() || i + 1 + f.jf >= p.size())
                    return "jump out of the program at " + std::to_string(i);
                flow(i + 1 + f.jt, mem);
                flow(i + 1 + f.jf, mem);
            }
        } else if (BPF_CLASS(f.code) != BPF_RET) {
            flow(i + 1, mem);
        }
    }
    if (BPF_CLASS(p.back().code) != BPF_RET)
        return "last instruction is no RET";
    return std::nullopt;
}

namespace cbpf_detail {

inline uint16_t u16At(const uint8_t* p)
{
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// lib/nlattr.c nla_find over [head, head + len)
inline uint32_t nlaFind(const uint8_t* base, uint32_t start, int len, uint32_t type)
{
    uint32_t pos = start;
    int rem = len;
    while (rem >= 4) {
        uint16_t nlaLen = u16At(base + pos);
        uint16_t nlaType = u16At(base + pos + 2) & NLA_TYPE_MASK;
        if (nlaLen < 4 || nlaLen > rem)
            break;
        if (nlaType == type)
            return pos;
        uint32_t total = (uint32_t(nlaLen) + 3) & ~3u;
        rem -= int(total);
        pos += total;
    }
    return 0;
}

inline uint32_t nlattr(const uint8_t* data, uint32_t len, uint32_t a, uint32_t x)
{
    if (len < 4 || a > len - 4)
        return 0;
    return nlaFind(data, a, int(len - a), x);
}

inline uint32_t nlattrNest(const uint8_t* data, uint32_t len, uint32_t a, uint32_t x)
{
    if (len < 4 || a > len - 4)
        return 0;
    uint16_t nlaLen = u16At(data + a);
    if (nlaLen < 4 || nlaLen > len - a) // nla_ok(nla, skb->len - a)
        return 0;
    return nlaFind(data, a + 4, int(nlaLen) - 4, x);
}

} // namespace cbpf_detail

inline CbpfRun runCbpf(const std::vector<sock_filter>& p, const uint8_t* data, size_t size)
{
    using namespace cbpf_detail;
    CbpfRun out;
    const uint32_t len = uint32_t(size);
    uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {};
    auto load = [&](uint32_t off, uint32_t width, uint32_t& dst) -> bool {
        if (off > len || width > len - off)
            return false;
        uint32_t v = 0;
        for (uint32_t i = 0; i < width; ++i)
            v = v << 8 | data[off + i];
        dst = v;
        return true;
    };
    auto width = [](uint16_t code) -> uint32_t {
        switch (BPF_SIZE(code)) {
        case BPF_W: return 4;
        case BPF_H: return 2;
        case BPF_B: return 1;
        }
        return 0;
    };
    for (size_t pc = 0; pc < p.size(); ++pc) {
        ++out.steps;
        const sock_filter& f = p[pc];
        const uint16_t c = f.code;
        switch (c) {
        case BPF_LD | BPF_W | BPF_ABS:
        case BPF_LD | BPF_H | BPF_ABS:
        case BPF_LD | BPF_B | BPF_ABS:
            if (int32_t(f.k) < 0) {
                if (f.k == uint32_t(SKF_AD_OFF + SKF_AD_NLATTR))
                    A = nlattr(data, len, A, X);
                else if (f.k == uint32_t(SKF_AD_OFF + SKF_AD_NLATTR_NEST))
                    A = nlattrNest(data, len, A, X);
                else {
                    out.error = "ancillary load " + std::to_string(int32_t(f.k));
                    return out;
                }
            } else if (!load(f.k, width(c), A)) {
                out.verdict = 0;
                return out;
            }
            break;
        case BPF_LD | BPF_W | BPF_IND:
        case BPF_LD | BPF_H | BPF_IND:
        case BPF_LD | BPF_B | BPF_IND:
            if (!load(X + f.k, width(c), A) || X + f.k < X) {
                out.verdict = 0;
                return out;
            }
            break;
        case BPF_LD | BPF_W | BPF_IMM: A = f.k; break;
        case BPF_LDX | BPF_W | BPF_IMM: X = f.k; break;
        case BPF_LD | BPF_MEM: A = M[f.k % BPF_MEMWORDS]; break;
        case BPF_LDX | BPF_MEM: X = M[f.k % BPF_MEMWORDS]; break;
        case BPF_ST: M[f.k % BPF_MEMWORDS] = A; break;
        case BPF_STX: M[f.k % BPF_MEMWORDS] = X; break;
        case BPF_ALU | BPF_AND | BPF_K: A &= f.k; break;
        case BPF_ALU | BPF_ADD | BPF_K: A += f.k; break;
        case BPF_MISC | BPF_TAX: X = A; break;
        case BPF_MISC | BPF_TXA: A = X; break;
        case BPF_JMP | BPF_JA: pc += f.k; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += A == f.k ? f.jt : f.jf; break;
        case BPF_JMP | BPF_JGT | BPF_K: pc += A > f.k ? f.jt : f.jf; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += A >= f.k ? f.jt : f.jf; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += (A & f.k) ? f.jt : f.jf; break;
        case BPF_RET | BPF_K: out.verdict = f.k; return out;
        case BPF_RET | BPF_A: out.verdict = A; return out;
        default: out.error = "opcode " + std::to_string(c) + " at " + std::to_string(pc); return out;
        }
    }
    out.error = "ran off the end";
    return out;
}

inline CbpfRun runCbpf(const std::vector<sock_filter>& p, const std::vector<uint8_t>& packet)
{
    return runCbpf(p, packet.data(), packet.size());
}

} // namespace ctd::test
