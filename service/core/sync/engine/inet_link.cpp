// UDP and multicast channels: one socket to send, one to receive, as conntrackd uses them,
// so a node never reads its own multicast (IP_MULTICAST_LOOP off) and the receive socket
// can be bound to the group while the send socket is bound to the interface.
#include "link.hpp"
#include "socket_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ctd::sync {

Result<std::unique_ptr<Link>> openTcpLink(const LinkSpec& spec);

namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
    Fd& operator=(Fd&& o) noexcept
    {
        std::swap(fd, o.fd);
        return *this;
    }
    ~Fd()
    {
        if (fd >= 0)
            close(fd);
    }
};

bool isZero(const std::array<uint8_t, 16>& a)
{
    for (uint8_t b : a)
        if (b)
            return false;
    return true;
}

Result<void> setBuffers(int fd, const LinkSpec& spec)
{
    // FORCE first so a configured size above rmem_max is honoured as conntrackd does.
    if (spec.sndBuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &spec.sndBuf, sizeof(int)) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &spec.sndBuf, sizeof(int)) < 0)
        return socketError("SO_SNDBUF");
    if (spec.rcvBuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &spec.rcvBuf, sizeof(int)) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &spec.rcvBuf, sizeof(int)) < 0)
        return socketError("SO_RCVBUF");
    return Ok{};
}

size_t interfaceMtu(const std::string& name, int family)
{
    size_t mtu = 1500;
    if (!name.empty()) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s >= 0) {
            ifreq ifr{};
            std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
            if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 100)
                mtu = static_cast<size_t>(ifr.ifr_mtu);
            close(s);
        }
    }
    return mtu - (family == AF_INET ? 28 : 48); // IP + UDP headers
}

class InetLink final : public Link {
public:
    InetLink(LinkSpec spec, Fd tx, Fd rx, sockaddr_storage dest, socklen_t destLen)
        : spec_(std::move(spec)), tx_(std::move(tx)), rx_(std::move(rx)), dest_(dest), destLen_(destLen),
          mtu_(interfaceMtu(spec_.interface, spec_.family))
    {
    }

    Result<void> send(std::span<const uint8_t> datagram) override
    {
        ssize_t n = sendto(tx_.fd, datagram.data(), datagram.size(), MSG_DONTWAIT,
                           reinterpret_cast<const sockaddr*>(&dest_), destLen_);
        if (n < 0) {
            ++counters_.sendErrors;
            return socketError("send to " + describe());
        }
        counters_.bytesSent += static_cast<uint64_t>(n);
        ++counters_.datagramsSent;
        return Ok{};
    }

    Result<void> receive(std::vector<uint8_t>& buf) override
    {
        buf.resize(65536);
        ssize_t n = recv(rx_.fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
            buf.clear();
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return Ok{};
            ++counters_.receiveErrors;
            return socketError("receive on " + describe());
        }
        buf.resize(static_cast<size_t>(n));
        counters_.bytesReceived += static_cast<uint64_t>(n);
        ++counters_.datagramsReceived;
        return Ok{};
    }

    std::vector<int> pollFds() const override { return {rx_.fd}; }
    size_t mtu() const override { return mtu_; }
    const LinkSpec& spec() const override { return spec_; }
    std::string describe() const override
    {
        const char* kind = spec_.kind == LinkKind::Multicast ? "multicast" : "udp";
        std::string where = spec_.kind == LinkKind::Multicast
                                ? addressText(spec_.family, spec_.address)
                                : addressText(spec_.family, spec_.peer);
        std::string text = std::string(kind) + " " + where + " port " + std::to_string(spec_.port);
        if (!spec_.interface.empty())
            text += " dev " + spec_.interface;
        return text;
    }

private:
    LinkSpec spec_;
    Fd tx_;
    Fd rx_;
    sockaddr_storage dest_;
    socklen_t destLen_;
    size_t mtu_;
};

