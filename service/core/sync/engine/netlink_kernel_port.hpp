// KernelPort on the real table: ConntrackTable over a netlink socket the service opened
// for the sync engine alone (events travel on another).
#pragma once

#include "kernel_port.hpp"
#include "netlink/conntrack_table.hpp"
#include "netlink/expectation_table.hpp"

namespace ctd::sync {

class NetlinkKernelPort final : public KernelPort {
public:
    // expectations may be null: expectation sync is then refused (ENOTSUP).
    NetlinkKernelPort(nl::ConntrackTable& table, nl::ExpectationTable* expectations = nullptr)
        : table_(table), expectations_(expectations)
    {
    }

    Result<void> dump(const std::function<void(const Entry&)>& sink) override;
    Result<CommitReport> commit(const std::vector<Entry>& entries) override;
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
