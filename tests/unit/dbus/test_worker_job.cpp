// Worker jobs: chunks produced on a thread reach the caller's pipe complete and in order
// through the bounded queue; a reader that leaves stops the worker; destroying the runner
// (service shutdown) stops and joins a worker blocked on a full queue.
#include "worker_job.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

using namespace ctd::dbus;

namespace {

class WorkerJobTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        loop_ = EventLoop::create();
        ASSERT_TRUE(loop_);
        ASSERT_EQ(pipe2(pipe_, O_CLOEXEC), 0);
        fcntl(pipe_[0], F_SETFL, fcntl(pipe_[0], F_GETFL) | O_NONBLOCK);
    }
    void TearDown() override
    {
        for (int fd : pipe_)
            if (fd >= 0)
                close(fd);
    }

    // Runs the loop, draining the pipe into read_, until done() or the limit.
    bool runUntil(const std::function<bool()>& done, uint64_t limitUsec = 5000000)
    {
        const uint64_t end = EventLoop::now() + limitUsec;
        while (!done() && EventLoop::now() < end) {
            sd_event_run(loop_->get(), 1000);
            drainPipe();
        }
        return done();
    }
    void drainPipe()
    {
        if (!reading_ || pipe_[0] < 0)
            return;
        char buf[65536];
        ssize_t n;
        while ((n = read(pipe_[0], buf, sizeof buf)) > 0)
            read_.append(buf, size_t(n));
    }

    StreamPtr open()
    {
        auto stream = OutputStream::open(*loop_, pipe_[1], {});
        EXPECT_TRUE(stream.ok());
        return stream.ok() ? *stream : nullptr;
    }

    std::unique_ptr<EventLoop> loop_;
    int pipe_[2] = {-1, -1};
    std::string read_;
    bool reading_ = true;
};

std::string line(uint64_t i) { return "entry " + std::to_string(i) + "\n"; }

} // namespace

TEST_F(WorkerJobTest, ChunksArriveCompleteAndInOrder)
{
    JobRunner runner(*loop_);
    auto out = open();
    std::optional<ctd::Result<JobResult>> result;
    constexpr uint64_t n = 400000; // ~5 MiB: many chunks, more than the queue holds
    runner.start(out, [](JobOutput& io) -> ctd::Result<JobResult> {
        for (uint64_t i = 0; i < n; ++i) {
            io.buffer().append(line(i));
            if (!io.maybeFlush())
                return readerGone();
        }
        io.flush();
        return JobResult{n};
    }, [&](ctd::Result<JobResult> r) { result.emplace(std::move(r)); });
    ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
    ASSERT_TRUE(result->ok());
    EXPECT_EQ((*result)->count, n);
    bool finished = false;
    out->finish([&] { finished = true; });
    out.reset();
    ASSERT_TRUE(runUntil([&] { return finished; }));
    drainPipe();
    std::string want;
    for (uint64_t i = 0; i < n; ++i)
        want += line(i);
    EXPECT_EQ(read_.size(), want.size());
    EXPECT_TRUE(read_ == want);
    EXPECT_EQ(runner.running(), 0u);
}

TEST_F(WorkerJobTest, ReaderLeavingStopsTheWorker)
{
    JobRunner runner(*loop_);
    auto out = open();
    std::atomic<uint64_t> produced{0};
    std::optional<ctd::Result<JobResult>> result;
    runner.start(out, [&](JobOutput& io) -> ctd::Result<JobResult> {
        for (;;) { // endless: only cancellation ends it
            io.buffer().append(line(produced++));
            if (!io.maybeFlush())
                return readerGone();
        }
    }, [&](ctd::Result<JobResult> r) { result.emplace(std::move(r)); });
    reading_ = false; // the pipe and then the queue fill up; the worker waits
    runUntil([] { return false; }, 200000);
    close(pipe_[0]);
    pipe_[0] = -1;
    ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().code, EPIPE);
    // Bounded: the pipe (1 MiB), the stream (4 MiB) and the queue, not an endless producer.
    EXPECT_LT(produced.load() * 12, uint64_t(16) << 20);
}

TEST_F(WorkerJobTest, DestroyingTheRunnerJoinsABlockedWorker)
{
    bool called = false;
    auto start = std::chrono::steady_clock::now();
    {
        JobRunner runner(*loop_);
        auto out = open();
        reading_ = false;
        runner.start(out, [](JobOutput& io) -> ctd::Result<JobResult> {
            for (uint64_t i = 0;; ++i) {
                io.buffer().append(line(i));
                if (!io.maybeFlush())
                    return readerGone();
            }
        }, [&](ctd::Result<JobResult>) { called = true; });
        runUntil([] { return false; }, 200000);
    }
    EXPECT_FALSE(called); // shutdown forgets the caller
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(WorkerJobTest, JobWithoutStreamReportsItsResult)
{
    JobRunner runner(*loop_);
    std::optional<ctd::Result<JobResult>> result;
    runner.start(nullptr, [](JobOutput&) -> ctd::Result<JobResult> { return ctd::makeError(ENOENT, "no entry matched"); },
                 [&](ctd::Result<JobResult> r) { result.emplace(std::move(r)); });
    ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
    ASSERT_FALSE(result->ok());
    EXPECT_EQ(result->error().code, ENOENT);
}
