// Table walks off the loop. The kernel walks the conntrack hash inside recvmsg, so a dump
// of a big table blocks whoever reads it for as long as the walk takes: that reader is a
// worker thread with its own netlink socket, never the sd-event loop. The worker formats
// into a TextBuffer and hands full buffers to the loop through a small bounded queue
// (kMaxChunks of kChunkBytes); when the queue is full the worker waits, so memory stays
// flat whatever the table size. The loop writes the chunks into the caller's
// OutputStream, honouring its backpressure. A reader that goes away (or the service
// stopping) cancels the worker, which then stops at its next entry.
#pragma once

#include "backends.hpp"
#include "event_loop.hpp"
#include "output_stream.hpp"

#include "format/text_buffer.hpp"
#include "result.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ctd::dbus {

struct JobResult {
    uint64_t count = 0;
    uint64_t failed = 0; // Load only
};

// The worker's side of a job: a buffer to format into, and the hand-over to the loop.
class JobOutput {
public:
    static constexpr size_t kChunkBytes = 256u << 10;
    static constexpr size_t kMaxChunks = 4;

    TextBuffer& buffer() { return buffer_; }
    // Hands the buffer over once it holds a chunk's worth. false: cancelled, stop.
    bool maybeFlush() { return buffer_.size() < kChunkBytes ? !cancelled() : flush(); }
    // Hands over whatever is buffered (waits while the queue is full). false: cancelled.
    bool flush();
    bool cancelled() const { return cancel_.load(std::memory_order_relaxed); }

private:
    friend class Job;
    JobOutput() : buffer_(kChunkBytes + (16u << 10)) {}

    TextBuffer buffer_;
    std::atomic<bool> cancel_{false};
    std::mutex mutex_;
    std::condition_variable space_;
    std::deque<std::string> queue_;
    std::vector<std::string> spare_;
    bool finished_ = false;
    std::function<void()> wake_; // tells the loop (eventfd)
};

using JobBody = std::function<ctd::Result<JobResult>(JobOutput&)>;
using JobDone = std::function<void(ctd::Result<JobResult>)>;

class Job;

// Owns the running jobs of a backend. Destroying it (service shutdown) cancels and joins
// every worker without calling their done callbacks.
class JobRunner {
public:
    explicit JobRunner(EventLoop& loop) : loop_(loop) {}
    ~JobRunner();
    JobRunner(const JobRunner&) = delete;
    JobRunner& operator=(const JobRunner&) = delete;

    // out may be null (nothing to write: Flush, CountMatching, Load). done runs on the
    // loop once the worker returned and every chunk was taken by out.
    void start(StreamPtr out, JobBody body, JobDone done);
    size_t running() const { return jobs_.size(); }

private:
    friend class Job;
    void forget(Job* job);

    EventLoop& loop_;
    std::list<std::shared_ptr<Job>> jobs_;
};

// The error a cancelled job reports (the adaptor answers it; the reader is gone anyway).
ctd::Error readerGone();

} // namespace ctd::dbus
