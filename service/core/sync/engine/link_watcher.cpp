#include "link_watcher.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace ctd::sync {
namespace {

Error sysError(const std::string& what) { return makeError(errno, what + ": " + std::strerror(errno)); }

} // namespace

Result<std::unique_ptr<LinkWatcher>> LinkWatcher::open()
{
    std::unique_ptr<LinkWatcher> w(new LinkWatcher);
    w->nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (!w->nl_)
        return sysError("rtnetlink socket");
    if (mnl_socket_bind(w->nl_, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
        return sysError("rtnetlink bind");
    w->portId_ = mnl_socket_get_portid(w->nl_);
    return w;
}

LinkWatcher::~LinkWatcher()
{
    if (nl_)
        mnl_socket_close(nl_);
}

int LinkWatcher::fd() const { return mnl_socket_get_fd(nl_); }

bool LinkWatcher::parse(const void* message, size_t length, LinkState& out)
{
    auto* nlh = static_cast<const nlmsghdr*>(message);
    if (length < sizeof(nlmsghdr) || nlh->nlmsg_len > length ||
        (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
        nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg)))
        return false;
    auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    out = LinkState{};
    out.index = static_cast<unsigned>(ifi->ifi_index);
    out.running = nlh->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
    auto onAttr = [](const nlattr* attr, void* data) -> int {
        if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
            static_cast<LinkState*>(data)->name = mnl_attr_get_str(attr);
        return MNL_CB_OK;
    };
    if (mnl_attr_parse(nlh, sizeof(ifinfomsg), onAttr, &out) < 0)
        return false;
    return true;
}

Result<void> LinkWatcher::readMessages(const Sink& sink, bool untilDone, uint32_t seq)
{
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!untilDone)
                    return Ok{};
                // A dump in progress: the kernel answers within microseconds; a second
                // without anything means it never will.
                pollfd p{fd(), POLLIN, 0};
                if (poll(&p, 1, 1000) <= 0)
                    return makeError(ETIMEDOUT, "rtnetlink dump: no answer");
                continue;
            }
            if (errno == ENOBUFS)
                continue; // link changes lost: the next dump (or change) tells the truth
            return sysError("rtnetlink receive");
        }
        auto callback = [](const nlmsghdr* nlh, void* data) -> int {
            LinkState state;
            if (LinkWatcher::parse(nlh, nlh->nlmsg_len, state))
                (*static_cast<const Sink*>(data))(state);
            return MNL_CB_OK;
        };
        int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), untilDone ? seq : 0, untilDone ? portId_ : 0,
                           callback, const_cast<Sink*>(&sink));
        if (r == MNL_CB_ERROR)
            return sysError("rtnetlink message");
        if (untilDone && r == MNL_CB_STOP)
            return Ok{};
    }
}

Result<void> LinkWatcher::dump(const Sink& sink)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    auto* rt = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
    rt->rtgen_family = AF_PACKET;
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
        return sysError("rtnetlink dump");
    return readMessages(sink, true, seq_);
}

Result<void> LinkWatcher::process(const Sink& sink) { return readMessages(sink, false, 0); }

} // namespace ctd::sync
