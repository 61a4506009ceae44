// Byte views and unaligned big-endian loads: netlink payloads carry no alignment promise
// beyond 4 bytes, and u64 attributes are often only 4-aligned, so every load goes through
// memcpy.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace ctd::nl {

using ByteView = std::span<const uint8_t>;

inline uint16_t loadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

inline uint32_t loadBe32(const uint8_t* p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

inline uint64_t loadBe64(const uint8_t* p) { return uint64_t(loadBe32(p)) << 32 | loadBe32(p + 4); }

template <typename T>
T loadHost(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

} // namespace ctd::nl