Result<Fd> datagramSocket(const LinkSpec& spec)
{
    Fd fd(socket(spec.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.fd < 0)
        return socketError("socket");
    int one = 1;
    if (setsockopt(fd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return socketError("SO_REUSEADDR");
    if (auto r = setBuffers(fd.fd, spec); !r)
        return r.error();
    if (!spec.checksum) {
        int no = 1;
        setsockopt(fd.fd, SOL_SOCKET, SO_NO_CHECK, &no, sizeof no);
    }
    return fd;
}

Result<std::unique_ptr<Link>> openUdp(LinkSpec spec)
{
    if (!spec.peerSet)
        return makeError(EINVAL, "udp channel without a destination address");
    auto rx = datagramSocket(spec);
    if (!rx)
        return rx.error();
    sockaddr_storage local;
    socklen_t len = makeSockaddr(spec.family, spec.address, spec.port, spec.interfaceIndex, local);
    if (bind(rx->fd, reinterpret_cast<sockaddr*>(&local), len) < 0)
        return socketError("bind " + addressText(spec.family, spec.address) + " port " + std::to_string(spec.port));
    if (!spec.interface.empty() &&
        setsockopt(rx->fd, SOL_SOCKET, SO_BINDTODEVICE, spec.interface.c_str(),
                   static_cast<socklen_t>(spec.interface.size())) < 0)
        return socketError("SO_BINDTODEVICE " + spec.interface);
    auto tx = datagramSocket(spec);
    if (!tx)
        return tx.error();
    // The sender binds the same local address (any port) so peers see it as the source.
    sockaddr_storage from;
    socklen_t fromLen = makeSockaddr(spec.family, spec.address, 0, spec.interfaceIndex, from);
    if (!isZero(spec.address) && bind(tx->fd, reinterpret_cast<sockaddr*>(&from), fromLen) < 0)
        return socketError("bind " + addressText(spec.family, spec.address));
    if (!spec.interface.empty())
        setsockopt(tx->fd, SOL_SOCKET, SO_BINDTODEVICE, spec.interface.c_str(),
                   static_cast<socklen_t>(spec.interface.size()));
    sockaddr_storage dest;
    socklen_t destLen = makeSockaddr(spec.family, spec.peer, spec.port, spec.interfaceIndex, dest);
    return std::unique_ptr<Link>(new InetLink(spec, std::move(*tx), std::move(*rx), dest, destLen));
}

Result<std::unique_ptr<Link>> openMulticast(LinkSpec spec)
{
    auto rx = datagramSocket(spec);
    if (!rx)
        return rx.error();
    sockaddr_storage group;
    socklen_t len = makeSockaddr(spec.family, spec.address, spec.port, spec.interfaceIndex, group);
    if (bind(rx->fd, reinterpret_cast<sockaddr*>(&group), len) < 0)
        return socketError("bind multicast group " + addressText(spec.family, spec.address));
    auto tx = datagramSocket(spec);
    if (!tx)
        return tx.error();
    unsigned char off = 0;
    if (spec.family == AF_INET) {
        ip_mreqn mreq{};
        std::memcpy(&mreq.imr_multiaddr, spec.address.data(), 4);
        std::memcpy(&mreq.imr_address, spec.peer.data(), 4);
        mreq.imr_ifindex = static_cast<int>(spec.interfaceIndex);
        if (setsockopt(rx->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
            return socketError("IP_ADD_MEMBERSHIP " + addressText(AF_INET, spec.address));
        if (setsockopt(tx->fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0)
            return socketError("IP_MULTICAST_IF");
        setsockopt(tx->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off);
    } else {
        ipv6_mreq mreq{};
        std::memcpy(&mreq.ipv6mr_multiaddr, spec.address.data(), 16);
        mreq.ipv6mr_interface = spec.interfaceIndex;
        if (setsockopt(rx->fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
            return socketError("IPV6_ADD_MEMBERSHIP " + addressText(AF_INET6, spec.address));
        unsigned idx = spec.interfaceIndex;
        if (setsockopt(tx->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0)
            return socketError("IPV6_MULTICAST_IF");
        unsigned loop = 0;
        setsockopt(tx->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop);
    }
    return std::unique_ptr<Link>(new InetLink(spec, std::move(*tx), std::move(*rx), group, len));
}

} // namespace

Result<std::unique_ptr<Link>> openLink(const LinkSpec& in)
{
    LinkSpec spec = in;
    if (spec.family != AF_INET && spec.family != AF_INET6)
        return makeError(EINVAL, "channel without an IPv4 or IPv6 address");
    if (!spec.interface.empty()) {
        spec.interfaceIndex = if_nametoindex(spec.interface.c_str());
        if (spec.interfaceIndex == 0)
            return makeError(ENODEV, "no interface " + spec.interface);
    }
    switch (spec.kind) {
    case LinkKind::Udp:
        return openUdp(spec);
    case LinkKind::Multicast:
        return openMulticast(spec);
    case LinkKind::Tcp:
        return openTcpLink(spec);
    }
    return makeError(EINVAL, "unknown channel kind");
}

} // namespace ctd::sync
