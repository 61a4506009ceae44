// Bulk creates that overlap with whatever produces them (conntrack -R's parser, the sync
// commit's walk of the external cache): the caller builds create messages into chunks,
// sender threads, each on its own transport, hand full chunks to the kernel. The queue
// between them is bounded, so memory does not grow with the number of entries.
#pragma once

#include "entry.hpp"
#include "result.hpp"
#include "socket.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ctd::nl {

class NlWriter;

struct BulkCreateOptions {
    size_t senders = 1; // threads, one transport each
    size_t queueChunks = 4; // full chunks waiting for a sender, at most
    size_t chunkBytes = 256u << 10;
    bool exclusive = true; // NLM_F_EXCL: an existing entry fails with EEXIST
};

struct BulkCreateReport {
    uint64_t done = 0;
    uint64_t failed = 0; // kernel errors, including EEXIST, and entries that could not be built
    std::optional<Error> firstError;
};

class BulkCreator {
public:
    // Called for each failed entry with the tag it was added with; from a sender thread
    // (never two calls at once) or, for a build failure, from add() itself.
    using ErrorSink = std::function<void(uint64_t tag, const Error& error)>;

    // Opens one transport per sender through open (so failures show here) and starts the
    // senders.
    static Result<std::unique_ptr<BulkCreator>> start(const TransportFactory& open, const BulkCreateOptions& options,
                                                      ErrorSink onError);
    ~BulkCreator();
    BulkCreator(const BulkCreator&) = delete;
    BulkCreator& operator=(const BulkCreator&) = delete;

    // Builds the create for e; may wait for room in the queue. A build failure goes to the
    // error sink (the call still succeeds); an error is a transport failure, after which
    // nothing more is sent.
    Result<void> add(const Entry& e, uint64_t tag);
    // Returns when every entry added so far has its answer: the point to order a delete
    // or a flush after the creates before it.
    Result<void> drain();
    // drain(), then stops the senders. Unless a transport failed, the report counts every
    // entry added (done + failed).
    Result<BulkCreateReport> finish();

private:
    struct Chunk;
    explicit BulkCreator(const BulkCreateOptions& options, ErrorSink onError);
    void run(NetlinkTransport& transport);
    Result<void> submit(); // queues the chunk being filled
    void stop();

    BulkCreateOptions options_;
    ErrorSink onError_;
    std::unique_ptr<Chunk> filling_;
    std::vector<std::unique_ptr<NetlinkTransport>> transports_;
    std::vector<std::thread> threads_;

    std::mutex sinkMu_; // one error sink call at a time
    std::mutex mu_;
    std::condition_variable changed_;
    std::deque<std::unique_ptr<Chunk>> queue_;
    std::vector<std::unique_ptr<Chunk>> spare_;
    size_t inFlight_ = 0;
    bool quit_ = false;
    std::optional<Error> fatal_;
    BulkCreateReport report_;
};

} // namespace ctd::nl
