#include "socket.hpp"

#include "ctnl_parse.hpp"
#include "netlink_ack.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <cerrno>
#include <cstring>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ctd::nl {

namespace {

constexpr size_t kReceiveChunk = 256u << 10;
// Upper bound of what one queued acknowledgement costs in the receive buffer (skb
// truesize); keeps a batch's acks from overflowing the buffer they wait in.
constexpr size_t kAckTruesize = 1024;
constexpr int kAckWaitMs = 5000;

Error sysError(int err, const char* what) { return makeError(err, std::string(what) + ": " + strerror(err)); }

nlmsghdr headerAt(const uint8_t* p) { return loadHost<nlmsghdr>(p); }

enum class AckMode { Keep, Force, Clear };

void stamp(uint8_t* p, uint32_t seq, AckMode ack)
{
    auto h = headerAt(p);
    h.nlmsg_seq = seq;
    h.nlmsg_pid = 0;
    if (ack == AckMode::Force)
        h.nlmsg_flags |= NLM_F_ACK;
    else if (ack == AckMode::Clear)
        h.nlmsg_flags &= ~NLM_F_ACK;
    std::memcpy(p, &h, sizeof h);
}

} // namespace

MnlSocket::MnlSocket(const SocketOptions& options) : options_(options), rx_(kReceiveChunk) {}

MnlSocket::~MnlSocket() { disconnect(); }

Result<std::unique_ptr<MnlSocket>> MnlSocket::open(const SocketOptions& options)
{
    std::unique_ptr<MnlSocket> s(new MnlSocket(options));
    if (auto r = s->connect(); !r)
        return r.error();
    return s;
}

Result<void> MnlSocket::connect()
{
    nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl_)
        return sysError(errno, "netlink socket");
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
        int err = errno;
        disconnect();
        return sysError(err, "netlink bind");
    }
    portId_ = mnl_socket_get_portid(nl_);
    int one = 1;
    // Extended acks carry the kernel's reason text; capped acks stop the kernel from
    // echoing every failed request back, which would fill the buffer during batches.
    mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &one, sizeof one);
    mnl_socket_setsockopt(nl_, NETLINK_CAP_ACK, &one, sizeof one);
    int fd = mnl_socket_get_fd(nl_);
    int size = int(options_.receiveBuffer);
    // FORCE needs CAP_NET_ADMIN and ignores rmem_max; without it the kernel clamps.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    int actual = 0;
    socklen_t len = sizeof actual;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len);
    rcvbuf_ = size_t(actual);
    // netlink_sendmsg() refuses a datagram larger than the send buffer (EMSGSIZE), and
    // the default wmem_max is smaller than one batch.
    int wanted = int(options_.batchBytes * 2);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &wanted, sizeof wanted) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &wanted, sizeof wanted);
    actual = 0;
    len = sizeof actual;
    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &actual, &len);
    // Headroom for the kernel's own accounting (it compares with sk_sndbuf - 32).
    maxDatagram_ = std::min(options_.batchBytes, actual > 4096 ? size_t(actual) - 4096 : size_t(4096));
    if (!filter_.empty()) {
        auto program = filter_;
        if (auto r = attachFilter(program); !r)
            return r;
    }
    if (groups_) {
        uint32_t groups = groups_;
        groups_ = 0;
        return subscribe(groups);
    }
    return {};
}

void MnlSocket::disconnect()
{
    if (nl_)
        mnl_socket_close(nl_);
    nl_ = nullptr;
}

int MnlSocket::fd() const { return nl_ ? mnl_socket_get_fd(nl_) : -1; }

Result<void> MnlSocket::sendAll(ByteView datagram)
{
    for (;;) {
        ssize_t n = mnl_socket_sendto(nl_, datagram.data(), datagram.size());
        if (n >= 0)
            return {};
        if (errno != EINTR)
            return sysError(errno, "netlink send");
    }
}

