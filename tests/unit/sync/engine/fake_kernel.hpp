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

    std::vector<Expectation> expectations;
    std::vector<Expectation> committedExpectations;
    std::vector<std::pair<EventType, Expectation>> injectedExpectations;
    Result<void> dumpExpectations(const std::function<void(const Expectation&)>& sink) override
    {
        for (const Expectation& x : expectations)
            sink(x);
        return Ok{};
    }
    Result<CommitReport> commitExpectations(const std::vector<Expectation>& xs) override
    {
        committedExpectations.insert(committedExpectations.end(), xs.begin(), xs.end());
        CommitReport r;
        r.created = xs.size();
        return r;
    }
    Result<void> injectExpectation(EventType type, const Expectation& x) override
    {
        injectedExpectations.emplace_back(type, x);
        return Ok{};
    }
};

} // namespace ctd::sync::test
