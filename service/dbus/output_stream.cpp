#include "output_stream.hpp"

#include "log.hpp"
#include "service_counters.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace ctd::dbus {

namespace {

// A larger pipe means fewer wake-ups per MiB for a fast reader; best effort (1 MiB is the
// default pipe-max-size, and a full pipe is simply kept).
constexpr int preferredPipeSize = 1 << 20;

ctd::Error invalid(std::string message) { return ctd::makeError(EINVAL, std::move(message)); }

// Our own open file description of a pipe, so O_NONBLOCK does not leak into the caller's
// copy of the fd (they share the description after fd passing). /proc may be missing in a
// sandbox; then fall back to a duplicate with O_NONBLOCK set.
int reopenPipe(int fd)
{
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    int copy = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (copy >= 0)
        return copy;
    copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        return -1;
    int flags = fcntl(copy, F_GETFL);
    if (flags < 0 || fcntl(copy, F_SETFL, flags | O_NONBLOCK) < 0) {
        ::close(copy);
        return -1;
    }
    return copy;
}

} // namespace

ctd::Result<std::shared_ptr<OutputStream>> OutputStream::open(EventLoop& loop, int fd,
                                                              Options options)
{
    // Pipes have no MSG_NOSIGNAL: a reader that left must come back as EPIPE, not kill the
    // process. The service ignores SIGPIPE anyway; this makes the stream safe on its own.
    static const bool sigpipeIgnored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
    (void)sigpipeIgnored;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return invalid("output fd: not an open file descriptor");
    const bool isSocket = S_ISSOCK(st.st_mode);
    if (!S_ISFIFO(st.st_mode) && !isSocket)
        return invalid("output fd: only pipes and stream sockets are accepted");
    if (isSocket) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
            return invalid("output fd: only stream sockets are accepted");
    }
    int access = fcntl(fd, F_GETFL);
    if (access < 0 || (access & O_ACCMODE) == O_RDONLY)
        return invalid("output fd: not open for writing (pass the write end of the pipe)");

    int copy = -1;
    if (isSocket) {
        // Sockets need no flag change: every send() says MSG_DONTWAIT.
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    } else {
        copy = reopenPipe(fd);
        if (copy >= 0)
            (void)fcntl(copy, F_SETPIPE_SZ, preferredPipeSize);
    }
    if (copy < 0)
        return ctd::makeError(errno, std::string("output fd: ") + std::strerror(errno));

    std::shared_ptr<OutputStream> stream(new OutputStream(loop, copy, isSocket, options));
    int r = sd_event_add_io(loop.get(), &stream->source_, copy, 0, onIo, stream.get());
    if (r < 0) {
        stream->close();
        return ctd::makeError(-r, std::string("output fd: ") + std::strerror(-r));
    }
    sd_event_source_set_description(stream->source_, "output-stream");
    return stream;
}

OutputStream::OutputStream(EventLoop& loop, int fd, bool isSocket, Options options)
    : loop_(loop), hold_(loop.hold()), fd_(fd), isSocket_(isSocket), options_(options)
{
    ++serviceCounters().streams;
}

OutputStream::~OutputStream() { close(); }

void OutputStream::close()
{
    source_ = sd_event_source_disable_unref(source_);
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        --serviceCounters().streams;
    }
    buffer_.clear();
    head_ = 0;
    hold_.release();
}

void OutputStream::append(std::string_view bytes)
{
    // Compact lazily: move the unwritten tail to the front only when the written head is
    // the larger part, so each byte is copied O(1) times on average.
    if (head_ > 0 && head_ >= buffer_.size() / 2) {
        buffer_.erase(0, head_);
        head_ = 0;
    }
    buffer_.append(bytes);
    loop_.touch();
    updateEvents();
}

bool OutputStream::write(std::string_view bytes)
{
    if (cancelled_ || closed())
        return false;
    if (buffered() > 0 && buffered() + bytes.size() > options_.capacity) {
        wantWritable_ = true;
        updateEvents();
        return false;
    }
    if (buffered() == 0 && !finishing_) {
        // Nothing queued: hand the bytes to the kernel now instead of copying them into
        // the buffer and waiting a loop iteration for EPOLLOUT. What does not fit is
        // buffered as usual; errors are left to the io callback (EPOLLERR), so no
        // callback runs from inside write().
        ssize_t n = isSocket_ ? ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                              : ::write(fd_, bytes.data(), bytes.size());
        if (n > 0) {
            bytes.remove_prefix(static_cast<size_t>(n));
            loop_.touch();
        }
        if (bytes.empty())
            return true;
    }
    append(bytes);
    return true;
}