namespace {

// One datagram from the kernel into buffer: its size, or -1 with errno (EINTR and EAGAIN
// included, for the caller to decide); EMSGSIZE when it did not fit. Datagrams from other
// senders are dropped: only the kernel talks to us.
ssize_t receiveFromKernel(int fd, uint8_t* buffer, size_t size, int flags)
{
    for (;;) {
        iovec iov{buffer, size};
        sockaddr_nl addr{};
        msghdr msg{};
        msg.msg_name = &addr;
        msg.msg_namelen = sizeof addr;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        ssize_t n = recvmsg(fd, &msg, flags);
        if (n < 0)
            return n;
        if (msg.msg_flags & MSG_TRUNC) {
            errno = EMSGSIZE;
            return -1;
        }
        if (addr.nl_pid == 0)
            return n;
    }
}

Error receiveError(int err)
{
    if (err == EMSGSIZE)
        return makeError(EMSGSIZE, "netlink receive: message larger than the receive buffer");
    return makeError(err, std::string("netlink receive: ") + strerror(err));
}

} // namespace

Result<ssize_t> MnlSocket::receive(int flags)
{
    for (;;) {
        ssize_t n = receiveFromKernel(fd(), rx_.data(), rx_.size(), flags);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return receiveError(errno);
    }
}

Result<size_t> MnlSocket::receiveMany(int flags, const MessageSink& visit)
{
    // Each acknowledgement is its own datagram; recvmmsg() reads dozens per system call
    // instead of one (a batch of 200k creates spent more time in recvmsg than in the
    // kernel's own work).
    constexpr size_t kSlots = 64;
    const size_t slot = rx_.size() / kSlots;
    mmsghdr msgs[kSlots] = {};
    iovec iovs[kSlots];
    sockaddr_nl addrs[kSlots];
    for (size_t i = 0; i < kSlots; ++i) {
        iovs[i] = {rx_.data() + i * slot, slot};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    }
    int n;
    do
        n = recvmmsg(fd(), msgs, kSlots, flags, nullptr);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return makeError(errno, std::string("netlink receive: ") + strerror(errno));
    for (int i = 0; i < n; ++i) {
        if (addrs[i].nl_pid != 0)
            continue;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            return makeError(EMSGSIZE, "netlink receive: acknowledgement larger than its slot");
        auto walk = forEachMessage(ByteView(rx_.data() + i * slot, msgs[i].msg_len), visit);
        if (!walk)
            return walk.error();
    }
    return size_t(n);
}

Result<void> MnlSocket::request(ByteView message, const MessageSink& sink)
{
    if (message.size() < NLMSG_HDRLEN)
        return makeError(EINVAL, "request: not a netlink message");
    tx_.assign(message.begin(), message.end());
    uint32_t seq = ++seq_;
    stamp(tx_.data(), seq, AckMode::Keep);
    bool isDump = headerAt(tx_.data()).nlmsg_flags & NLM_F_DUMP;
    if (auto r = sendAll(tx_); !r)
        return r;

    bool stopped = false;
    std::optional<Result<void>> finished;
    // Handles one datagram of the answer; false once the answer is complete or failed.
    auto handle = [&](ByteView datagram) -> Result<bool> {
        auto walk = forEachMessage(datagram, [&](ByteView m) {
            auto h = headerAt(m.data());
            if (h.nlmsg_seq != seq)
                return true; // left over from an earlier request
            if (h.nlmsg_type == NLMSG_ERROR) {
                finished = ackResult(m);
                return false;
            }
            if (h.nlmsg_type == NLMSG_DONE) {
                finished = doneResult(m);
                return false;
            }
            if (h.nlmsg_type < NLMSG_MIN_TYPE)
                return true;
            if (!stopped && !sink(m))
                stopped = true;
            return true;
        });
        if (!walk)
            return walk.error();
        return !finished && !(stopped && isDump);
    };

    Result<void> outcome = isDump ? readDump(seq, handle) : readReply(handle);
    if (!outcome) {
        if (outcome.error().code == ENOBUFS) {
            ++overruns_;
            outcome = makeError(ENOBUFS, "netlink receive buffer overrun: part of the answer was lost");
        }
        // A dump may still be running in the kernel; a fresh socket ends it so the next
        // request does not meet EBUSY or stale parts.
        if (isDump) {
            disconnect();
            if (auto r = connect(); !r)
                return r;
        }
        return outcome;
    }
    if (finished)
        return *finished;
    // The sink stopped a dump: closing the socket ends the kernel's dump; draining it
    // could mean reading a million entries nobody wants.
    disconnect();
    return connect();
}

