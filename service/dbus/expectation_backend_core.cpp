// ExpectationBackend over ctcore's ExpectationTable. The expectation table is small next
// to the conntrack table, but a walk is still a blocking recvmsg: the same worker jobs.
#include "core_backends_impl.hpp"

#include "format_options.hpp"

#include "netlink/expectation_table.hpp"

#include <cerrno>

namespace ctd::dbus {

namespace {

struct ExpectSession {
    std::unique_ptr<nl::MnlSocket> socket;
    std::unique_ptr<nl::ExpectationTable> table;

    static ctd::Result<ExpectSession> open()
    {
        auto socket = nl::MnlSocket::open();
        if (!socket)
            return socket.error();
        ExpectSession s;
        s.socket = std::move(*socket);
        s.table = std::make_unique<nl::ExpectationTable>(*s.socket);
        return s;
    }
};

ctd::Error nothingMatched() { return ctd::makeError(ENOENT, "no expectation matched"); }

// Dumps the expectations of q and hands over each match; returns the number given.
ctd::Result<uint64_t> eachMatch(nl::ExpectationTable& table, const Query& q,
                                const std::function<bool(const Expectation&)>& sink)
{
    uint64_t n = 0;
    auto r = table.dump(q.family.value_or(0), [&](const Expectation& x) {
        if (!expectationMatches(q, x))
            return true;
        ++n;
        return sink(x);
    });
    if (!r)
        return r.error();
    return n;
}

class CoreExpectationBackend final : public ExpectationBackend {
public:
    explicit CoreExpectationBackend(std::shared_ptr<CoreShared> shared)
        : shared_(std::move(shared)), jobs_(shared_->loop)
    {
    }

    void list(const QueryArgs& args, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        printMatches(args.query, format, out, std::move(done), Command::List, false);
    }

    void get(const ExpectationArgs& args, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        const bool writes = !format.writesNothing();
        auto fmt = toFormatOptions(format);
        run(writes ? out : nullptr, std::move(done), [x = args.expectation, fmt, writes](JobOutput& io) -> ctd::Result<JobResult> {
            auto s = ExpectSession::open();
            if (!s)
                return s.error();
            Formatter f(fmt, Command::Get, io.buffer());
            f.begin();
            uint64_t n = 0;
            if (x.tuple.src.family != 0) {
                auto found = s->table->get(x.family ? x.family : x.tuple.src.family, x.tuple, x.zone);
                if (!found)
                    return found.error();
                n = 1;
                if (writes)
                    f.expectation(*found);
            } else {
                Query q;
                q.id = x.id;
                auto r = eachMatch(*s->table, q, [&](const Expectation& m) {
                    if (writes)
                        f.expectation(m);
                    return io.maybeFlush();
                });
                if (!r)
                    return r.error();
                n = *r;
                if (n == 0)
                    return nothingMatched();
            }
            f.end();
            io.flush();
            return JobResult{n};
        });
    }

    void create(const ExpectationArgs& args, const OutputFormat&, StreamPtr, VoidDone done) override
    {
        // conntrack -I expect prints nothing.
        run(nullptr,
            [done = std::move(done)](ctd::Result<JobResult> r) { r ? done(ctd::Ok{}) : done(r.error()); },
            [x = args.expectation](JobOutput&) -> ctd::Result<JobResult> {
                auto s = ExpectSession::open();
                if (!s)
                    return s.error();
                if (auto r = s->table->create(x); !r)
                    return r.error();
                return JobResult{1};
            });
    }

    void remove(const QueryArgs& args, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        printMatches(args.query, format, out, std::move(done), Command::Delete, true);
    }

    void flush(const QueryArgs& args, CountDone done) override
    {
        run(nullptr, std::move(done), [q = args.query](JobOutput&) -> ctd::Result<JobResult> {
            auto s = ExpectSession::open();
            if (!s)
                return s.error();
            if (q.empty()) {
                auto n = eachMatch(*s->table, q, [](const Expectation&) { return true; });
                if (!n)
                    return n.error();
                if (auto r = s->table->flush(0); !r)
                    return r.error();
                return JobResult{*n};
            }
            return removeEach(*s, q, {});
        });
    }

