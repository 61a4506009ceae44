// A NetlinkTransport that records what it is asked to send and answers with scripted
// (usually recorded) messages.
#pragma once

#include "netlink/ctnl_parse.hpp"
#include "netlink/socket.hpp"

#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace ctd::test {

using Bytes = std::vector<uint8_t>;

class FakeTransport : public nl::NetlinkTransport {
public:
    // Answer for a request(): the messages to deliver, then the final result.
    std::function<std::vector<Bytes>(nl::ByteView request)> answer = [](nl::ByteView) { return std::vector<Bytes>{}; };
    std::function<Result<void>(nl::ByteView request)> outcome = [](nl::ByteView) { return Result<void>{}; };
    // Per batch message: the error the kernel would acknowledge it with, if any.
    std::function<std::optional<Error>(nl::ByteView message)> batchOutcome = [](nl::ByteView) {
        return std::optional<Error>{};
    };
    std::deque<std::vector<Bytes>> events;
    std::deque<bool> eventOverruns;

    std::vector<Bytes> requests;
    std::vector<Bytes> batchMessages;
    size_t batchCalls = 0;
    uint32_t groups = 0;

    Result<void> request(nl::ByteView message, const nl::MessageSink& sink) override
    {
        requests.emplace_back(message.begin(), message.end());
        for (const auto& m : answer(message))
            if (!sink(m))
                break;
        return outcome(message);
    }

    Result<nl::BatchResult> batch(nl::ByteView messages, const nl::BatchErrorSink& onError) override
    {
        ++batchCalls;
        nl::BatchResult r;
        size_t i = 0;
        auto walk = nl::forEachMessage(messages, [&](nl::ByteView m) {
            batchMessages.emplace_back(m.begin(), m.end());
            if (auto e = batchOutcome(m)) {
                ++r.failed;
                if (onError)
                    onError(i, *e);
            } else {
                ++r.ok;
            }
            ++i;
            return true;
        });
        if (!walk)
            return walk.error();
        return r;
    }

    Result<void> subscribe(uint32_t g) override
    {
        groups |= g;
        return {};
    }

    Result<nl::EventReceipt> receiveEvents(const nl::MessageSink& sink, int) override
    {
        nl::EventReceipt r;
        if (!eventOverruns.empty()) {
            r.overrun = eventOverruns.front();
            eventOverruns.pop_front();
        }
        if (events.empty())
            return r;
        for (const auto& m : events.front()) {
            sink(m);
            ++r.messages;
        }
        events.pop_front();
        return r;
    }

    int fd() const override { return -1; }
    uint64_t overruns() const override { return 0; }
};

} // namespace ctd::test
