// KernelPort on the real table: ConntrackTable over a netlink socket the service opened
// for the sync engine alone (events travel on another).
#pragma once

#include "kernel_port.hpp"
#include "netlink/conntrack_table.hpp"
#include "netlink/expectation_table.hpp"
#include "netlink/nl_writer.hpp"

#include <optional>
#include <vector>

namespace ctd::sync {

// A commit built ahead, on the loop, from the external cache: the kernel's create
// messages in commit order, in chunks of a batch each. A few hundred bytes an entry where
// a copy of the entries takes 648, and the worker only sends.
class PreparedCommit {
public:
    void add(const Entry& e); // a builder failure is counted, not sent
    uint64_t entries() const { return entries_; }

private:
    friend class NetlinkKernelPort;
    std::vector<nl::NlWriter> chunks_;
    uint64_t entries_ = 0;
    uint64_t buildFailed_ = 0;
    std::optional<Error> firstError_;
};

class NetlinkKernelPort final : public KernelPort {
public:
    // expectations may be null: expectation sync is then refused (ENOTSUP).
    NetlinkKernelPort(nl::ConntrackTable& table, nl::ExpectationTable* expectations = nullptr)
        : table_(table), expectations_(expectations)
    {
    }

    Result<void> dump(const std::function<void(const Entry&)>& sink) override;
    Result<CommitReport> commit(const std::vector<Entry>& entries) override;
    // The same for a commit built ahead: chunk after chunk, in order.
    Result<CommitReport> commit(const PreparedCommit& prepared);
    Result<void> inject(EventType type, const Entry& entry) override;
    Result<uint64_t> resetTimers(uint32_t seconds) override;
    Result<void> dumpExpectations(const std::function<void(const Expectation&)>& sink) override;
    Result<CommitReport> commitExpectations(const std::vector<Expectation>& expectations) override;
    Result<void> injectExpectation(EventType type, const Expectation& x) override;

private:
    nl::ConntrackTable& table_;
    nl::ExpectationTable* expectations_;
};

} // namespace ctd::sync
