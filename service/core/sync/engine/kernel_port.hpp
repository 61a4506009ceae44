// What the sync engine needs from this node's kernel, as an interface so the engine's
// tests run without netlink. netlink_kernel_port.cpp implements it on ConntrackTable.
#pragma once

#include "entry.hpp"
#include "result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ctd::sync {

struct CommitReport {
    uint64_t created = 0;
    uint64_t existed = 0; // already in the kernel: left alone, as conntrackd does
    uint64_t failed = 0;
    std::optional<Error> firstError;
};

class KernelPort {
public:
    virtual ~KernelPort() = default;
    // Every entry of the table (conntrackd's resync from the kernel).
    virtual Result<void> dump(const std::function<void(const Entry&)>& sink) = 0;
    // Creates the entries (already prepared by prepareForCommit), batched.
    virtual Result<CommitReport> commit(const std::vector<Entry>& entries) = 0;
    // DisableExternalCache: a peer's change goes straight into the kernel.
    virtual Result<void> inject(EventType type, const Entry& entry) = 0;
    // conntrackd -t: every entry's timeout set to seconds; returns how many were changed.
    virtual Result<uint64_t> resetTimers(uint32_t seconds) = 0;

    // Expectation sync (Options { ExpectationSync }): the same for the expectation table.
    virtual Result<void> dumpExpectations(const std::function<void(const Expectation&)>& sink) = 0;
    virtual Result<CommitReport> commitExpectations(const std::vector<Expectation>& expectations) = 0;
    virtual Result<void> injectExpectation(EventType type, const Expectation& x) = 0;
};

} // namespace ctd::sync
