// Attribute numbers of conntrackd 1.4.7's include/network.h (enum nta_attr and
// enum nta_exp_attr). Internal to the wire codec.
#pragma once

#include <cstdint>

namespace ctd::sync::nta {

// Conntrack attributes. Each is {u16 len (incl. 4-byte header), u16 type} big endian,
// payload padded with zeros to 4 bytes (NTA_ALIGN); len does not count the padding.
enum : uint16_t {
    Ipv4 = 0, // src, dst: 8 bytes, network order (struct nfct_attr_grp_ipv4)
    Ipv6 = 1, // src, dst: 32 bytes
    L4Proto = 2, // u8
    Port = 3, // sport, dport: 4 bytes, network order (struct nfct_attr_grp_port)
    TcpState = 4, // u8
    Status = 5, // u32 be
    Timeout = 6, // u32 be
    Mark = 7, // u32 be
    MasterIpv4 = 8,
    MasterIpv6 = 9,
    MasterL4Proto = 10,
    MasterPort = 11,
    SnatIpv4 = 12, // 4 bytes, network order
    DnatIpv4 = 13,
    SpatPort = 14, // u16, BYTE-SWAPPED (htons of a network-order value): little endian
    DpatPort = 15, // idem
    NatSeqAdj = 16, // 6 x u32 be: orig pos, before, after; reply pos, before, after
    SctpState = 17,
    SctpVtagOrig = 18, // u32 be
    SctpVtagRepl = 19,
    DccpState = 20,
    DccpRole = 21,
    IcmpType = 22,
    IcmpCode = 23,
    IcmpId = 24, // u16, BYTE-SWAPPED like SpatPort
    TcpWscaleOrig = 25,
    TcpWscaleRepl = 26,
    HelperName = 27, // NUL-terminated string, len <= 16 including the header
    Labels = 28, // u32 be words, bit b of word i = label 32*i+b, len <= 4 + 1024
    SnatIpv6 = 29, // 16 bytes
    DnatIpv6 = 30,
    Synproxy = 31, // its, isn, tsoff: 3 x u32 be (struct nta_attr_synproxy order)
    Zone = 32, // u16 be (CTA_ZONE); new in 1.4.7, a 1.4.6 peer rejects the whole message
    Max = 33,
};

// Expectation attributes
enum : uint16_t {
    ExpMasterIpv4 = 0,
    ExpMasterIpv6 = 1,
    ExpMasterL4Proto = 2,
    ExpMasterPort = 3,
    ExpExpectIpv4 = 4,
    ExpExpectIpv6 = 5,
    ExpExpectL4Proto = 6,
    ExpExpectPort = 7,
    ExpMaskIpv4 = 8,
    ExpMaskIpv6 = 9,
    ExpMaskL4Proto = 10,
    ExpMaskPort = 11,
    ExpTimeout = 12,
    ExpFlags = 13,
    ExpClass = 14,
    ExpNatIpv4 = 15,
    ExpNatPort = 16,
    ExpNatL4Proto = 17,
    ExpNatDir = 18,
    ExpHelperName = 19, // len <= 16 including the header
    ExpFn = 20, // len <= 32 including the header
    ExpMax = 21,
};

inline constexpr uint16_t kHeader = 4; // sizeof(struct netattr)
inline constexpr uint16_t kHelperMaxLen = 16; // NFCT_HELPER_NAME_MAX, compared with nta_len
inline constexpr uint16_t kExpFnMaxLen = 32;
inline constexpr uint16_t kLabelsMaxLen = 4 + 1024; // NTA_SIZE(NTA_LABELS_MAX_SIZE): a
                                                    // word count used as bytes upstream

inline constexpr size_t align4(size_t n) { return (n + 3) & ~size_t(3); }

} // namespace ctd::sync::nta
