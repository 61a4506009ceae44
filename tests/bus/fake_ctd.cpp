// ctd with a synthetic table, for the bus suite's stream tests while core is not bound:
// the real service (loop, bus, polkit, adaptors, output streams) over a TableBackend that
// produces CTD_FAKE_ENTRIES numbered lines for List and one line every 10 ms for Watch.
// It is also the model of a producer that honours backpressure and cancellation.
#include "backends.hpp"
#include "log.hpp"
#include "service.hpp"

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>

using namespace ctd::dbus;

namespace {

std::string record(uint64_t i)
{
    return "tcp      6 100 ESTABLISHED src=192.0.2.1 dst=198.18.0.2 sport=" +
        std::to_string(1024 + i % 60000) + " dport=22 id=" + std::to_string(i) + "\n";
}

// Writes entries until the stream is full, then continues from onWritable; yields to the
// loop every batch so one big dump does not starve other clients.
class ListJob : public std::enable_shared_from_this<ListJob> {
public:
    ListJob(EventLoop& loop, StreamPtr out, uint64_t total, bool writes, CountDone done)
        : loop_(loop), out_(std::move(out)), total_(total), writes_(writes), done_(std::move(done))
    {
    }

    void start()
    {
        auto self = shared_from_this();
        out_->onWritable([self] { self->step(); });
        out_->onCancel([self] { self->finish(ctd::makeError(EPIPE, "the reader closed the stream")); });
        step();
    }

private:
    void step()
    {
        if (!done_)
            return;
        for (int batch = 0; next_ < total_ && batch < 512; ++batch) {
            if (writes_ && !out_->write(record(next_)))
                return; // onWritable resumes us
            ++next_;
        }
        if (next_ < total_) {
            auto self = shared_from_this();
            loop_.post([self] { self->step(); });
            return;
        }
        finish(total_);
    }

    void finish(ctd::Result<uint64_t> result)
    {
        if (!done_)
            return;
        auto done = std::move(done_);
        done_ = nullptr;
        out_->onWritable(nullptr);
        out_->onCancel(nullptr);
        done(std::move(result));
    }

    EventLoop& loop_;
    StreamPtr out_;
    uint64_t total_;
    bool writes_;
    uint64_t next_ = 0;
    CountDone done_;
};

class Watcher {
public:
    Watcher(EventLoop& loop, StreamPtr out) : out_(std::move(out))
    {
        sd_event_add_time_relative(loop.get(), &timer_, CLOCK_MONOTONIC, 10000, 1000, onTimer, this);
        sd_event_source_set_enabled(timer_, SD_EVENT_ON);
    }
    ~Watcher() { sd_event_source_disable_unref(timer_); }
    bool gone() const { return out_->cancelled() || out_->closed(); }

private:
    static int onTimer(sd_event_source* source, uint64_t usec, void* userdata)
    {
        auto* self = static_cast<Watcher*>(userdata);
        // A burst of 200 events per tick: a reader that does not keep up loses some.
        for (int i = 0; i < 200 && !self->gone(); ++i)
            self->out_->writeRecord("[NEW] " + record(self->seq_++));
        sd_event_source_set_time(source, usec + 10000);
        return 0;
    }

    StreamPtr out_;
    sd_event_source* timer_ = nullptr;
    uint64_t seq_ = 0;
};

class FakeTableBackend final : public TableBackend {
public:
    explicit FakeTableBackend(EventLoop& loop) : loop_(loop)
    {
        const char* n = std::getenv("CTD_FAKE_ENTRIES");
        total_ = n ? std::strtoull(n, nullptr, 10) : 1000;
    }

    void list(const QueryArgs&, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        std::make_shared<ListJob>(loop_, out, total_, !format.writesNothing(), std::move(done))->start();
    }
    void get(const EntryArgs&, const OutputFormat&, StreamPtr, CountDone done) override
    {
        done(ctd::makeError(ENOENT, "no such entry"));
    }
    void create(const EntryArgs&, const OutputFormat&, StreamPtr, VoidDone done) override
    {
        done(ctd::makeError(EEXIST, "entry exists"));
    }
    void update(const QueryArgs&, const Changes&, const OutputFormat&, StreamPtr, CountDone done) override
    {
        done(ctd::makeError(ENOENT, "nothing matched"));
    }
    void remove(const QueryArgs&, const OutputFormat&, StreamPtr, CountDone done) override
    {
        done(ctd::makeError(ENOENT, "nothing matched"));
    }
    void flush(const QueryArgs&, CountDone done) override { done(uint64_t{0}); }
    void countMatching(const QueryArgs&, CountDone done) override { done(total_); }
    void load(int, LoadDone done) override { done(ctd::makeError(EINVAL, "line 1: bad save line")); }
    ctd::Result<void> watch(const QueryArgs&, const OutputFormat&, StreamPtr out) override
    {
        // Forget watchers whose reader left (the stream was cancelled).
        std::erase_if(watchers_, [](const auto& w) { return w->gone(); });
        watchers_.push_back(std::make_unique<Watcher>(loop_, out));
        return ctd::Ok{};
    }
    ctd::Result<uint64_t> count() override { return total_; }
    ctd::Result<uint64_t> max() override { return 262144; }

private:
    EventLoop& loop_;
    uint64_t total_ = 0;
    std::vector<std::unique_ptr<Watcher>> watchers_;
};

} // namespace

int main(int argc, char** argv)
{
    ctd::log::init(LOG_DEBUG);
    ServiceOptions options;
    options.idleTimeoutSec = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 30;
    return runService(options, [](EventLoop& loop) {
        ServiceBackends backends;
        backends.table = std::make_unique<FakeTableBackend>(loop);
        backends.features = {"table"};
        return backends;
    });
}
