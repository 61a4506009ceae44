#include "worker_job.hpp"

#include "log.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ctd::dbus {

ctd::Error readerGone() { return ctd::makeError(EPIPE, "the reader closed the stream"); }

bool JobOutput::flush()
{
    if (buffer_.empty())
        return !cancelled();
    bool wasEmpty = false;
    {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [this] { return queue_.size() < kMaxChunks || cancelled(); });
        if (cancelled())
            return false;
        std::string chunk;
        if (!spare_.empty()) {
            chunk = std::move(spare_.back());
            spare_.pop_back();
        }
        chunk.assign(buffer_.view());
        wasEmpty = queue_.empty();
        queue_.push_back(std::move(chunk));
    }
    buffer_.clear();
    // The loop drains the whole queue per wake-up: only the first chunk needs one.
    if (wasEmpty)
        wake_();
    return true;
}

// One job: the worker thread, the eventfd that wakes the loop, the pump into the stream.
class Job : public std::enable_shared_from_this<Job> {
public:
    Job(JobRunner& runner, StreamPtr out, JobDone done)
        : runner_(runner), out_(std::move(out)), done_(std::move(done))
    {
    }

    ~Job()
    {
        stopWorker();
        source_ = sd_event_source_disable_unref(source_);
        if (efd_ >= 0)
            ::close(efd_);
    }

    ctd::Result<void> start(JobBody body)
    {
        efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (efd_ < 0)
            return ctd::makeError(errno, std::string("eventfd: ") + std::strerror(errno));
        int r = sd_event_add_io(runner_.loop_.get(), &source_, efd_, EPOLLIN, onWake, this);
        if (r < 0)
            return ctd::makeError(-r, std::string("event source: ") + std::strerror(-r));
        sd_event_source_set_description(source_, "worker-job");
        const int efd = efd_;
        io_.wake_ = [efd] {
            uint64_t one = 1;
            (void)!::write(efd, &one, sizeof one);
        };
        if (out_) {
            std::weak_ptr<Job> weak = weak_from_this();
            out_->onWritable([weak] {
                if (auto self = weak.lock())
                    self->pump();
            });
            out_->onCancel([weak] {
                if (auto self = weak.lock())
                    self->cancel();
            });
        }
        thread_ = std::thread([this, body = std::move(body)] {
            auto result = body(io_);
            {
                std::lock_guard lock(io_.mutex_);
                result_.emplace(std::move(result));
                io_.finished_ = true;
            }
            io_.wake_();
        });
        return ctd::Ok{};
    }

    // Shutdown: stop the worker and forget the caller.
    void abandon()
    {
        done_ = nullptr;
        stopWorker();
    }

private:
    static int onWake(sd_event_source*, int fd, uint32_t, void* userdata)
    {
        uint64_t n;
        (void)!::read(fd, &n, sizeof n);
        auto self = static_cast<Job*>(userdata)->shared_from_this();
        self->pump();
        return 0;
    }

    void cancel()
    {
        cancelled_ = true;
        {
            std::lock_guard lock(io_.mutex_);
            io_.cancel_ = true;
            io_.queue_.clear();
        }
        io_.space_.notify_all();
    }

    void stopWorker()
    {
        cancel();
        if (thread_.joinable())
            thread_.join();
    }

    // Moves queued chunks into the stream until it is full (onWritable resumes) or the
    // queue is empty; completes the job once the worker is done and nothing is left.
    void pump()
    {
        if (!done_)
            return;
        for (;;) {
            std::string chunk;
            bool finished = false;
            {
                std::lock_guard lock(io_.mutex_);
                if (io_.queue_.empty()) {
                    finished = io_.finished_;
                } else {
                    chunk = std::move(io_.queue_.front());
                    io_.queue_.pop_front();
                }
            }
            if (chunk.empty()) {
                if (finished)
                    complete();
                return;
            }
            if (!out_ || cancelled_ || out_->cancelled()) {
                if (out_ && out_->cancelled())
                    cancel();
                continue; // drop it; the worker stops at its next entry
            }
            if (!out_->write(chunk)) {
                if (out_->cancelled()) {
                    cancel();
                    continue;
                }
                std::lock_guard lock(io_.mutex_);
                io_.queue_.push_front(std::move(chunk));
                return; // onWritable calls pump again
            }
            {
                std::lock_guard lock(io_.mutex_);
                chunk.clear();
                io_.spare_.push_back(std::move(chunk));
            }
            io_.space_.notify_one();
        }
    }

    void complete()
    {
        auto keep = shared_from_this();
        if (thread_.joinable())
            thread_.join();
        source_ = sd_event_source_disable_unref(source_);
        if (out_) {
            out_->onWritable(nullptr);
            out_->onCancel(nullptr);
        }
        auto done = std::move(done_);
        done_ = nullptr;
        ctd::Result<JobResult> result = cancelled_ ? ctd::Result<JobResult>(readerGone())
                                                   : std::move(*result_);
        runner_.forget(this);
        if (done)
            done(std::move(result));
    }

    JobRunner& runner_;
    StreamPtr out_;
    JobDone done_;
    JobOutput io_;
    std::thread thread_;
    int efd_ = -1;
    sd_event_source* source_ = nullptr;
    bool cancelled_ = false;
    std::optional<ctd::Result<JobResult>> result_;
};

JobRunner::~JobRunner()
{
    for (auto& job : jobs_)
        job->abandon();
    jobs_.clear();
}

void JobRunner::start(StreamPtr out, JobBody body, JobDone done)
{
    auto job = std::make_shared<Job>(*this, std::move(out), done);
    if (auto r = job->start(std::move(body)); !r) {
        done(r.error());
        return;
    }
    jobs_.push_back(std::move(job));
}

void JobRunner::forget(Job* job)
{
    jobs_.remove_if([job](const auto& p) { return p.get() == job; });
}

} // namespace ctd::dbus
