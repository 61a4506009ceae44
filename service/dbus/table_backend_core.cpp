// TableBackend over ctcore's ConntrackTable. Every method that walks or changes the table
// runs as a worker job with sockets of its own; the loop only moves formatted chunks into
// the caller's stream. Output is what conntrack prints for the same command
// (Command::List/Get/Update/Delete), so the drop-in can pass it through untouched.
#include "core_backends_impl.hpp"

#include "format_options.hpp"
#include "log.hpp"

#include "netlink/conntrack_table.hpp"
#include "netlink/save_load.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ctd::dbus {

namespace {

// One sender socket: a second one in the same namespace made bulk creates no faster
// (bench/ctfill --sockets 2, 250k entries, interleaved: 0.61 s against 0.50 s).
constexpr size_t kLoadSenders = 1;

ctd::Error nothingMatched() { return ctd::makeError(ENOENT, "no entry matched"); }

// A worker's own connection to the table: one socket for the walk, and the factory for
// the second one ConntrackTable uses to send changes while its dump is still running.
struct TableSession {
    std::unique_ptr<nl::MnlSocket> socket;
    std::unique_ptr<nl::ConntrackTable> table;

    static ctd::Result<TableSession> open()
    {
        auto socket = nl::MnlSocket::open();
        if (!socket)
            return socket.error();
        TableSession s;
        s.socket = std::move(*socket);
        s.table = std::make_unique<nl::ConntrackTable>(*s.socket, nl::mnlSocketFactory());
        return s;
    }
};

// The end of a job that printed: the format's footer and the last chunk, then its result.
template <typename R>
R finished(Formatter& f, JobOutput& io, R result)
{
    f.end();
    io.flush();
    return result;
}

// What a change report means for the caller: the count, or why nothing was done.
ctd::Result<JobResult> changeResult(const nl::ChangeReport& report)
{
    if (report.done == 0) {
        if (report.firstError && report.firstError->code != ENOENT)
            return *report.firstError;
        return nothingMatched();
    }
    return JobResult{report.done, report.failed};
}

// conntrack -U computes the new values from each entry (conntrack.c copy_mark,
// copy_status, copy_label) and skips entries the update would not change.
bool buildChange(const Changes& c, const Entry& cur, Entry& u)
{
    bool changed = false;
    if (c.mark) {
        const uint32_t old = cur.mark.value_or(0);
        const uint32_t value = (old & ~c.mark->mask) ^ c.mark->value;
        u.mark = value;
        changed = changed || value != old || !cur.mark;
    }
    if (c.status) {
        const uint32_t old = cur.status.value_or(0);
        u.status = old | *c.status; // flags can only be set
        changed = changed || *u.status != old;
    }
    if (c.timeout) {
        u.timeout = c.timeout;
        changed = true;
    }
    if (c.labels || c.labelsAdd || c.labelsDel) {
        std::vector<uint8_t> bits = c.labels ? *c.labels : cur.labels;
        auto widen = [&bits](size_t n) {
            if (bits.size() < n)
                bits.resize(n, 0);
        };
        if (c.labelsAdd) {
            widen(c.labelsAdd->size());
            for (size_t i = 0; i < c.labelsAdd->size(); ++i)
                bits[i] |= (*c.labelsAdd)[i];
        }
        if (c.labelsDel) {
            for (size_t i = 0; i < c.labelsDel->size() && i < bits.size(); ++i)
                bits[i] &= static_cast<uint8_t>(~(*c.labelsDel)[i]);
        }
        std::vector<uint8_t> current = cur.labels;
        const size_t width = std::max(bits.size(), current.size());
        widen(width);
        current.resize(width, 0);
        if (bits != current) {
            u.labels = bits;
            changed = true;
        }
    }
    return changed;
}

// Reads the caller's save text line by line without ever holding more than one read's
// worth plus one line. Waits in poll() with a short timeout so a cancelled job (reader
// gone, service stopping) notices within a fraction of a second.
class LineReader {
public:
    static constexpr size_t kMaxLine = 64u << 10;

    LineReader(int fd, JobOutput& io) : fd_(fd), io_(io) {}

