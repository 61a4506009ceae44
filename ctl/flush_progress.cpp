#include "flush_progress.hpp"

#include "bus_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace ctd::ctl {

namespace {

void show(uint64_t gone, uint64_t total)
{
    std::fprintf(stderr, "\rflushing: %llu of %llu entries", static_cast<unsigned long long>(std::min(gone, total)),
                 static_cast<unsigned long long>(total));
    std::fflush(stderr);
}

} // namespace

void FlushProgress::start(uint64_t total, uint64_t before)
{
    // Shown at once: the first count needs a bus connection of its own, and a small flush
    // was over before it, so whether a terminal saw any progress was left to timing.
    show(0, total);
    stop_ = false;
    thread_ = std::thread([this, total, before] { run(total, before); });
}

void FlushProgress::run(uint64_t total, uint64_t before)
{
    try {
        auto bus = sdbus::createSystemBusConnection();
        TableProxy table(*bus, "/org/netfilter/Conntrack1/Table");
        while (!stop_) {
            const uint64_t now = table.Count();
            const uint64_t gone = before > now ? before - now : 0;
            show(gone, total);
            for (int i = 0; i < 5 && !stop_; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    } catch (const sdbus::Error&) {
        // No progress then; the flush itself reports what happened.
    }
}

void FlushProgress::stop()
{
    if (!thread_.joinable())
        return;
    stop_ = true;
    thread_.join();
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
}

} // namespace ctd::ctl
