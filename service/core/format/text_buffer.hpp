// An append-only byte buffer for formatter output, flushed to an fd in large writes.
// Formatting a million entries must not cost a syscall or an allocation per field, so
// numbers and addresses are printed straight into the buffer and the caller flushes
// once the buffer has grown past its threshold (one write per ~128 KiB by default).
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ctd {

class TextBuffer {
public:
    static constexpr size_t kDefaultFlushThreshold = 128 * 1024;

    explicit TextBuffer(size_t flushThreshold = kDefaultFlushThreshold);
    TextBuffer(const TextBuffer&) = delete;
    TextBuffer& operator=(const TextBuffer&) = delete;

    void append(std::string_view s)
    {
        char* p = reserve(s.size());
        // Most pieces are a few bytes long; a libc memcpy call costs more than the copy.
        if (s.size() <= 16) {
            for (size_t i = 0; i < s.size(); ++i)
                p[i] = s[i];
        } else {
            __builtin_memcpy(p, s.data(), s.size());
        }
        end_ += s.size();
    }
    void append(char c)
    {
        *reserve(1) = c;
        ++end_;
    }
    void appendDecimal(uint64_t v);
    void appendSigned(int64_t v);
    // Zero-padded to at least minDigits, like printf's "%.6ld".
    void appendDecimalPadded(uint64_t v, unsigned minDigits);
    void appendHex(uint64_t v); // lowercase, no leading zeros, no 0x (printf "%x")
    void appendIpv4(const uint8_t* bytes); // dotted quad, as inet_ntoa
    void appendIpv6(const uint8_t* bytes); // exactly as glibc inet_ntop(AF_INET6)
    // printf("%-*s", width, s): left-justified, space padded.
    void appendPadded(std::string_view s, unsigned width);
    // Appends s with JSON string escaping (no surrounding quotes).
    void appendJsonEscaped(std::string_view s);

    // Direct access for writers that need to patch what they just wrote.
    char* reserve(size_t n)
    {
        if (cap_ - end_ < n)
            grow(n);
        return data_.get() + end_;
    }
    void commit(size_t n) { end_ += n; }
    void dropLast(size_t n) { end_ = (n > end_ - begin_) ? begin_ : end_ - n; }
    char last() const { return end_ > begin_ ? data_[end_ - 1] : '\0'; }

    std::string_view view() const { return {data_.get() + begin_, end_ - begin_}; }
    std::string str() const { return std::string(view()); }
    size_t size() const { return end_ - begin_; }
    bool empty() const { return end_ == begin_; }
    void clear() { begin_ = end_ = 0; }

    bool wantsFlush() const { return size() >= threshold_; }

    // Writes everything buffered to fd. Retries EINTR and partial writes; on EAGAIN the
    // unwritten rest stays buffered and Error{EAGAIN} is returned so a non-blocking caller
    // can wait for POLLOUT and call again. Any other errno (EPIPE...) is returned as is.
    Result<void> flushTo(int fd);

private:
    void grow(size_t n);

    std::unique_ptr<char[]> data_;
    size_t cap_ = 0;
    size_t begin_ = 0; // bytes before begin_ were already written by a partial flush
    size_t end_ = 0;
    size_t threshold_;
};

} // namespace ctd
