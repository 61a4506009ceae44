// The pipe a call's records come back through: the write end goes to the service, a
// thread copies the read end to stdout while the call runs (a full pipe would otherwise
// stall the service until the call times out).
#pragma once

#include <sdbus-c++/Types.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace ctd::ctl {

class OutputPipe {
public:
    // outFd: where records go (stdout). Throws std::system_error.
    explicit OutputPipe(int outFd = 1);
    // Records go to onLine, one complete line at a time (without its newline); only a
    // partial line is ever buffered, so a dump of any size takes constant memory.
    explicit OutputPipe(std::function<void(std::string_view)> onLine);
    ~OutputPipe();
    OutputPipe(const OutputPipe&) = delete;
    OutputPipe& operator=(const OutputPipe&) = delete;

    // The write end for the call. Valid until finish().
    const sdbus::UnixFd& writeEnd() const { return writeEnd_; }
    // Copies in a thread until the service closes its end.
    void startCopying();
    // Drops our write end and waits until everything written has been copied.
    void finish();
    // For streams: copies in the calling thread until EOF or until *stop becomes true
    // (set from a signal handler; read() is interrupted).
    void copyUntil(const volatile std::sig_atomic_t* stop);

    // Stream loss records (docs/dbus-api.md "Stream records") go to onLoss instead of the
    // output and are not counted as lines (conntrack -E reports loss on stderr).
    void onLossRecord(std::function<void(std::string_view)> onLoss) { onLoss_ = std::move(onLoss); }

    uint64_t lines() const { return lines_; }
    bool sawXmlHeader() const { return xml_; }

private:
    bool copyOnce(); // false at EOF or error

    int readFd_ = -1;
    int outFd_;
    std::function<void(std::string_view)> onLine_;
    std::function<void(std::string_view)> onLoss_;
    bool writeOut(const char* data, size_t n);
    bool copyFiltered(const char* buf, size_t n);
    std::string partial_;
    sdbus::UnixFd writeEnd_;
    std::thread thread_;
    std::atomic<uint64_t> lines_{0};
    bool xml_ = false;
    bool first_ = true;
};

} // namespace ctd::ctl
