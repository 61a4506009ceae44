#include "output_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace ctd::ctl {

OutputPipe::OutputPipe(int outFd) : outFd_(outFd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe");
    readFd_ = fds[0];
    writeEnd_ = sdbus::UnixFd(fds[1], sdbus::adopt_fd);
}

OutputPipe::OutputPipe(std::function<void(std::string_view)> onLine) : OutputPipe(-1)
{
    onLine_ = std::move(onLine);
}

OutputPipe::~OutputPipe()
{
    writeEnd_.reset();
    if (thread_.joinable())
        thread_.join();
    if (readFd_ >= 0)
        close(readFd_);
}

bool OutputPipe::copyOnce()
{
    char buf[65536];
    errno = 0;
    const ssize_t n = read(readFd_, buf, sizeof buf);
    if (n <= 0)
        return false;
    if (first_) {
        first_ = false;
        xml_ = n >= 5 && std::memcmp(buf, "<?xml", 5) == 0;
    }
    lines_ += static_cast<uint64_t>(std::count(buf, buf + n, '\n'));
    if (onLine_) {
        partial_.append(buf, static_cast<size_t>(n));
        size_t start = 0, nl;
        while ((nl = partial_.find('\n', start)) != std::string::npos) {
            onLine_(std::string_view(partial_).substr(start, nl - start));
            start = nl + 1;
        }
        partial_.erase(0, start);
        return true;
    }
    for (ssize_t done = 0; done < n;) {
        const ssize_t w = write(outFd_, buf + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false; // stdout went away: stop copying, the service sees EPIPE
        done += w;
    }
    return true;
}

void OutputPipe::startCopying()
{
    thread_ = std::thread([this] {
        while (copyOnce()) {
        }
    });
}

void OutputPipe::finish()
{
    writeEnd_.reset();
    if (thread_.joinable())
        thread_.join();
}

void OutputPipe::copyUntil(const volatile std::sig_atomic_t* stop)
{
    writeEnd_.reset();
    while (!*stop) {
        if (!copyOnce()) {
            if (errno == EINTR && !*stop)
                continue;
            break;
        }
    }
}

} // namespace ctd::ctl
