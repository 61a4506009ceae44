#pragma once

#include "sync/engine/kernel_port.hpp"

#include <vector>

namespace ctd::sync::test {

class FakeKernel final : public KernelPort {
public:
    std::vector<Entry> table;
    std::vector<Entry> committed;
    std::vector<std::pair<EventType, Entry>> injected;
    uint32_t timersResetTo = 0;

    Result<void> dump(const std::function<void(const Entry&)>& sink) override
    {
        for (const Entry& e : table)
            sink(e);
        return Ok{};
    }
    Result<CommitReport> commit(const std::vector<Entry>& entries) override
    {
        committed.insert(committed.end(), entries.begin(), entries.end());
        CommitReport r;
        r.created = entries.size();
        return r;
    }
    Result<void> inject(EventType type, const Entry& entry) override
    {
        injected.emplace_back(type, entry);
        return Ok{};
    }
    Result<uint64_t> resetTimers(uint32_t seconds) override
    {
        timersResetTo = seconds;
        return uint64_t{table.size()};
    }
};

} // namespace ctd::sync::test