    // false at end of input, on a read error or when cancelled.
    bool next(std::string& line, bool& tooLong)
    {
        tooLong = false;
        for (;;) {
            auto nl = buf_.find('\n', pos_);
            if (nl != std::string::npos) {
                line.assign(buf_, pos_, nl - pos_);
                pos_ = nl + 1;
                if (skipping_) {
                    skipping_ = false;
                    tooLong = true;
                    line.clear();
                }
                return true;
            }
            if (buf_.size() - pos_ > kMaxLine) {
                // Keep no more of an overlong line than needed to find its end.
                skipping_ = true;
                buf_.clear();
                pos_ = 0;
            }
            if (eof_) {
                if (pos_ < buf_.size() || skipping_) {
                    line.assign(buf_, pos_, std::string::npos);
                    tooLong = skipping_;
                    skipping_ = false;
                    buf_.clear();
                    pos_ = 0;
                    return true;
                }
                return false;
            }
            if (!fill())
                return false;
        }
    }

    const std::string& error() const { return error_; }

private:
    bool fill()
    {
        if (pos_ > 0) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
        char chunk[65536];
        for (;;) {
            if (io_.cancelled())
                return false;
            pollfd p{fd_, POLLIN, 0};
            int r = ::poll(&p, 1, 200);
            if (r < 0 && errno != EINTR) {
                error_ = std::string("poll: ") + std::strerror(errno);
                return false;
            }
            if (r <= 0)
                continue;
            ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                error_ = std::string("read: ") + std::strerror(errno);
                return false;
            }
            if (n == 0)
                eof_ = true;
            else
                buf_.append(chunk, size_t(n));
            return true;
        }
    }

    int fd_;
    JobOutput& io_;
    std::string buf_;
    size_t pos_ = 0;
    bool eof_ = false;
    bool skipping_ = false;
    std::string error_;
};

class CoreTableBackend final : public TableBackend {
public:
    explicit CoreTableBackend(std::shared_ptr<CoreShared> shared)
        : shared_(std::move(shared)), jobs_(shared_->loop)
    {
    }

    void list(const QueryArgs& args, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        runFormatted(format, Command::List, std::move(out), std::move(done),
                     [q = args.query](TableSession& s, Formatter& f, JobOutput& io, bool writes) -> ctd::Result<JobResult> {
            uint64_t n = 0;
            auto r = s.table->dump(q, [&](const Entry& e) {
                ++n;
                if (!writes)
                    return !io.cancelled();
                f.entry(e);
                return io.maybeFlush();
            });
            if (!r)
                return r.error();
            if (io.cancelled())
                return readerGone();
            return finished(f, io, JobResult{n});
        });
    }

    void get(const EntryArgs& args, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        runFormatted(format, Command::Get, std::move(out), std::move(done),
                     [e = args.entry](TableSession& s, Formatter& f, JobOutput& io, bool writes) -> ctd::Result<JobResult> {
            uint64_t n = 0;
            if (e.orig.src.family != 0) {
                auto found = s.table->get(e.family ? e.family : e.orig.src.family, e.orig, e.zone);
                if (!found)
                    return found.error();
                if (e.id && found->id != e.id)
                    return nothingMatched();
                n = 1;
                if (writes)
                    f.entry(*found);
            } else {
                Query q;
                q.id = e.id;
                if (e.family)
                    q.family = e.family;
                auto r = s.table->dump(q, [&](const Entry& x) {
                    ++n;
                    if (writes)
                        f.entry(x);
                    return io.maybeFlush();
                });
                if (!r)
                    return r.error();
                if (n == 0)
                    return ctd::makeError(ENOENT, "no entry with id " + std::to_string(*e.id));
            }
            return finished(f, io, JobResult{n});
        });
    }

    void create(const EntryArgs& args, const OutputFormat& format, StreamPtr out, VoidDone done) override
    {
        const bool writes = !format.writesNothing();
        auto voidDone = [done = std::move(done)](ctd::Result<JobResult> r) {
            r ? done(ctd::Ok{}) : done(r.error());
        };
        runWithTable(writes ? std::move(out) : nullptr, std::move(voidDone),
                     [e = args.entry, fmt = toFormatOptions(format), labels = shared_->labels, writes](TableSession& s, JobOutput& io) -> ctd::Result<JobResult> {
            if (auto r = s.table->create(e); !r)
                return r.error();
            // conntrack -I prints nothing; a caller that asked for a format gets the
            // entry as the kernel now holds it.
            if (writes) {
                if (auto got = s.table->get(e.family, e.orig, e.zone)) {
                    Formatter f(fmt, Command::Get, io.buffer(), labels.get());
                    f.begin();
                    f.entry(*got);
                    f.end();
                    io.flush();
                }
            }
            return JobResult{1};
        });
    }

