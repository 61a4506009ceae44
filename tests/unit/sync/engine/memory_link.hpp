// An in-memory link between two engines, with deterministic loss, so FTFW's recovery is
// tested without sockets or timing.
#pragma once

#include "sync/engine/link.hpp"

#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace ctd::sync::test {

struct Wire {
    std::deque<std::vector<uint8_t>> toA, toB;
    std::mt19937 rng{1};
    double lossToA = 0, lossToB = 0;
    std::vector<std::vector<uint8_t>> sentByA; // every datagram A sent (replay tests)
};

class MemoryLink final : public Link {
public:
    MemoryLink(std::shared_ptr<Wire> wire, bool isA, bool isDefault = false, size_t mtu = 1400)
        : wire_(std::move(wire)), isA_(isA), mtu_(mtu)
    {
        spec_.isDefault = isDefault;
    }

    Result<void> send(std::span<const uint8_t> datagram) override
    {
        std::vector<uint8_t> copy(datagram.begin(), datagram.end());
        if (isA_)
            wire_->sentByA.push_back(copy);
        ++counters_.datagramsSent;
        double loss = isA_ ? wire_->lossToB : wire_->lossToA;
        if (std::uniform_real_distribution<double>(0, 1)(wire_->rng) < loss)
            return Ok{};
        (isA_ ? wire_->toB : wire_->toA).push_back(std::move(copy));
        return Ok{};
    }

    Result<void> receive(std::vector<uint8_t>& buf) override
    {
        auto& q = isA_ ? wire_->toA : wire_->toB;
        buf.clear();
        if (!q.empty()) {
            buf = std::move(q.front());
            q.pop_front();
        }
        return Ok{};
    }

    std::vector<int> pollFds() const override { return {}; }
    size_t mtu() const override { return mtu_; }
    const LinkSpec& spec() const override { return spec_; }
    std::string describe() const override { return isA_ ? "memory A" : "memory B"; }

private:
    std::shared_ptr<Wire> wire_;
    bool isA_;
    size_t mtu_;
    LinkSpec spec_;
};

} // namespace ctd::sync::test
