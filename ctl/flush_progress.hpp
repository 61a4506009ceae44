// Progress of a long Flush on a terminal: Flush is one call that answers with a count at
// the end, so a second bus connection on a thread reads the table's Count property meanwhile
// and shows how many of the matching entries are gone. Silent unless started.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace ctd::ctl {

class FlushProgress {
public:
    // total: what matched before the flush (CountMatching); before: the table's Count then.
    void start(uint64_t total, uint64_t before);
    // Stops the thread and clears the progress line.
    void stop();
    ~FlushProgress() { stop(); }

private:
    void run(uint64_t total, uint64_t before);

    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace ctd::ctl
