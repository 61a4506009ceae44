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
    if (onLoss_)
        return copyFiltered(buf, static_cast<size_t>(n));
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
    return writeOut(buf, static_cast<size_t>(n));
}

bool OutputPipe::writeOut(const char* data, size_t n)
{
    for (size_t done = 0; done < n;) {
        const ssize_t w = write(outFd_, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false; // stdout went away: stop copying, the service sees EPIPE
        done += static_cast<size_t>(w);
    }
    return true;
}

// Whole lines only; a loss record is a line of its own. Records are rare, so the common
// chunk without one is written as it came, in one write.
bool OutputPipe::copyFiltered(const char* buf, size_t n)
{
    partial_.append(buf, n);
    const size_t end = partial_.rfind('\n');
    if (end == std::string::npos)
        return true;
    std::string_view whole(partial_.data(), end + 1);
    auto isLoss = [](std::string_view line) {
        return line.rfind("# ctd: lost ", 0) == 0 || line.rfind("<!-- ctd: lost ", 0) == 0 ||
               line.rfind("{\"ctd-loss\"", 0) == 0;
    };
    bool ok = true;
    if (whole.find("ctd: lost ") == std::string_view::npos && whole.find("\"ctd-loss\"") == std::string_view::npos) {
        lines_ += static_cast<uint64_t>(std::count(whole.begin(), whole.end(), '\n'));
        ok = writeOut(whole.data(), whole.size());
    } else {
        size_t start = 0;
        while (start < whole.size() && ok) {
            const size_t nl = whole.find('\n', start);
            std::string_view line = whole.substr(start, nl - start);
            if (isLoss(line))
                onLoss_(line);
            else {
                ++lines_;
                ok = writeOut(whole.data() + start, nl - start + 1);
            }
            start = nl + 1;
        }
    }
    partial_.erase(0, end + 1);
    return ok;
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
