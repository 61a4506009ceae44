// ctctl load: the save file goes to Table.Load through a pipe fed by a thread, so ctctl
// can show progress (bytes sent of the file's size) on a terminal while the service reads.
#pragma once

#include <sdbus-c++/Types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace ctd::ctl {

class LoadFeeder {
public:
    // path "-" is standard input. Throws std::system_error when the file cannot be opened.
    LoadFeeder(const std::string& path, bool progress);
    ~LoadFeeder();
    LoadFeeder(const LoadFeeder&) = delete;
    LoadFeeder& operator=(const LoadFeeder&) = delete;

    const sdbus::UnixFd& readEnd() const { return readEnd_; }
    void start();
    // Waits for the feeder (after the call returned) and clears the progress line.
    void finish();

private:
    void run();

    int fileFd_ = -1;
    int writeFd_ = -1;
    sdbus::UnixFd readEnd_;
    uint64_t size_ = 0;
    bool progress_;
    std::atomic<uint64_t> sent_{0};
    std::thread thread_;
};

} // namespace ctd::ctl