    void countMatching(const QueryArgs& args, CountDone done) override
    {
        run(nullptr, std::move(done), [q = args.query](JobOutput&) -> ctd::Result<JobResult> {
            auto s = ExpectSession::open();
            if (!s)
                return s.error();
            auto n = eachMatch(*s->table, q, [](const Expectation&) { return true; });
            if (!n)
                return n.error();
            return JobResult{*n};
        });
    }

    ctd::Result<void> watch(const QueryArgs& args, const OutputFormat& format, StreamPtr out) override
    {
        return shared_->events->watchExpectations(args, toFormatOptions(format), std::move(out));
    }

    ctd::Result<uint64_t> count() override
    {
        nl::ExpectationTable table(*shared_->socket);
        auto r = table.dump(0, [](const Expectation&) { return true; });
        if (!r)
            return r.error();
        return *r;
    }

    ctd::Result<uint64_t> max() override { return sysctlNumber("nf_conntrack_expect_max"); }

private:
    void run(StreamPtr out, CountDone done, JobBody body)
    {
        jobs_.start(std::move(out), std::move(body), [done = std::move(done)](ctd::Result<JobResult> r) {
            r ? done(r->count) : done(r.error());
        });
    }

    template <typename Done>
    void run(StreamPtr out, Done done, JobBody body)
    {
        jobs_.start(std::move(out), std::move(body), std::move(done));
    }

    // The matches are collected first (the table is small) and deleted by tuple and id
    // afterwards: deleting during the walk would disturb the kernel's dump.
    static ctd::Result<JobResult> removeEach(ExpectSession& s, const Query& q,
                                             const std::function<void(const Expectation&)>& onDeleted)
    {
        std::vector<Expectation> matches;
        auto n = eachMatch(*s.table, q, [&](const Expectation& x) {
            matches.push_back(x);
            return true;
        });
        if (!n)
            return n.error();
        uint64_t done = 0;
        std::optional<ctd::Error> firstError;
        for (const auto& x : matches) {
            if (auto r = s.table->remove(x); r) {
                ++done;
                if (onDeleted)
                    onDeleted(x);
            } else if (!firstError && r.error().code != ENOENT) {
                firstError = r.error();
            }
        }
        if (done == 0)
            return firstError ? *firstError : nothingMatched();
        return JobResult{done, matches.size() - done};
    }

    void printMatches(const Query& query, const OutputFormat& format, StreamPtr out, CountDone done,
                      Command command, bool remove)
    {
        const bool writes = !format.writesNothing();
        auto fmt = toFormatOptions(format);
        run(writes ? out : nullptr, std::move(done), [q = query, fmt, writes, command, remove](JobOutput& io) -> ctd::Result<JobResult> {
            auto s = ExpectSession::open();
            if (!s)
                return s.error();
            Formatter f(fmt, command, io.buffer());
            f.begin();
            ctd::Result<JobResult> result = JobResult{};
            if (remove) {
                result = removeEach(*s, q, [&](const Expectation& x) {
                    if (writes) {
                        f.expectation(x);
                        io.maybeFlush();
                    }
                });
            } else {
                auto n = eachMatch(*s->table, q, [&](const Expectation& x) {
                    if (writes)
                        f.expectation(x);
                    return io.maybeFlush();
                });
                if (!n)
                    return n.error();
                result = JobResult{*n};
            }
            if (io.cancelled())
                return readerGone();
            f.end();
            io.flush();
            return result;
        });
    }

    std::shared_ptr<CoreShared> shared_;
    JobRunner jobs_;
};

} // namespace

std::unique_ptr<ExpectationBackend> makeCoreExpectationBackend(std::shared_ptr<CoreShared> shared)
{
    return std::make_unique<CoreExpectationBackend>(std::move(shared));
}

} // namespace ctd::dbus