    void update(const QueryArgs& args, const Changes& changes, const OutputFormat& format,
                StreamPtr out, CountDone done) override
    {
        runFormatted(format, Command::Update, std::move(out), std::move(done),
                     [q = args.query, changes](TableSession& s, Formatter& f, JobOutput& io, bool writes) -> ctd::Result<JobResult> {
            // conntrack -U prints each entry as a GET after the update returns it.
            std::unique_ptr<nl::MnlSocket> reader;
            if (writes) {
                auto r = nl::MnlSocket::open();
                if (!r)
                    return r.error();
                reader = std::move(*r);
            }
            std::optional<nl::ConntrackTable> readback;
            if (reader)
                readback.emplace(*reader);
            nl::EntrySink printer;
            if (writes) {
                printer = [&](const Entry& e) {
                    if (auto now = readback->get(e.family, e.orig, e.zone))
                        f.entry(*now);
                    return io.maybeFlush();
                };
            }
            auto r = s.table->updateEach(
                q, [&changes](const Entry& cur, Entry& u) { return buildChange(changes, cur, u); }, printer);
            if (!r)
                return r.error();
            if (io.cancelled())
                return readerGone();
            return finished(f, io, changeResult(*r));
        });
    }

    void remove(const QueryArgs& args, const OutputFormat& format, StreamPtr out, CountDone done) override
    {
        runFormatted(format, Command::Delete, std::move(out), std::move(done),
                     [q = args.query](TableSession& s, Formatter& f, JobOutput& io, bool writes) -> ctd::Result<JobResult> {
            nl::EntrySink printer;
            if (writes) {
                printer = [&](const Entry& e) {
                    f.entry(e);
                    return io.maybeFlush();
                };
            }
            nl::ChangeReport total;
            if (q.empty() && !writes) {
                auto r = flushAll(*s.table);
                if (!r)
                    return r.error();
                total.done = *r;
            } else if (q.empty()) {
                // Every entry, printed: one delete per entry as conntrack -D does. The
                // per-family queries are exact and cannot turn into a flush.
                for (uint8_t family : {uint8_t(AF_INET), uint8_t(AF_INET6)}) {
                    Query one;
                    one.family = family;
                    auto r = s.table->removeMatching(one, printer);
                    if (!r)
                        return r.error();
                    total.add(*r);
                }
            } else {
                auto r = s.table->removeMatching(q, printer);
                if (!r)
                    return r.error();
                total = *r;
            }
            return finished(f, io, changeResult(total));
        });
    }

    void flush(const QueryArgs& args, CountDone done) override
    {
        runWithTable(nullptr, std::move(done), [q = args.query](TableSession& s, JobOutput&) -> ctd::Result<JobResult> {
            if (q.empty()) {
                auto r = flushAll(*s.table);
                if (!r)
                    return r.error();
                return JobResult{*r};
            }
            // Exact kernel-side filtered flushes (nfgenmsg v1) when the query allows,
            // otherwise list, match and delete one by one: never more than asked.
            auto r = s.table->removeMatching(q);
            if (!r)
                return r.error();
            return JobResult{r->done, r->failed};
        });
    }

    void countMatching(const QueryArgs& args, CountDone done) override
    {
        runWithTable(nullptr, std::move(done), [q = args.query](TableSession& s, JobOutput& io) -> ctd::Result<JobResult> {
            if (q.empty()) {
                auto r = s.table->count();
                if (!r)
                    return r.error();
                return JobResult{*r};
            }
            uint64_t n = 0;
            auto r = s.table->dump(q, [&](const Entry&) {
                ++n;
                return !io.cancelled();
            });
            if (!r)
                return r.error();
            return JobResult{n};
        });
    }

    void load(int in, LoadDone done) override
    {
        int fd = fcntl(in, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            done(ctd::makeError(errno, std::string("in: ") + std::strerror(errno)));
            return;
        }
        auto labels = shared_->labels;
        run(nullptr,
            [done = std::move(done), fd](ctd::Result<JobResult> r) {
                ::close(fd);
                if (!r) {
                    done(r.error());
                    return;
                }
                done(LoadCounts{r->count, r->failed});
            },
            [fd, labels](JobOutput& io) -> ctd::Result<JobResult> { return loadSave(fd, labels.get(), io); });
    }

    ctd::Result<void> watch(const QueryArgs& args, const OutputFormat& format, StreamPtr out) override
    {
        return shared_->events->watchConntrack(args, toFormatOptions(format), std::move(out));
    }

    ctd::Result<uint64_t> count() override
    {
        nl::ConntrackTable table(*shared_->socket);
        auto r = table.count();
        if (!r)
            return r.error();
        return uint64_t(*r);
    }

