#include "flush_progress.hpp"

#include "bus_client.hpp"

#include <chrono>
#include <cstdio>

namespace ctd::ctl {

void FlushProgress::start(uint64_t total, uint64_t before)
{
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
            std::fprintf(stderr, "\rflushing: %llu of %llu entries", static_cast<unsigned long long>(std::min(gone, total)),
                         static_cast<unsigned long long>(total));
            std::fflush(stderr);
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
