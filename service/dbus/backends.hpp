// What the bus adaptors need from the core: the seam between the bus objects and ctcore.
// core_backends.hpp implements it over core's tables, events and statistics; tests
// (tests/bus/fake_ctd.cpp) plug in synthetic ones. When the core cannot start (no
// nf_conntrack, no CAP_NET_ADMIN) the Unavailable* versions answer ENOTSUP
// (org.freedesktop.DBus.Error.NotSupported) with the reason, after validation and
// authorization, so the service still explains itself on the bus.
//
// Contract for every method:
//  - Called on the loop thread, after the arguments were validated and polkit said yes.
//  - done is called exactly once, on the loop thread, possibly before the method returns.
//  - Errors are ctd::Error{errno, message}; errors.cpp maps them to D-Bus names
//    (EINVAL InvalidArgument, ENOENT NotFound, EEXIST Exists, EBUSY Busy, other Kernel).
//  - Streams: write formatted records with OutputStream::write(); when it returns false,
//    stop and continue from OutputStream::onWritable(); stop for good when
//    OutputStream::cancelled() (onCancel tells you). Do not finish() or close() the stream:
//    the adaptor flushes it, then replies. An empty format (writesNothing()) writes nothing.
#pragma once

#include "output_stream.hpp"
#include "query_args.hpp"
#include "result.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ctd::dbus {

using StreamPtr = std::shared_ptr<OutputStream>;
using CountDone = std::function<void(ctd::Result<uint64_t>)>;
using VoidDone = std::function<void(ctd::Result<void>)>;

struct LoadCounts {
    uint64_t loaded = 0;
    uint64_t failed = 0;
};
using LoadDone = std::function<void(ctd::Result<LoadCounts>)>;

class TableBackend {
public:
    virtual ~TableBackend() = default;
    virtual void list(const QueryArgs& query, const OutputFormat& format, StreamPtr out,
                      CountDone done) = 0;
    virtual void get(const EntryArgs& tuple, const OutputFormat& format, StreamPtr out,
                     CountDone done) = 0;
    virtual void create(const EntryArgs& entry, const OutputFormat& format, StreamPtr out,
                        VoidDone done) = 0;
    virtual void update(const QueryArgs& query, const Changes& changes,
                        const OutputFormat& format, StreamPtr out, CountDone done) = 0;
    virtual void remove(const QueryArgs& query, const OutputFormat& format, StreamPtr out,
                        CountDone done) = 0;
    virtual void flush(const QueryArgs& query, CountDone done) = 0;
    virtual void countMatching(const QueryArgs& query, CountDone done) = 0;
    // in: the caller's fd (format already checked to be "save"); dup it to keep it.
    virtual void load(int in, LoadDone done) = 0;
    // Watch returns at once: keep out and write events into it (DropWithLoss mode: use
    // writeRecord / reportKernelLoss) until out->cancelled(). The stream holds the service
    // busy (no idle exit) while it lives.
    virtual ctd::Result<void> watch(const QueryArgs& query, const OutputFormat& format,
                                    StreamPtr out) = 0;
    // Properties: answered synchronously from cheap sources (sysctl files).
    virtual ctd::Result<uint64_t> count() = 0;
    virtual ctd::Result<uint64_t> max() = 0;
};

class ExpectationBackend {
public:
    virtual ~ExpectationBackend() = default;
    virtual void list(const QueryArgs& query, const OutputFormat& format, StreamPtr out,
                      CountDone done) = 0;
    virtual void get(const ExpectationArgs& tuple, const OutputFormat& format, StreamPtr out,
                     CountDone done) = 0;
    virtual void create(const ExpectationArgs& expectation, const OutputFormat& format,
                        StreamPtr out, VoidDone done) = 0;
    virtual void remove(const QueryArgs& query, const OutputFormat& format, StreamPtr out,
                        CountDone done) = 0;
    virtual void flush(const QueryArgs& query, CountDone done) = 0;
    virtual void countMatching(const QueryArgs& query, CountDone done) = 0;
    virtual ctd::Result<void> watch(const QueryArgs& query, const OutputFormat& format,
                                    StreamPtr out) = 0;
    virtual ctd::Result<uint64_t> count() = 0;
    virtual ctd::Result<uint64_t> max() = 0;
};

using Counters = std::map<std::string, uint64_t>;

class StatsBackend {
public:
    virtual ~StatsBackend() = default;
    // One map per CPU with "cpu" and the kernel's counter names (conntrack -S).
    virtual ctd::Result<std::vector<Counters>> kernelPerCpu() = 0;
    // entries, max, expectations, expect_max.
    virtual ctd::Result<Counters> kernelGlobal() = 0;
};

// Every method fails with ENOTSUP and `why`; Count and Max still read the sysctl files.
std::unique_ptr<TableBackend> makeUnavailableTableBackend(std::string why);
std::unique_ptr<ExpectationBackend> makeUnavailableExpectationBackend(std::string why);
// Reads /proc/net/stat/nf_conntrack and /proc/sys/net/netfilter: real numbers without
// netlink, the fallback when the core's netlink statistics cannot be had.
std::unique_ptr<StatsBackend> makeProcStatsBackend(std::string procRoot = "/proc");

} // namespace ctd::dbus