Result<void> MnlSocket::readReply(const std::function<Result<bool>(ByteView)>& handle)
{
    for (;;) {
        auto n = receive(0);
        if (!n)
            return n.error();
        auto more = handle(ByteView(rx_.data(), size_t(*n)));
        if (!more)
            return more.error();
        if (!*more)
            return {};
    }
}

namespace {

// Whether a datagram holds the end (NLMSG_DONE or NLMSG_ERROR) of the answer to seq.
bool endsAnswer(ByteView datagram, uint32_t seq)
{
    bool ends = false;
    (void)forEachMessage(datagram, [&](ByteView m) {
        auto h = headerAt(m.data());
        if (h.nlmsg_seq == seq && (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR))
            ends = true;
        return !ends;
    });
    return ends;
}

} // namespace

Result<void> MnlSocket::readDump(uint32_t seq, const std::function<Result<bool>(ByteView)>& handle)
{
    // The kernel produces the next part of a dump inside the reader's recvmsg(). Reading on
    // a second thread lets it do that while this thread decodes and formats the parts
    // already read: the two costs overlap instead of adding up. The queue is bounded, so
    // memory stays flat however big the table is.
    struct Datagram {
        std::unique_ptr<uint8_t[]> bytes;
        size_t size = 0;
        int error = 0;
    };
    constexpr size_t kAhead = 16;
    // The reader wakes the decoding thread once kWakeBatch parts wait (or at the end), not
    // for every part: the decoder is several times faster than the kernel's fill, so a
    // wake-up per 32 KiB part cost a futex call and a context switch each (about 1,000 a
    // 100k dump; 200 with batches of 4).
    constexpr size_t kWakeBatch = 4;
    static_assert(kWakeBatch < kAhead);
    // A dump part never exceeds 32 KiB (the kernel caps max_recvmsg_len there).
    constexpr size_t kDatagramMax = 64u << 10;

    std::mutex mu;
    std::condition_variable changed;
    std::deque<Datagram> ready;
    std::vector<std::unique_ptr<uint8_t[]>> spare;
    bool quit = false;
    bool readerDone = false;
    int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0)
        return sysError(errno, "eventfd");

    std::thread reader([&] {
        for (;;) {
            std::unique_ptr<uint8_t[]> buffer;
            {
                std::unique_lock lock(mu);
                changed.wait(lock, [&] { return quit || ready.size() < kAhead; });
                if (quit)
                    break;
                if (!spare.empty()) {
                    buffer = std::move(spare.back());
                    spare.pop_back();
                }
            }
            if (!buffer)
                buffer.reset(new uint8_t[kDatagramMax]);
            pollfd fds[2] = {{fd(), POLLIN, 0}, {wake, POLLIN, 0}};
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                Datagram failed{nullptr, 0, errno};
                std::lock_guard lock(mu);
                ready.push_back(std::move(failed));
                break;
            }
            if (fds[1].revents)
                break;
            ssize_t n = receiveFromKernel(fd(), buffer.get(), kDatagramMax, MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            Datagram d;
            if (n < 0)
                d.error = errno;
            bool last = d.error != 0 || endsAnswer(ByteView(buffer.get(), size_t(n)), seq);
            if (!d.error) {
                d.size = size_t(n);
                d.bytes = std::move(buffer);
            }
            bool wakeMain;
            {
                std::lock_guard lock(mu);
                ready.push_back(std::move(d));
                wakeMain = last || ready.size() >= kWakeBatch;
            }
            if (wakeMain)
                changed.notify_all();
            if (last)
                break;
        }
        std::lock_guard lock(mu);
        readerDone = true;
        changed.notify_all();
    });

    Result<void> outcome;
    for (;;) {
        Datagram d;
        {
            std::unique_lock lock(mu);
            if (ready.empty())
                changed.wait(lock, [&] { return ready.size() >= kWakeBatch || readerDone; });
            if (ready.empty()) {
                outcome = makeError(EIO, "netlink dump ended without NLMSG_DONE");
                break;
            }
            d = std::move(ready.front());
            ready.pop_front();
        }
        changed.notify_all();
        if (d.error) {
            outcome = receiveError(d.error);
            break;
        }
        auto more = handle(ByteView(d.bytes.get(), d.size));
        {
            std::lock_guard lock(mu);
            spare.push_back(std::move(d.bytes));
        }
        if (!more) {
            outcome = more.error();
            break;
        }
        if (!*more)
            break;
    }
    {
        std::lock_guard lock(mu);
        quit = true;
    }
    uint64_t one = 1;
    (void)!write(wake, &one, sizeof one);
    changed.notify_all();
    reader.join();
    close(wake);
    return outcome;
}

