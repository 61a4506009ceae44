// Byte helpers of the sync wire codec: a bounded big-endian reader and an attribute
// writer with conntrackd's NTA padding. Internal to service/core/sync/wire.
#pragma once

#include "nta.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ctd::sync::wire {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
// conntrackd's ct_build_u16 applies htons to values libnetfilter_conntrack already keeps
// in network order (ICMP id, NAT ports): on the x86 hosts that run it the bytes come out
// little endian.
inline uint16_t le16(const uint8_t* p) { return uint16_t(p[1] << 8 | p[0]); }

inline void putBe16(std::vector<uint8_t>& o, uint16_t v)
{
    o.push_back(uint8_t(v >> 8));
    o.push_back(uint8_t(v));
}
inline void putBe32(std::vector<uint8_t>& o, uint32_t v)
{
    putBe16(o, uint16_t(v >> 16));
    putBe16(o, uint16_t(v));
}

// put_header() + addattr() of build.c: length without padding, padding zeroed.
class AttrWriter {
public:
    explicit AttrWriter(std::vector<uint8_t>& out) : out_(out) {}

    void bytes(uint16_t type, const uint8_t* p, size_t n)
    {
        putBe16(out_, uint16_t(nta::kHeader + n));
        putBe16(out_, type);
        out_.insert(out_.end(), p, p + n);
        out_.resize(out_.size() + (nta::align4(n) - n), 0);
    }
    void u8(uint16_t type, uint8_t v) { bytes(type, &v, 1); }
    void be16(uint16_t type, uint16_t v)
    {
        uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
        bytes(type, b, 2);
    }
    void le16(uint16_t type, uint16_t v)
    {
        uint8_t b[2] = {uint8_t(v), uint8_t(v >> 8)};
        bytes(type, b, 2);
    }
    void be32(uint16_t type, uint32_t v)
    {
        uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
        bytes(type, b, 4);
    }
    void be32s(uint16_t type, std::initializer_list<uint32_t> vs)
    {
        std::vector<uint8_t> b;
        for (uint32_t v : vs)
            putBe32(b, v);
        bytes(type, b.data(), b.size());
    }
    void str(uint16_t type, const std::string& s)
    {
        // strlen()+1: the terminating NUL travels
        bytes(type, reinterpret_cast<const uint8_t*>(s.c_str()), s.size() + 1);
    }

private:
    std::vector<uint8_t>& out_;
};

// One attribute as msg2ct()/msg2exp() see it, already bounds-checked.
struct RawAttr {
    uint16_t type = 0;
    uint16_t len = 0; // nta_len, header included
    const uint8_t* data = nullptr; // len - 4 bytes
    size_t size() const { return len - nta::kHeader; }
};

} // namespace ctd::sync::wire
