// The one owner of NETLINK_NETFILTER sockets. NetlinkTransport is the seam: operations
// above it (conntrack_table, expectation_table, event_listener, kernel_stats) only build
// and parse bytes, so tests run them against a fake that replays recorded messages.
#pragma once

#include "bytes.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <linux/filter.h>
#include <memory>
#include <vector>

struct mnl_socket;

namespace ctd::nl {

// Receives one whole netlink message; returns false to stop (the rest of a dump is
// discarded).
using MessageSink = std::function<bool(ByteView message)>;
// Called for each failed message of a batch: its index in the batch and the error.
using BatchErrorSink = std::function<void(size_t index, const Error& error)>;

struct BatchResult {
    size_t ok = 0;
    size_t failed = 0;
};

struct EventReceipt {
    size_t messages = 0;
    bool overrun = false; // the kernel dropped events (ENOBUFS) since the last receipt
};

class NetlinkTransport {
public:
    virtual ~NetlinkTransport() = default;

    // Sends one request and delivers its answer: each part of a dump, or a get's reply,
    // until NLMSG_DONE or the acknowledgement. A kernel error becomes the Error.
    virtual Result<void> request(ByteView message, const MessageSink& sink) = 0;

    // Sends `messages` (count messages back to back, each with NLM_F_ACK) in large
    // datagrams and checks every acknowledgement.
    virtual Result<BatchResult> batch(ByteView messages, const BatchErrorSink& onError) = 0;

    // Event subscription: groups is an EventGroup mask (ctnl_constants.hpp).
    virtual Result<void> subscribe(uint32_t groups) = 0;
    // Delivers queued event messages; waits up to timeoutMs for the first (-1 = forever,
    // 0 = don't wait).
    virtual Result<EventReceipt> receiveEvents(const MessageSink& sink, int timeoutMs) = 0;

    virtual int fd() const = 0;
    // ENOBUFS seen so far (lost events or lost acknowledgements).
    virtual uint64_t overruns() const = 0;
};

// Opens another transport: for a second concurrent table walk, or for changes sent while
// a dump is still running on the first.
using TransportFactory = std::function<Result<std::unique_ptr<NetlinkTransport>>()>;

struct SocketOptions {
    size_t receiveBuffer = 4u << 20;
    size_t batchBytes = 256u << 10;
    // true: every message of a batch asks for its own acknowledgement. false: only the
    // last of each datagram does (a barrier); failures are still reported one by one,
    // and an overrun still marks the whole datagram as unknown.
    bool ackEachChange = true;
};

class MnlSocket final : public NetlinkTransport {
public:
    static Result<std::unique_ptr<MnlSocket>> open(const SocketOptions& options = {});
    ~MnlSocket() override;
    MnlSocket(const MnlSocket&) = delete;
    MnlSocket& operator=(const MnlSocket&) = delete;

    Result<void> request(ByteView message, const MessageSink& sink) override;
    Result<BatchResult> batch(ByteView messages, const BatchErrorSink& onError) override;
    Result<void> subscribe(uint32_t groups) override;
    Result<EventReceipt> receiveEvents(const MessageSink& sink, int timeoutMs) override;
    int fd() const override;
    uint64_t overruns() const override { return overruns_; }
    // SO_ATTACH_FILTER: the kernel runs `program` on every message queued to this socket
    // (events and replies alike, so only for a socket used for events) and drops those it
    // answers 0 to. Kept and attached again when the socket is reopened. An empty program
    // detaches. The kernel's refusal (EINVAL: it failed the checker; ENOMEM) is the Error.
    Result<void> attachFilter(const std::vector<sock_filter>& program);
    size_t filterLength() const { return filter_.size(); }
    // The netlink port id: the nlmsg_pid of the events this socket's changes cause.
    uint32_t portId() const { return portId_; }

    size_t receiveBufferSize() const { return rcvbuf_; }
    size_t maxDatagram() const { return maxDatagram_; }

private:
    explicit MnlSocket(const SocketOptions& options);
    Result<void> connect();
    void disconnect();
    Result<void> sendAll(ByteView datagram);
    Result<ssize_t> receive(int flags);
    // Read the answer to a request datagram by datagram, handing each to handle until it
    // returns false. readDump reads ahead on a second thread (see socket.cpp).
    Result<void> readReply(const std::function<Result<bool>(ByteView)>& handle);
    Result<void> readDump(uint32_t seq, const std::function<Result<bool>(ByteView)>& handle);
    // Reads up to 64 datagrams at once; visit sees each message. Returns datagrams read.
    Result<size_t> receiveMany(int flags, const MessageSink& visit);
    // Reads acknowledgements for seq [first, first + count) of a batch chunk.
    Result<void> collectAcks(uint32_t first, size_t count, size_t indexBase, BatchResult& result,
                             const BatchErrorSink& onError);

    SocketOptions options_;
    mnl_socket* nl_ = nullptr;
    uint32_t portId_ = 0;
    uint32_t seq_ = 0;
    uint32_t groups_ = 0;
    size_t rcvbuf_ = 0;
    size_t maxDatagram_ = 0;
    uint64_t overruns_ = 0;
    std::vector<uint8_t> rx_;
    std::vector<uint8_t> tx_;
    std::vector<size_t> starts_; // offsets of the messages in tx_
    std::vector<sock_filter> filter_;
};

// A factory of MnlSockets with these options.
TransportFactory mnlSocketFactory(const SocketOptions& options = {});

} // namespace ctd::nl
