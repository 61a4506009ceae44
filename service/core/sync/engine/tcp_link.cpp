// TCP channel (ctd <-> ctd): the node listens on its address and connects to the peer's.
// The byte stream is cut back into messages by the length in each message header
// (bytes 2-3, network order), so the engine still sees whole messages. One epoll fd stands
// for the listening and the accepted socket, so the loop polls a single fd that never
// changes while connections come and go.
#include "link.hpp"
#include "socket_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <ctime>
#include <unistd.h>

namespace ctd::sync {
namespace {

constexpr size_t kHeaderSize = 8;
constexpr size_t kMaxStream = 1 << 20; // a peer that never completes a message is cut off

class TcpLink final : public Link {
public:
    TcpLink(LinkSpec spec, int listenFd, int epollFd) : spec_(std::move(spec)), listen_(listenFd), epoll_(epollFd) {}
    ~TcpLink() override
    {
        for (int fd : {listen_, epoll_, accepted_, outgoing_})
            if (fd >= 0)
                close(fd);
    }

    Result<void> send(std::span<const uint8_t> data) override
    {
        if (outgoing_ < 0 && !connectPeer())
            return fail("connect");
        size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::send(outgoing_, data.data() + done, data.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                // A partial message would corrupt the stream: drop the connection and let
                // FTFW repair what was lost over the next one.
                Error e = socketError("send to peer");
                close(outgoing_);
                outgoing_ = -1;
                ++counters_.sendErrors;
                return e;
            }
            done += static_cast<size_t>(n);
        }
        counters_.bytesSent += data.size();
        ++counters_.datagramsSent;
        return Ok{};
    }

    Result<void> receive(std::vector<uint8_t>& buf) override
    {
        buf.clear();
        acceptPending();
        if (accepted_ < 0)
            return Ok{};
        uint8_t chunk[65536];
        ssize_t n = recv(accepted_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            dropAccepted();
            return Ok{};
        }
        if (n > 0) {
            stream_.insert(stream_.end(), chunk, chunk + n);
            counters_.bytesReceived += static_cast<uint64_t>(n);
        }
        size_t whole = 0;
        while (stream_.size() - whole >= kHeaderSize) {
            size_t len = (size_t{stream_[whole + 2]} << 8) | stream_[whole + 3];
            if (len < kHeaderSize) { // not a message stream: resynchronising is impossible
                ++counters_.receiveErrors;
                dropAccepted();
                return Ok{};
            }
            if (stream_.size() - whole < len)
                break;
            whole += len;
        }
        if (stream_.size() - whole > kMaxStream) {
            dropAccepted();
            return Ok{};
        }
        buf.assign(stream_.begin(), stream_.begin() + static_cast<ptrdiff_t>(whole));
        stream_.erase(stream_.begin(), stream_.begin() + static_cast<ptrdiff_t>(whole));
        if (!buf.empty())
            ++counters_.datagramsReceived;
        return Ok{};
    }

    std::vector<int> pollFds() const override { return {epoll_}; }
    std::optional<std::pair<bool, bool>> tcpConnected() const override
    {
        return std::make_pair(accepted_ >= 0, outgoing_ >= 0);
    }
    size_t mtu() const override { return 65000; }
    const LinkSpec& spec() const override { return spec_; }
    std::string describe() const override
    {
        return "tcp " + addressText(spec_.family, spec_.peer) + " port " + std::to_string(spec_.port);
    }

private:
    Error fail(const std::string& what)
    {
        ++counters_.sendErrors;
        return makeError(ENOTCONN, what + " " + describe() + ": peer not reachable");
    }

    bool connectPeer()
    {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec == lastAttempt_)
            return false; // at most one attempt a second while the peer is away
        lastAttempt_ = now.tv_sec;
        int fd = socket(spec_.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (spec_.sndBuf > 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &spec_.sndBuf, sizeof(int));
        // Bounded wait: a blocking connect on a down peer would stall the loop.
        timeval tv{0, 200000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_storage ss;
        socklen_t len = makeSockaddr(spec_.family, spec_.peer, spec_.port, spec_.interfaceIndex, ss);
        if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
            close(fd);
            return false;
        }
        outgoing_ = fd;
        return true;
    }

    void acceptPending()
    {
        int fd = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        dropAccepted(); // the peer reconnected: the old stream is over
        accepted_ = fd;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }

    void dropAccepted()
    {
        if (accepted_ >= 0) {
            epoll_ctl(epoll_, EPOLL_CTL_DEL, accepted_, nullptr);
            close(accepted_);
        }
        accepted_ = -1;
        stream_.clear();
    }

    LinkSpec spec_;
    int listen_;
    int epoll_;
    int accepted_ = -1;
    int outgoing_ = -1;
    std::vector<uint8_t> stream_;
    time_t lastAttempt_ = 0;
};

} // namespace

Result<std::unique_ptr<Link>> openTcpLink(const LinkSpec& spec)
{
    if (!spec.peerSet)
        return makeError(EINVAL, "tcp channel without a destination address");
    int fd = socket(spec.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return socketError("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (spec.rcvBuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &spec.rcvBuf, sizeof(int));
    sockaddr_storage ss;
    socklen_t len = makeSockaddr(spec.family, spec.address, spec.port, spec.interfaceIndex, ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, 4) < 0) {
        Error e = socketError("tcp listen port " + std::to_string(spec.port));
        close(fd);
        return e;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        Error e = socketError("epoll_create1");
        close(fd);
        return e;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return std::unique_ptr<Link>(new TcpLink(spec, fd, ep));
}

} // namespace ctd::sync
