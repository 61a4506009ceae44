#include "netlink_ack.hpp"

#include "attr_table.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <linux/netlink.h>
#include <string>

namespace ctd::nl {

namespace {

struct ExtAck {
    std::string msg;
    std::optional<uint32_t> offset;
};

constexpr std::array<AttrRule<ExtAck>, 2> kExtAckRules{{
    {NLMSGERR_ATTR_MSG, 1, "NLMSGERR_ATTR_MSG",
     [](ByteView p, ExtAck& a) -> Result<void> {
         const char* s = reinterpret_cast<const char*>(p.data());
         a.msg.assign(s, strnlen(s, p.size()));
         return {};
     }},
    {NLMSGERR_ATTR_OFFS, 4, "NLMSGERR_ATTR_OFFS",
     [](ByteView p, ExtAck& a) -> Result<void> {
         a.offset = loadHost<uint32_t>(p.data());
         return {};
     }},
}};
static_assert(distinctTypes(kExtAckRules));

Error kernelError(int err, ByteView tlvs)
{
    std::string text = std::string("kernel: ") + strerror(err);
    ExtAck ack;
    // A malformed TLV block must not hide the errno itself.
    if (decodeAttrs(tlvs, kExtAckRules, "extack", ack)) {
        if (!ack.msg.empty())
            text += ": " + ack.msg;
        if (ack.offset)
            text += " (attribute at byte " + std::to_string(*ack.offset) + ")";
    }
    return makeError(err, std::move(text));
}

} // namespace

Result<void> ackResult(ByteView message)
{
    if (message.size() < NLMSG_HDRLEN + sizeof(nlmsgerr))
        return makeError(EBADMSG, "truncated netlink error message");
    auto hdr = loadHost<nlmsghdr>(message.data());
    auto err = loadHost<nlmsgerr>(message.data() + NLMSG_HDRLEN);
    if (err.error == 0)
        return {};
    size_t tlvOff = NLMSG_HDRLEN + sizeof(nlmsgerr);
    // Without NLM_F_CAPPED the kernel echoes the whole request before the TLVs.
    if (!(hdr.nlmsg_flags & NLM_F_CAPPED))
        tlvOff += err.msg.nlmsg_len > NLMSG_HDRLEN ? NLMSG_ALIGN(err.msg.nlmsg_len - NLMSG_HDRLEN) : 0;
    ByteView tlvs;
    if ((hdr.nlmsg_flags & NLM_F_ACK_TLVS) && tlvOff < message.size())
        tlvs = message.subspan(tlvOff);
    return kernelError(-err.error, tlvs);
}

Result<void> doneResult(ByteView message)
{
    if (message.size() < NLMSG_HDRLEN + sizeof(int))
        return {}; // an old kernel's DONE may carry no payload
    int err = loadHost<int>(message.data() + NLMSG_HDRLEN);
    if (err >= 0)
        return {};
    auto hdr = loadHost<nlmsghdr>(message.data());
    ByteView tlvs;
    if ((hdr.nlmsg_flags & NLM_F_ACK_TLVS) && message.size() > NLMSG_HDRLEN + sizeof(int))
        tlvs = message.subspan(NLMSG_HDRLEN + sizeof(int));
    return kernelError(-err, tlvs);
}

} // namespace ctd::nl