Result<void> MnlSocket::collectAcks(uint32_t first, size_t count, size_t indexBase, BatchResult& result,
                                    const BatchErrorSink& onError)
{
    std::vector<bool> seen(count, false);
    // Acking every change: wait for all of them. Otherwise only the last message asked
    // for an ack; netlink always reports failures, and ctnetlink handles a datagram's
    // messages in order, so the barrier's ack means every earlier error has arrived.
    size_t pending = options_.ackEachChange ? count : 1;
    bool lost = false;
    while (pending) {
        auto n = receiveMany(MSG_DONTWAIT, [&](ByteView m) {
            auto h = headerAt(m.data());
            uint32_t i = h.nlmsg_seq - first;
            if (h.nlmsg_type != NLMSG_ERROR || i >= count || seen[i])
                return true;
            seen[i] = true;
            if (options_.ackEachChange || i == count - 1)
                --pending;
            auto r = ackResult(m);
            if (r) {
                ++result.ok;
            } else {
                ++result.failed;
                if (onError)
                    onError(indexBase + i, r.error());
            }
            return true;
        });
        if (!n) {
            int err = n.error().code;
            if (err == ENOBUFS) {
                ++overruns_;
                lost = true;
                continue;
            }
            if (err != EAGAIN && err != EWOULDBLOCK)
                return n.error();
            if (!lost) {
                // ctnetlink answers inside sendmsg, so an empty queue normally means the
                // acks are all read; wait a little in case a kernel defers the work.
                pollfd p{fd(), POLLIN, 0};
                int pr = poll(&p, 1, kAckWaitMs);
                if (pr > 0)
                    continue;
                if (pr < 0 && errno == EINTR)
                    continue;
            }
            Error e = lost ? makeError(ENOBUFS, "acknowledgement lost: netlink receive buffer overrun")
                           : makeError(ETIMEDOUT, "no acknowledgement from the kernel");
            for (size_t i = 0; i < count; ++i)
                if (!seen[i]) {
                    ++result.failed;
                    if (onError)
                        onError(indexBase + i, e);
                }
            return {};
        }
    }
    if (!options_.ackEachChange) {
        // After an overrun a dropped error cannot be told from a success.
        Error unknown = makeError(ENOBUFS, "outcome unknown: netlink receive buffer overrun");
        for (size_t i = 0; i < count; ++i) {
            if (seen[i])
                continue;
            if (!lost) {
                ++result.ok;
                continue;
            }
            ++result.failed;
            if (onError)
                onError(indexBase + i, unknown);
        }
    }
    return {};
}

