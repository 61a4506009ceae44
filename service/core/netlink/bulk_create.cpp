#include "bulk_create.hpp"

#include "ctnl_build.hpp"
#include "nl_writer.hpp"

#include <cerrno>

namespace ctd::nl {

struct BulkCreator::Chunk {
    NlWriter writer;
    std::vector<uint64_t> tags; // one per message in writer
    void clear()
    {
        writer.clear();
        tags.clear();
    }
};

BulkCreator::BulkCreator(const BulkCreateOptions& options, ErrorSink onError)
    : options_(options), onError_(std::move(onError)), filling_(std::make_unique<Chunk>())
{
    options_.senders = std::max<size_t>(options_.senders, 1);
    options_.queueChunks = std::max<size_t>(options_.queueChunks, 1);
}

Result<std::unique_ptr<BulkCreator>> BulkCreator::start(const TransportFactory& open, const BulkCreateOptions& options,
                                                        ErrorSink onError)
{
    if (!open)
        return makeError(EINVAL, "bulk create: no transport");
    std::unique_ptr<BulkCreator> c(new BulkCreator(options, std::move(onError)));
    for (size_t i = 0; i < c->options_.senders; ++i) {
        auto t = open();
        if (!t)
            return t.error();
        c->transports_.push_back(std::move(*t));
    }
    for (auto& t : c->transports_)
        c->threads_.emplace_back([c = c.get(), t = t.get()] { c->run(*t); });
    return c;
}

BulkCreator::~BulkCreator() { stop(); }

void BulkCreator::stop()
{
    {
        std::lock_guard lock(mu_);
        quit_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
    threads_.clear();
}

void BulkCreator::run(NetlinkTransport& transport)
{
    for (;;) {
        std::unique_ptr<Chunk> chunk;
        {
            std::unique_lock lock(mu_);
            changed_.wait(lock, [&] { return quit_ || !queue_.empty(); });
            if (quit_)
                return; // finish() drained the queue first; the destructor drops it
            chunk = std::move(queue_.front());
            queue_.pop_front();
            ++inFlight_;
        }
        changed_.notify_all(); // room in the queue
        uint64_t failed = 0;
        std::optional<Error> first;
        auto r = transport.batch(chunk->writer.bytes(), [&](size_t i, const Error& e) {
            ++failed;
            if (!first)
                first = e;
            if (onError_) {
                std::lock_guard lock(sinkMu_);
                onError_(i < chunk->tags.size() ? chunk->tags[i] : 0, e);
            }
        });
        {
            std::lock_guard lock(mu_);
            if (r) {
                report_.done += r->ok;
            } else if (!fatal_) {
                fatal_ = r.error();
            }
            report_.failed += failed;
            if (first && !report_.firstError)
                report_.firstError = std::move(first);
            --inFlight_;
            chunk->clear();
            spare_.push_back(std::move(chunk));
        }
        changed_.notify_all();
    }
}

Result<void> BulkCreator::add(const Entry& e, uint64_t tag)
{
    Chunk& c = *filling_;
    if (auto r = buildConntrackCreate(c.writer, e, options_.exclusive); !r) {
        {
            std::lock_guard lock(mu_);
            ++report_.failed;
            if (!report_.firstError)
                report_.firstError = r.error();
        }
        if (onError_) {
            std::lock_guard lock(sinkMu_);
            onError_(tag, r.error());
        }
        return Ok{};
    }
    c.tags.push_back(tag);
    if (c.writer.size() >= options_.chunkBytes)
        return submit();
    return Ok{};
}

Result<void> BulkCreator::submit()
{
    std::unique_lock lock(mu_);
    if (fatal_)
        return *fatal_;
    if (!filling_->writer.messages())
        return Ok{};
    changed_.wait(lock, [&] { return fatal_ || queue_.size() < options_.queueChunks; });
    if (fatal_)
        return *fatal_;
    queue_.push_back(std::move(filling_));
    if (!spare_.empty()) {
        filling_ = std::move(spare_.back());
        spare_.pop_back();
    } else {
        filling_ = std::make_unique<Chunk>();
    }
    lock.unlock();
    changed_.notify_all();
    return Ok{};
}

Result<void> BulkCreator::drain()
{
    if (auto r = submit(); !r)
        return r;
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return queue_.empty() && inFlight_ == 0; });
    if (fatal_)
        return *fatal_;
    return Ok{};
}

Result<BulkCreateReport> BulkCreator::finish()
{
    auto drained = drain();
    stop();
    if (!drained)
        return drained.error();
    std::lock_guard lock(mu_);
    return report_;
}

} // namespace ctd::nl
