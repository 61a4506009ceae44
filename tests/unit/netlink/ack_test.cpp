// NLMSG_ERROR decoding, including the kernel's extended-ack text.
#include "netlink/netlink_ack.hpp"

#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <string>
#include <vector>

using namespace ctd;
using namespace ctd::nl;

namespace {

std::vector<uint8_t> errorMessage(int err, const std::string& text, uint32_t offset, bool capped = true)
{
    uint8_t buf[512] = {};
    size_t len = NLMSG_HDRLEN + sizeof(nlmsgerr);
    nlmsgerr e{};
    e.error = -err;
    e.msg.nlmsg_len = NLMSG_HDRLEN;
    std::memcpy(buf + NLMSG_HDRLEN, &e, sizeof e);
    auto put = [&](uint16_t type, const void* data, size_t n) {
        uint16_t l = uint16_t(NLA_HDRLEN + n);
        std::memcpy(buf + len, &l, 2);
        std::memcpy(buf + len + 2, &type, 2);
        std::memcpy(buf + len + 4, data, n);
        len += NLA_ALIGN(l);
    };
    if (!text.empty()) {
        put(NLMSGERR_ATTR_MSG, text.c_str(), text.size() + 1);
        put(NLMSGERR_ATTR_OFFS, &offset, 4);
    }
    nlmsghdr h{};
    h.nlmsg_type = NLMSG_ERROR;
    h.nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (text.empty() ? 0 : NLM_F_ACK_TLVS);
    h.nlmsg_len = uint32_t(len);
    std::memcpy(buf, &h, sizeof h);
    return std::vector<uint8_t>(buf, buf + len);
}

} // namespace

TEST(Ack, ZeroIsSuccess) { EXPECT_TRUE(ackResult(errorMessage(0, "", 0)).ok()); }

TEST(Ack, ErrnoAndExtendedText)
{
    auto r = ackResult(errorMessage(EINVAL, "missing CTA_TUPLE_ORIG", 20));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_NE(r.error().message.find("missing CTA_TUPLE_ORIG"), std::string::npos);
    EXPECT_NE(r.error().message.find("byte 20"), std::string::npos);
}

TEST(Ack, WithoutTlvsStillGivesErrno)
{
    auto r = ackResult(errorMessage(ENOENT, "", 0));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ENOENT);
}

TEST(Ack, TruncatedErrorIsMalformed)
{
    auto m = errorMessage(EINVAL, "x", 0);
    m.resize(NLMSG_HDRLEN + 2);
    EXPECT_EQ(ackResult(m).error().code, EBADMSG);
}