    ctd::Result<uint64_t> max() override
    {
        return kernelMaxEntries(*shared_);
    }

private:
    template <typename Done>
    void run(StreamPtr out, Done done, JobBody body)
    {
        jobs_.start(std::move(out), std::move(body),
                    [done = std::move(done)](ctd::Result<JobResult> r) mutable {
                        if constexpr (std::is_same_v<Done, CountDone>) {
                            r ? done(r->count) : done(r.error());
                        } else {
                            done(std::move(r));
                        }
                    });
    }

    // A job on the worker's own TableSession: body(session, io).
    template <typename Done, typename Body>
    void runWithTable(StreamPtr out, Done done, Body body)
    {
        run(std::move(out), std::move(done), [body = std::move(body)](JobOutput& io) -> ctd::Result<JobResult> {
            auto s = TableSession::open();
            if (!s)
                return s.error();
            return body(*s, io);
        });
    }

    // The set-up of every job that prints what it walks (List, Get, Update, Delete): the
    // stream only when the format writes anything, a Formatter for the command begun on
    // the job's buffer. body(session, formatter, io, writes) ends with finished().
    template <typename Done, typename Body>
    void runFormatted(const OutputFormat& format, Command command, StreamPtr out, Done done, Body body)
    {
        const bool writes = !format.writesNothing();
        runWithTable(writes ? std::move(out) : nullptr, std::move(done),
                     [body = std::move(body), fmt = toFormatOptions(format), labels = shared_->labels,
                      command, writes](TableSession& s, JobOutput& io) -> ctd::Result<JobResult> {
                         Formatter f(fmt, command, io.buffer(), labels.get());
                         f.begin();
                         return body(s, f, io, writes);
                     });
    }

    // The kernel's own flush of every family; the count is the drop of the entry count
    // (traffic in the namespace can skew it, as ChangeReport::inKernel says).
    static ctd::Result<uint64_t> flushAll(nl::ConntrackTable& table)
    {
        auto before = table.count();
        if (auto r = table.flush(0); !r)
            return r.error();
        auto after = table.count();
        if (before && after && *before > *after)
            return uint64_t(*before - *after);
        return uint64_t{0};
    }

    static ctd::Result<JobResult> loadSave(int fd, const LabelMap* labels, JobOutput& io);

    std::shared_ptr<CoreShared> shared_;
    JobRunner jobs_;
};

// conntrack -R over the bus: parse each line (hostile input: a bad line is counted and
// logged with its number, never fatal); the -A lines are created in bulk on a sender
// thread while this one reads and parses on, the rare -I/-U/-D/-F lines one by one, in
// file order (save_load.hpp).
ctd::Result<JobResult> CoreTableBackend::loadSave(int fd, const LabelMap* labels, JobOutput& io)
{
    auto side = TableSession::open();
    if (!side)
        return side.error();
    LineReader reader(fd, io);
    nl::SaveLoadOptions options;
    options.labels = labels;
    options.senders = kLoadSenders;
    // One acknowledgement per datagram: failures are still reported line by line, and the
    // kernel builds and we read one ack per 1000-odd creates instead of one each.
    nl::SocketOptions socketOptions;
    socketOptions.ackEachChange = false;
    uint64_t logged = 0;
    auto report = nl::loadSaveLines([&](std::string& line, bool& tooLong) { return reader.next(line, tooLong); },
                                    *side->table, nl::mnlSocketFactory(socketOptions), options,
                                    [&](uint64_t line, const std::string& why) {
                                        if (logged++ < 20)
                                            log::warning("Load: line " + std::to_string(line) + ": " + why);
                                    });
    if (!report)
        return report.error();
    if (io.cancelled())
        return readerGone();
    if (!reader.error().empty())
        return ctd::makeError(EIO, "in: " + reader.error());
    if (logged > 20)
        log::warning("Load: " + std::to_string(logged - 20) + " more failed lines not shown");
    log::info("Load: " + std::to_string(report->loaded) + " loaded, " + std::to_string(report->failed) +
              " failed, " + std::to_string(report->existing) + " already present (left as they are), " +
              std::to_string(report->lines) + " lines");
    return JobResult{report->loaded, report->failed};
}

} // namespace

std::unique_ptr<TableBackend> makeCoreTableBackend(std::shared_ptr<CoreShared> shared)
{
    return std::make_unique<CoreTableBackend>(std::move(shared));
}

} // namespace ctd::dbus
