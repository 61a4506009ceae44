// Operations on the conntrack table: dump, get, create, update, delete, filtered delete,
// flush and bulk create. Builds requests with ctnl_build, parses answers with ctnl_parse,
// and sends them through a NetlinkTransport it does not own.
#pragma once

#include "entry.hpp"
#include "kernel_filter.hpp"
#include "nl_writer.hpp"
#include "query.hpp"
#include "result.hpp"
#include "socket.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ctd::nl {

// Receives each matching entry; returns false to stop the dump early. Calls are never
// concurrent, but with a TransportFactory they may come from a worker thread.
using EntrySink = std::function<bool(const Entry&)>;
// Fills the next entry to create; returns false when there are no more.
using EntrySource = std::function<bool(Entry&)>;

struct DumpStats {
    uint64_t received = 0; // entries the kernel sent
    uint64_t matched = 0; // entries given to the sink
    uint64_t malformed = 0; // messages that failed to decode (skipped)
    std::string firstMalformed;
    bool stopped = false; // the sink asked to stop
};

struct ChangeReport {
    uint64_t done = 0; // entries deleted / updated / created
    uint64_t vanished = 0; // gone before we got to them (ENOENT)
    uint64_t failed = 0;
    std::optional<Error> firstError;
    // Kernel-side flush: done is the drop of the namespace's entry count, so traffic
    // in the namespace can skew it.
    bool inKernel = false;

    // Adds another batch's counts; the first error stays the first.
    void add(const ChangeReport& other)
    {
        done += other.done;
        vanished += other.vanished;
        failed += other.failed;
        if (!firstError)
            firstError = other.firstError;
    }
};

class ConntrackTable {
public:
    explicit ConntrackTable(NetlinkTransport& nl, TransportFactory extra = {}, KernelCaps caps = {});

    Result<DumpStats> dump(const Query& query, const EntrySink& sink);
    Result<Entry> get(uint8_t family, const Tuple& orig, std::optional<uint16_t> zone = {});
    Result<void> create(const Entry& entry);
    Result<void> update(const Entry& entry);
    // Deletes by original tuple (+ zone); when entry.id is set only that incarnation.
    Result<void> remove(const Entry& entry);

    // Deletes what query matches and nothing else. An exact kernel-expressible query
    // without onDeleted runs as kernel-side filtered flushes; anything else is dumped,
    // matched here and deleted entry by entry (tuple + id), batched. An empty query is
    // refused: use flush().
    Result<ChangeReport> removeMatching(const Query& query, const EntrySink& onDeleted = {});
    // Applies changes (status, timeout, mark, labels, helper, protoinfo...) to each match.
    Result<ChangeReport> updateMatching(const Query& query, const Entry& changes, const EntrySink& onUpdated = {});
    // Like updateMatching, but the change depends on each entry (conntrack -U computes
    // mark, status and labels from the current values): makeChange fills change from
    // current and returns false to leave that entry alone (nothing to change).
    using ChangeBuilder = std::function<bool(const Entry& current, Entry& change)>;
    Result<ChangeReport> updateEach(const Query& query, const ChangeBuilder& makeChange,
                                    const EntrySink& onUpdated = {});
    // family 0 = all families.
    Result<void> flush(uint8_t family = 0);

    // Many creates per sendmsg (conntrack -R, benchmarks). onError gets the index of
    // each failed entry in source order.
    // updateExisting: an entry that exists is updated instead of failing with EEXIST
    // (conntrack -R's -A lines).
    Result<ChangeReport> createMany(const EntrySource& next, const BatchErrorSink& onError = {},
                                    bool updateExisting = false);

    // Sends change messages built ahead (ctnl_build.hpp: buildConntrackCreate...), back
    // to back in messages; onError gets each failure's index in messages.
    Result<ChangeReport> sendBuilt(ByteView messages, const BatchErrorSink& onError = {});

    // Entries in this network namespace (CTNL_MSG_CT_GET_STATS), as conntrack -C.
    Result<uint32_t> count();

    const KernelCaps& caps() const { return caps_; }

private:
    Result<DumpStats> dumpOne(NetlinkTransport& nl, const Query& query, const KernelFilter& f, const EntrySink& sink);
    // Sends the change requests built for entries and reports them one by one.
    Result<ChangeReport> changeMatching(const Query& query, const EntrySink& onChanged,
                                        const std::function<Result<bool>(NlWriter&, const Entry&)>& build);

    NetlinkTransport& nl_;
    TransportFactory extra_;
    KernelCaps caps_;
};

} // namespace ctd::nl