Result<BatchResult> MnlSocket::batch(ByteView messages, const BatchErrorSink& onError)
{
    BatchResult result;
    size_t maxPerChunk = std::max<size_t>(16, rcvbuf_ / kAckTruesize);
    size_t index = 0;
    size_t off = 0;
    while (off < messages.size()) {
        tx_.clear();
        starts_.clear();
        uint32_t first = seq_ + 1;
        size_t count = 0;
        while (off < messages.size() && count < maxPerChunk) {
            size_t len = 0;
            if (auto r = checkMessageHeader(messages.subspan(off), len); !r)
                return r.error();
            size_t step = std::min<size_t>(NLMSG_ALIGN(len), messages.size() - off);
            if (count && tx_.size() + step > maxDatagram_)
                break;
            size_t at = tx_.size();
            tx_.insert(tx_.end(), messages.begin() + off, messages.begin() + off + step);
            starts_.push_back(at);
            stamp(tx_.data() + at, ++seq_, options_.ackEachChange ? AckMode::Force : AckMode::Clear);
            off += step;
            ++count;
        }
        if (!options_.ackEachChange && count)
            stamp(tx_.data() + starts_.back(), seq_, AckMode::Force); // the chunk's barrier
        if (auto r = sendAll(tx_); !r)
            return r.error();
        if (auto r = collectAcks(first, count, index, result, onError); !r)
            return r.error();
        index += count;
    }
    return result;
}

Result<void> MnlSocket::subscribe(uint32_t groups)
{
    for (int g = 1; g <= 32; ++g) {
        if (!(groups & (1u << (g - 1))))
            continue;
        if (mnl_socket_setsockopt(nl_, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0)
            return sysError(errno, "netlink subscribe");
    }
    groups_ |= groups;
    return {};
}

Result<void> MnlSocket::attachFilter(const std::vector<sock_filter>& program)
{
    const int fd = mnl_socket_get_fd(nl_);
    if (program.empty()) {
        int unused = 0;
        if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) < 0 && errno != ENOENT)
            return sysError(errno, "detach socket filter");
        filter_.clear();
        return {};
    }
    if (program.size() > BPF_MAXINSNS)
        return makeError(E2BIG, "socket filter of " + std::to_string(program.size()) + " instructions (the kernel takes " +
                                    std::to_string(BPF_MAXINSNS) + ")");
    sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
        return sysError(errno, "attach socket filter");
    filter_ = program;
    return {};
}

Result<EventReceipt> MnlSocket::receiveEvents(const MessageSink& sink, int timeoutMs)
{
    EventReceipt receipt;
    if (timeoutMs != 0) {
        pollfd p{fd(), POLLIN, 0};
        int pr = poll(&p, 1, timeoutMs);
        if (pr < 0 && errno != EINTR)
            return sysError(errno, "poll");
        if (pr <= 0)
            return receipt;
    }
    // Bounded so one busy table cannot starve the rest of the event loop.
    for (int round = 0; round < 1024; ++round) {
        auto n = receive(MSG_DONTWAIT);
        if (!n) {
            int err = n.error().code;
            if (err == ENOBUFS) {
                ++overruns_;
                receipt.overrun = true;
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK)
                break;
            return n.error();
        }
        auto walk = forEachMessage(ByteView(rx_.data(), size_t(*n)), [&](ByteView m) {
            if (headerAt(m.data()).nlmsg_type >= NLMSG_MIN_TYPE) {
                ++receipt.messages;
                sink(m);
            }
            return true;
        });
        if (!walk)
            return walk.error();
    }
    return receipt;
}

TransportFactory mnlSocketFactory(const SocketOptions& options)
{
    return [options]() -> Result<std::unique_ptr<NetlinkTransport>> {
        auto s = MnlSocket::open(options);
        if (!s)
            return s.error();
        return std::unique_ptr<NetlinkTransport>(std::move(*s));
    };
}

} // namespace ctd::nl
