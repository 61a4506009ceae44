#include "load_feeder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>

namespace ctd::ctl {

LoadFeeder::LoadFeeder(const std::string& path, bool progress) : progress_(progress)
{
    fileFd_ = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fileFd_ < 0)
        throw std::system_error(errno, std::generic_category(), path);
    struct stat st {};
    if (fstat(fileFd_, &st) == 0 && S_ISREG(st.st_mode))
        size_ = static_cast<uint64_t>(st.st_size);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        close(fileFd_);
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    readEnd_ = sdbus::UnixFd(fds[0], sdbus::adopt_fd);
    writeFd_ = fds[1];
}

LoadFeeder::~LoadFeeder()
{
    if (thread_.joinable())
        thread_.join();
    if (writeFd_ >= 0)
        close(writeFd_);
    if (fileFd_ >= 0)
        close(fileFd_);
}

void LoadFeeder::start()
{
    thread_ = std::thread([this] { run(); });
}

void LoadFeeder::run()
{
    char buf[65536];
    auto last = std::chrono::steady_clock::now();
    while (true) {
        const ssize_t n = read(fileFd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        ssize_t done = 0;
        while (done < n) {
            const ssize_t w = write(writeFd_, buf + done, static_cast<size_t>(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                goto out; // the service stopped reading: it answers with the reason
            done += w;
        }
        sent_ += static_cast<uint64_t>(n);
        const auto now = std::chrono::steady_clock::now();
        if (progress_ && now - last > std::chrono::milliseconds(200)) {
            last = now;
            if (size_)
                std::fprintf(stderr, "\rLoading... %3llu%%",
                             static_cast<unsigned long long>(sent_ * 100 / size_));
            else
                std::fprintf(stderr, "\rLoading... %llu KiB",
                             static_cast<unsigned long long>(sent_ / 1024));
        }
    }
out:
    // EOF for the service: the call can only finish once this end is closed.
    close(writeFd_);
    writeFd_ = -1;
}

void LoadFeeder::finish()
{
    readEnd_.reset();
    if (thread_.joinable())
        thread_.join();
    if (progress_)
        std::fprintf(stderr, "\r\033[K");
}

} // namespace ctd::ctl
