// A caller's output fd, written without ever blocking the loop: the fd is made
// non-blocking, data goes through a bounded buffer, and an sd-event io source drains it on
// EPOLLOUT. A closed reader (EPIPE, EPOLLERR/EPOLLHUP) cancels the stream. Two ways to
// produce into it:
//  - Backpressure (List, Get, Delete, ...): write() refuses data when the buffer is full;
//    the producer pauses and continues from onWritable.
//  - DropWithLoss (Watch): events that do not fit are dropped and counted, and one loss
//    record (docs/dbus-api.md "Stream records") is written once the reader catches up.
// No bus types here: the core can produce into it once the lead binds it.
#pragma once

#include "event_loop.hpp"
#include "result.hpp"

#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ctd::dbus {

class OutputStream : public std::enable_shared_from_this<OutputStream> {
public:
    enum class Mode : uint8_t { Backpressure, DropWithLoss };
    enum class LossStyle : uint8_t { Text, Json, Xml };

    struct Options {
        Mode mode = Mode::Backpressure;
        LossStyle lossStyle = LossStyle::Text;
        size_t capacity = 4u << 20;
    };

    // fd is the caller's descriptor; the stream works on its own duplicate or reopened copy
    // and never closes fd. Only pipes and stream sockets open for writing are accepted
    // (EINVAL otherwise).
    static ctd::Result<std::shared_ptr<OutputStream>> open(EventLoop& loop, int fd, Options options);
    ~OutputStream();
    OutputStream(const OutputStream&) = delete;
    OutputStream& operator=(const OutputStream&) = delete;

    // Backpressure mode. true: taken. false: buffer full (nothing taken; continue from
    // onWritable) or cancelled (check cancelled(); onCancel has run or will run).
    // A chunk larger than the whole buffer is taken when the buffer is empty.
    bool write(std::string_view bytes);

    // DropWithLoss mode: one complete record, taken whole or counted as lost.
    void writeRecord(std::string_view record);
    // The kernel dropped events (ENOBUFS) and the producer resynchronized.
    void reportKernelLoss(uint64_t count);

    void onWritable(std::function<void()> callback) { onWritable_ = std::move(callback); }
    void onCancel(std::function<void()> callback) { onCancel_ = std::move(callback); }

    // Flush what is buffered, close, then call done (also when the reader went away first).
    // The stream stays alive until then even if nobody else holds it.
    void finish(std::function<void()> done);
    // Stop now, dropping the buffer; no callbacks.
    void close();

    bool cancelled() const { return cancelled_; }
    bool closed() const { return fd_ < 0; }
    size_t buffered() const { return buffer_.size() - head_; }
    size_t capacity() const { return options_.capacity; }
    uint64_t lost() const { return lostTotal_; }

    // The loss record in the stream's style, exposed for the tests.
    static std::string lossRecord(LossStyle style, uint64_t count, bool kernel);

private:
    OutputStream(EventLoop& loop, int fd, bool isSocket, Options options);
    static int onIo(sd_event_source* source, int fd, uint32_t revents, void* userdata);
    void append(std::string_view bytes);
    void drain();
    void emitPendingLoss();
    void cancel();
    void updateEvents();
    void complete();

    EventLoop& loop_;
    EventLoop::Hold hold_;
    int fd_ = -1;
    bool isSocket_ = false;
    Options options_;
    sd_event_source* source_ = nullptr;
    std::string buffer_;
    size_t head_ = 0;
    bool wantWritable_ = false;
    bool cancelled_ = false;
    bool finishing_ = false;
    uint64_t pendingReaderLoss_ = 0;
    uint64_t pendingKernelLoss_ = 0;
    uint64_t lostTotal_ = 0;
    std::function<void()> onWritable_, onCancel_, onFinished_;
    std::shared_ptr<OutputStream> keepAlive_; // set while finishing
};

} // namespace ctd::dbus