void OutputStream::writeRecord(std::string_view record)
{
    if (cancelled_ || closed())
        return;
    emitPendingLoss();
    // While a loss is still unreported, later records are dropped too: the loss line must
    // sit exactly where the gap is.
    if (pendingReaderLoss_ > 0 || pendingKernelLoss_ > 0 ||
        buffered() + record.size() > options_.capacity) {
        ++pendingReaderLoss_;
        ++lostTotal_;
        ++serviceCounters().streamLoss;
        return;
    }
    append(record);
}

void OutputStream::reportKernelLoss(uint64_t count)
{
    if (cancelled_ || closed())
        return;
    pendingKernelLoss_ += count;
    emitPendingLoss();
}

std::string OutputStream::lossRecord(LossStyle style, uint64_t count, bool kernel)
{
    const std::string n = std::to_string(count);
    switch (style) {
    case LossStyle::Json:
        return "{\"ctd-loss\": {\"count\": " + n + ", \"reason\": \"" +
            (kernel ? "kernel" : "reader") + "\"}}\n";
    case LossStyle::Xml:
        return "<!-- ctd: lost " + n + " events " +
            (kernel ? "(kernel buffer overrun), resynchronized" : "(reader too slow)") + " -->\n";
    case LossStyle::Text:
        break;
    }
    return "# ctd: lost " + n + " events " +
        (kernel ? "(kernel buffer overrun), resynchronized" : "(reader too slow)") + "\n";
}

void OutputStream::emitPendingLoss()
{
    // "Once the reader catches up": only when at most half the buffer is still queued, so
    // a reader hovering at the limit does not get a loss line after every record.
    if (buffered() > options_.capacity / 2)
        return;
    if (pendingReaderLoss_ > 0) {
        append(lossRecord(options_.lossStyle, pendingReaderLoss_, false));
        pendingReaderLoss_ = 0;
    }
    if (pendingKernelLoss_ > 0) {
        append(lossRecord(options_.lossStyle, pendingKernelLoss_, true));
        pendingKernelLoss_ = 0;
    }
}

void OutputStream::finish(std::function<void()> done)
{
    onFinished_ = std::move(done);
    finishing_ = true;
    // The producer usually lets go of the stream once it is done: the stream keeps itself
    // alive until everything buffered has reached the reader.
    keepAlive_ = shared_from_this();
    if (cancelled_ || closed() || buffered() == 0)
        complete();
}

void OutputStream::complete()
{
    auto keep = std::move(keepAlive_);
    auto done = std::move(onFinished_);
    onFinished_ = nullptr;
    finishing_ = false;
    close();
    if (done)
        done();
}

void OutputStream::updateEvents()
{
    if (source_)
        sd_event_source_set_io_events(source_, buffered() > 0 ? static_cast<uint32_t>(EPOLLOUT) : 0u);
}

int OutputStream::onIo(sd_event_source*, int, uint32_t revents, void* userdata)
{
    auto self = static_cast<OutputStream*>(userdata)->shared_from_this();
    if (revents & EPOLLOUT)
        self->drain();
    // EPOLLERR on a pipe's write end means the reader closed it; EPOLLHUP on a socket means
    // both directions are gone. Either way nobody will read what we would write.
    if (!self->cancelled_ && !self->closed() && (revents & (EPOLLERR | EPOLLHUP)))
        self->cancel();
    return 0;
}

void OutputStream::drain()
{
    while (buffered() > 0) {
        const char* data = buffer_.data() + head_;
        ssize_t n = isSocket_ ? ::send(fd_, data, buffered(), MSG_DONTWAIT | MSG_NOSIGNAL)
                              : ::write(fd_, data, buffered());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            if (errno != EPIPE && errno != ECONNRESET)
                log::debug(std::string("output stream write: ") + std::strerror(errno));
            cancel();
            return;
        }
        head_ += static_cast<size_t>(n);
    }
    if (buffered() == 0) {
        buffer_.clear();
        head_ = 0;
    }
    loop_.touch();
    updateEvents();
    if (options_.mode == Mode::DropWithLoss)
        emitPendingLoss();
    if (finishing_ && buffered() == 0) {
        complete();
        return;
    }
    if (wantWritable_ && buffered() <= options_.capacity / 2) {
        wantWritable_ = false;
        if (onWritable_) {
            auto keep = shared_from_this();
            onWritable_();
        }
    }
}

void OutputStream::cancel()
{
    if (cancelled_)
        return;
    cancelled_ = true;
    auto keep = shared_from_this();
    auto onCancel = std::move(onCancel_);
    onCancel_ = nullptr;
    const bool finishing = finishing_;
    close();
    if (onCancel)
        onCancel();
    if (finishing)
        complete();
}

} // namespace ctd::dbus
