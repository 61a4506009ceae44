#include "nl_writer.hpp"

#include <cstring>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

namespace ctd::nl {

namespace {

void storeHost16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void storeHost32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

} // namespace

void NlWriter::begin(uint16_t nlType, uint16_t flags, uint8_t family, uint8_t version, uint16_t resId)
{
    if (open_)
        end();
    msgStart_ = buf_.size();
    buf_.resize(msgStart_ + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), 0);
    nlmsghdr h{};
    h.nlmsg_type = nlType;
    h.nlmsg_flags = flags;
    std::memcpy(buf_.data() + msgStart_, &h, sizeof h);
    nfgenmsg g{};
    g.nfgen_family = family;
    g.version = version;
    g.res_id = uint16_t(resId >> 8 | resId << 8); // network order
    std::memcpy(buf_.data() + msgStart_ + NLMSG_HDRLEN, &g, sizeof g);
    open_ = true;
}

void NlWriter::end()
{
    if (!open_)
        return;
    storeHost32(buf_.data() + msgStart_, uint32_t(buf_.size() - msgStart_));
    open_ = false;
    ++messages_;
}

void NlWriter::abandon()
{
    if (!open_)
        return;
    buf_.resize(msgStart_);
    open_ = false;
}

void NlWriter::clear()
{
    buf_.clear();
    msgStart_ = 0;
    messages_ = 0;
    open_ = false;
}

void NlWriter::put(uint16_t type, const void* data, size_t len)
{
    size_t at = buf_.size();
    buf_.resize(at + NLA_ALIGN(NLA_HDRLEN + len), 0);
    storeHost16(buf_.data() + at, uint16_t(NLA_HDRLEN + len));
    storeHost16(buf_.data() + at + 2, type);
    if (data && len)
        std::memcpy(buf_.data() + at + NLA_HDRLEN, data, len);
}

size_t NlWriter::beginNest(uint16_t type)
{
    size_t at = buf_.size();
    put(type | NLA_F_NESTED, nullptr, 0);
    return at;
}

void NlWriter::endNest(size_t start) { storeHost16(buf_.data() + start, uint16_t(buf_.size() - start)); }

void NlWriter::putU8(uint16_t type, uint8_t v) { put(type, &v, 1); }

void NlWriter::putU32(uint16_t type, uint32_t v) { put(type, &v, 4); }

void NlWriter::putBe16(uint16_t type, uint16_t v)
{
    uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
    put(type, b, 2);
}

void NlWriter::putBe32(uint16_t type, uint32_t v)
{
    uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    put(type, b, 4);
}

void NlWriter::putBe64(uint16_t type, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; ++i)
        b[i] = uint8_t(v >> (56 - 8 * i));
    put(type, b, 8);
}

void NlWriter::putBytes(uint16_t type, ByteView v) { put(type, v.data(), v.size()); }

void NlWriter::putString(uint16_t type, std::string_view v)
{
    size_t at = buf_.size();
    put(type, nullptr, v.size() + 1); // zero-filled, so the terminator is already there
    std::memcpy(buf_.data() + at + NLA_HDRLEN, v.data(), v.size());
}

} // namespace ctd::nl
