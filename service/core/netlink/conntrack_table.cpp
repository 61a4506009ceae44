#include "conntrack_table.hpp"

#include "ctnl_build.hpp"
#include "format/proto_names.hpp"
#include "ctnl_parse.hpp"
#include "query_match.hpp"
#include "requests.hpp"

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

namespace ctd::nl {

namespace {

constexpr size_t kBatchBytes = 256u << 10;
// Changes sent while the dump runs wait with a copy of their entry (for onChanged): this
// many at most, so the memory of a filtered delete does not grow with the number of
// matches (a 256 KiB batch alone would hold some 2,600).
constexpr size_t kPendingChanges = 256;

void countFailure(ChangeReport& r, const Error& e)
{
    ++r.failed;
    if (!r.firstError)
        r.firstError = e;
}

// A delete or an update: an entry gone since the dump is not a failure.
void noteFailure(ChangeReport& r, const Error& e)
{
    if (e.code == ENOENT)
        ++r.vanished;
    else
        countFailure(r, e);
}

void merge(DumpStats& into, const DumpStats& from)
{
    into.received += from.received;
    into.matched += from.matched;
    into.malformed += from.malformed;
    if (into.firstMalformed.empty())
        into.firstMalformed = from.firstMalformed;
    into.stopped = into.stopped || from.stopped;
}

} // namespace

ConntrackTable::ConntrackTable(NetlinkTransport& nl, TransportFactory extra, KernelCaps caps)
    : nl_(nl), extra_(std::move(extra)), caps_(caps)
{
}

Result<DumpStats> ConntrackTable::dumpOne(NetlinkTransport& nl, const Query& query, const KernelFilter& f,
                                          const EntrySink& sink)
{
    NlWriter w;
    if (auto r = buildConntrackDump(w, query.table, f, query.zeroCounters); !r)
        return r.error();
    DumpStats stats;
    auto r = nl.request(w.bytes(), [&](ByteView m) {
        Entry e;
        if (auto r = parseConntrackInto(m, e); !r) {
            if (!stats.malformed++)
                stats.firstMalformed = r.error().message;
            return true;
        }
        ++stats.received;
        if (!matches(query, e))
            return true;
        ++stats.matched;
        if (!sink(e)) {
            stats.stopped = true;
            return false;
        }
        return true;
    });
    if (!r)
        return r.error();
    return stats;
}

Result<DumpStats> ConntrackTable::dump(const Query& query, const EntrySink& sink)
{
    FilterPlan plan = planKernelFilter(query, caps_);
    DumpStats total;
    if (plan.requests.size() == 2 && extra_) {
        // Two families: the kernel walks the table inside each reader's recvmsg, so two
        // sockets read at once overlap the two walks (KERNEL-NOTES: 0.43 s vs 0.77 s).
        auto second = extra_();
        if (second) {
            std::mutex sinkLock;
            std::atomic<bool> stop{false};
            EntrySink shared = [&](const Entry& e) {
                if (stop.load())
                    return false;
                std::lock_guard lock(sinkLock);
                if (stop.load())
                    return false;
                if (!sink(e))
                    stop = true;
                return !stop.load();
            };
            Result<DumpStats> other = Error{};
            std::thread worker([&] { other = dumpOne(**second, query, plan.requests[1], shared); });
            auto mine = dumpOne(nl_, query, plan.requests[0], shared);
            worker.join();
            if (!mine)
                return mine.error();
            if (!other)
                return other.error();
            merge(total, *mine);
            merge(total, *other);
            return total;
        }
    }
    for (const auto& f : plan.requests) {
        auto r = dumpOne(nl_, query, f, sink);
        if (!r)
            return r.error();
        merge(total, *r);
        if (total.stopped)
            break;
    }
    return total;
}

Result<Entry> ConntrackTable::get(uint8_t family, const Tuple& orig, std::optional<uint16_t> zone)
{
    NlWriter w;
    if (auto r = buildConntrackGet(w, family, orig, zone); !r)
        return r.error();
    return requestOne<Entry>(nl_, w, parseConntrack, ENOENT, "get: no entry in the answer");
}

Result<void> ConntrackTable::create(const Entry& entry)
{
    NlWriter w;
    if (auto r = buildConntrackCreate(w, entry); !r)
        return r;
    return requestAck(nl_, w);
}

Result<void> ConntrackTable::update(const Entry& entry)
{
    NlWriter w;
    if (auto r = buildConntrackUpdate(w, entry); !r)
        return r;
    return requestAck(nl_, w);
}

Result<void> ConntrackTable::remove(const Entry& entry)
{
    NlWriter w;
    if (auto r = buildConntrackDelete(w, entry.family, entry.orig, entry.zone, entry.id); !r)
        return r;
    return requestAck(nl_, w);
}

Result<void> ConntrackTable::flush(uint8_t family)
{
    NlWriter w;
    buildConntrackFlush(w, family);
    return requestAck(nl_, w);
}

Result<uint32_t> ConntrackTable::count()
{
    NlWriter w;
    buildConntrackCount(w);
    auto stats = requestOne<GlobalStats>(nl_, w, parseGlobalStats, EBADMSG, "count: no answer");
    if (!stats)
        return stats.error();
    return stats->entries;
}

namespace {

// A dumped entry's original tuple, ready to be sent back. The kernel reports no ports for
// a protocol it now tracks generically (DCCP on 6.18 has no tracker left); conntrack
// (libnetfilter_conntrack) sends zeros then, which the generic tracker ignores.
Tuple sendableTuple(const Tuple& t)
{
    Tuple out = t;
    if (out.protocol && hasPorts(*out.protocol)) {
        if (!out.sport)
            out.sport = 0;
        if (!out.dport)
            out.dport = 0;
    }
    return out;
}

} // namespace

Result<ChangeReport> ConntrackTable::changeMatching(const Query& query, const EntrySink& onChanged,
                                                    const std::function<Result<bool>(NlWriter&, const Entry&)>& build)
{
    ChangeReport report;
    NlWriter w;
    std::vector<Entry> pending; // the entries behind the messages in w, in order
    std::unique_ptr<NetlinkTransport> side;
    if (extra_) {
        auto s = extra_();
        if (s)
            side = std::move(*s);
    }

    auto sendPending = [&](NetlinkTransport& nl) -> Result<void> {
        if (pending.empty())
            return {};
        std::vector<bool> failed(pending.size(), false);
        auto r = nl.batch(w.bytes(), [&](size_t i, const Error& e) {
            if (i < failed.size())
                failed[i] = true;
            noteFailure(report, e);
        });
        if (!r)
            return r.error();
        report.done += r->ok;
        if (onChanged)
            for (size_t i = 0; i < pending.size(); ++i)
                if (!failed[i])
                    onChanged(pending[i]);
        w.clear();
        pending.clear();
        return {};
    };

    Result<void> sendError{};
    auto collect = [&](const Entry& e) {
        auto built = build(w, e);
        if (!built) {
            noteFailure(report, built.error());
            return true;
        }
        if (!*built)
            return true; // nothing to change for this one
        pending.push_back(e);
        // With a second socket, changes go out while the dump is still running, as
        // conntrack -D does; otherwise everything waits for the end of the dump.
        if (side && (w.size() >= kBatchBytes || pending.size() >= kPendingChanges)) {
            sendError = sendPending(*side);
            return bool(sendError);
        }
        return true;
    };
    // dump() overlaps the two family walks of a query without family on two sockets and
    // serializes its sink, so collect() never runs concurrently with itself.
    auto walked = dump(query, collect);
    if (!walked)
        return walked.error();
    if (!sendError)
        return sendError.error();
    // Large leftovers are split into chunks by the transport itself.
    if (auto r = sendPending(side ? *side : nl_); !r)
        return r.error();
    return report;
}

Result<ChangeReport> ConntrackTable::removeMatching(const Query& query, const EntrySink& onDeleted)
{
    if (query.empty())
        return makeError(EINVAL, "delete: empty query would delete every entry; use flush");
    if (query.table != TableKind::Conntrack)
        return makeError(EOPNOTSUPP, "delete: only the conntrack table can be changed");
    FilterPlan plan = planKernelFilter(query, caps_);
    if (plan.requests.empty())
        return ChangeReport{};
    bool kernelSide = plan.exact && !onDeleted && !query.zeroCounters;
    for (const auto& f : plan.requests)
        kernelSide = kernelSide && f.selective();
    if (!kernelSide) {
        return changeMatching(query, onDeleted, [](NlWriter& w, const Entry& e) -> Result<bool> {
            if (auto r = buildConntrackDelete(w, e.family, sendableTuple(e.orig), e.zone, e.id); !r)
                return r.error();
            return true;
        });
    }
    ChangeReport report;
    report.inKernel = true;
    auto before = count();
    for (const auto& f : plan.requests) {
        NlWriter w;
        if (auto r = buildConntrackFilteredDelete(w, f); !r)
            return r.error();
        if (auto r = requestAck(nl_, w); !r)
            return r.error();
    }
    auto after = count();
    if (before && after && *before > *after)
        report.done = *before - *after;
    return report;
}

Result<ChangeReport> ConntrackTable::updateMatching(const Query& query, const Entry& changes,
                                                   const EntrySink& onUpdated)
{
    // The same change for every entry: updateEach with a builder that ignores the current values.
    return updateEach(
        query,
        [&](const Entry&, Entry& change) {
            change = changes;
            return true;
        },
        onUpdated);
}

Result<ChangeReport> ConntrackTable::updateEach(const Query& query, const ChangeBuilder& makeChange,
                                               const EntrySink& onUpdated)
{
    if (query.table != TableKind::Conntrack)
        return makeError(EOPNOTSUPP, "update: only the conntrack table can be changed");
    return changeMatching(query, onUpdated, [&](NlWriter& w, const Entry& e) -> Result<bool> {
        Entry u;
        if (!makeChange(e, u))
            return false;
        u.family = e.family;
        u.orig = sendableTuple(e.orig);
        u.zone = e.zone;
        if (auto r = buildConntrackUpdate(w, u); !r)
            return r.error();
        return true;
    });
}

Result<ChangeReport> ConntrackTable::sendBuilt(ByteView messages, const BatchErrorSink& onError)
{
    ChangeReport report;
    if (messages.empty())
        return report;
    auto r = nl_.batch(messages, [&](size_t i, const Error& e) {
        countFailure(report, e);
        if (onError)
            onError(i, e);
    });
    if (!r)
        return r.error();
    report.done = r->ok;
    return report;
}

Result<ChangeReport> ConntrackTable::createMany(const EntrySource& next, const BatchErrorSink& onError,
                                                bool updateExisting)
{
    ChangeReport report;
    NlWriter w;
    size_t base = 0; // source index of the first message in w
    std::vector<size_t> indexOf; // message -> source index (builder failures leave gaps)
    size_t index = 0;
    auto send = [&]() -> Result<void> {
        auto sent = sendBuilt(w.bytes(), [&](size_t i, const Error& e) {
            if (onError)
                onError(i < indexOf.size() ? indexOf[i] : base + i, e);
        });
        if (!sent)
            return sent.error();
        report.add(*sent);
        w.clear();
        indexOf.clear();
        base = index;
        return {};
    };
    Entry e;
    while (next(e)) {
        if (auto r = buildConntrackCreate(w, e, !updateExisting); !r) {
            countFailure(report, r.error());
            if (onError)
                onError(index, r.error());
        } else {
            indexOf.push_back(index);
        }
        ++index;
        e = Entry{};
        if (w.size() >= kBatchBytes)
            if (auto r = send(); !r)
                return r.error();
    }
    if (auto r = send(); !r)
        return r.error();
    return report;
}

} // namespace ctd::nl
