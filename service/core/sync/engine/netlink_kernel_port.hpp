// KernelPort on the real table: ConntrackTable over a netlink socket the service opened
// for the sync engine alone (events travel on another).
#pragma once

#include "kernel_port.hpp"
#include "netlink/conntrack_table.hpp"

namespace ctd::sync {

class NetlinkKernelPort final : public KernelPort {
public:
    explicit NetlinkKernelPort(nl::ConntrackTable& table) : table_(table) {}

    Result<void> dump(const std::function<void(const Entry&)>& sink) override;
    Result<CommitReport> commit(const std::vector<Entry>& entries) override;
    Result<void> inject(EventType type, const Entry& entry) override;
    Result<uint64_t> resetTimers(uint32_t seconds) override;

private:
    nl::ConntrackTable& table_;
};

} // namespace ctd::sync
