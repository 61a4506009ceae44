#include "format/text_buffer.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <unistd.h>

namespace ctd {

namespace {

// "00".."99": halves the divisions of the usual digit loop.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

unsigned decimalDigits(uint64_t v)
{
    unsigned n = 1;
    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    if (v >= 1000)
        return n + 3;
    if (v >= 100)
        return n + 2;
    if (v >= 10)
        return n + 1;
    return n;
}

// Writes v right-aligned ending at end; returns the first character.
char* formatDecimal(uint64_t v, char* end)
{
    char* p = end;
    while (v >= 100) {
        const unsigned idx = static_cast<unsigned>(v % 100) * 2;
        v /= 100;
        *--p = kDigitPairs[idx + 1];
        *--p = kDigitPairs[idx];
    }
    if (v >= 10) {
        const unsigned idx = static_cast<unsigned>(v) * 2;
        *--p = kDigitPairs[idx + 1];
        *--p = kDigitPairs[idx];
    } else {
        *--p = static_cast<char>('0' + v);
    }
    return p;
}

// "0".."255" padded to 4 bytes, so an octet is one fixed-size copy plus a length.
struct Octet {
    char text[4];
    uint8_t len;
};

constexpr std::array<Octet, 256> makeOctets()
{
    std::array<Octet, 256> t{};
    for (unsigned v = 0; v < 256; ++v) {
        unsigned len = v >= 100 ? 3 : v >= 10 ? 2 : 1;
        unsigned x = v;
        for (unsigned i = len; i-- > 0;) {
            t[v].text[i] = static_cast<char>('0' + x % 10);
            x /= 10;
        }
        t[v].len = static_cast<uint8_t>(len);
    }
    return t;
}

constexpr std::array<Octet, 256> kOctets = makeOctets();

constexpr char kHexDigits[] = "0123456789abcdef";

} // namespace

TextBuffer::TextBuffer(size_t flushThreshold) : threshold_(flushThreshold)
{
    cap_ = flushThreshold + 16 * 1024; // room for one more entry past the threshold
    data_ = std::make_unique<char[]>(cap_);
}

void TextBuffer::grow(size_t n)
{
    // Reclaim the already-flushed prefix before allocating.
    if (begin_ > 0) {
        std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
        if (cap_ - end_ >= n)
            return;
    }
    size_t newCap = cap_ * 2;
    while (newCap - end_ < n)
        newCap *= 2;
    auto bigger = std::make_unique<char[]>(newCap);
    std::memcpy(bigger.get(), data_.get(), end_);
    data_ = std::move(bigger);
    cap_ = newCap;
}

void TextBuffer::appendDecimal(uint64_t v)
{
    const unsigned n = decimalDigits(v);
    char* p = reserve(n);
    formatDecimal(v, p + n);
    end_ += n;
}

void TextBuffer::appendSigned(int64_t v)
{
    if (v < 0) {
        append('-');
        appendDecimal(~static_cast<uint64_t>(v) + 1);
    } else {
        appendDecimal(static_cast<uint64_t>(v));
    }
}

void TextBuffer::appendDecimalPadded(uint64_t v, unsigned minDigits)
{
    char tmp[20];
    char* first = formatDecimal(v, tmp + sizeof tmp);
    size_t len = static_cast<size_t>(tmp + sizeof tmp - first);
    for (size_t i = len; i < minDigits; ++i)
        append('0');
    append(std::string_view(first, len));
}

void TextBuffer::appendHex(uint64_t v)
{
    char tmp[16];
    char* p = tmp + sizeof tmp;
    do {
        *--p = kHexDigits[v & 0xf];
        v >>= 4;
    } while (v != 0);
    append(std::string_view(p, static_cast<size_t>(tmp + sizeof tmp - p)));
}

void TextBuffer::appendIpv4(const uint8_t* b)
{
    char* out = reserve(16);
    char* p = out;
    for (int i = 0; i < 4; ++i) {
        const Octet& o = kOctets[b[i]];
        __builtin_memcpy(p, o.text, 4); // may write past the octet: reserved, overwritten next
        p += o.len;
        *p++ = '.';
    }
    commit(static_cast<size_t>(p - out - 1));
}

// The algorithm of glibc's inet_ntop6 (BSD): the longest run of two or more zero words
// becomes "::" (the first one on a tie), and ::w.x.y.z / ::ffff:w.x.y.z keep the IPv4 tail
// dotted. conntrack prints what inet_ntop prints, so this must match it bit for bit.
void TextBuffer::appendIpv6(const uint8_t* b)
{
    unsigned words[8];
    for (int i = 0; i < 8; ++i)
        words[i] = (static_cast<unsigned>(b[2 * i]) << 8) | b[2 * i + 1];

    int bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
    for (int i = 0; i < 8; ++i) {
        if (words[i] == 0) {
            if (curBase == -1) {
                curBase = i;
                curLen = 1;
            } else {
                ++curLen;
            }
        } else if (curBase != -1) {
            if (bestBase == -1 || curLen > bestLen) {
                bestBase = curBase;
                bestLen = curLen;
            }
            curBase = -1;
        }
    }
    if (curBase != -1 && (bestBase == -1 || curLen > bestLen)) {
        bestBase = curBase;
        bestLen = curLen;
    }
    if (bestBase != -1 && bestLen < 2)
        bestBase = -1;

    char* out = reserve(46);
    char* p = out;
    for (int i = 0; i < 8; ++i) {
        if (bestBase != -1 && i >= bestBase && i < bestBase + bestLen) {
            if (i == bestBase)
                *p++ = ':';
            continue;
        }
        if (i != 0)
            *p++ = ':';
        if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff))) {
            commit(static_cast<size_t>(p - out));
            appendIpv4(b + 12);
            return;
        }
        const unsigned w = words[i];
        const int nibbles = w >= 0x1000 ? 4 : w >= 0x100 ? 3 : w >= 0x10 ? 2 : 1;
        for (int k = nibbles - 1; k >= 0; --k)
            *p++ = kHexDigits[(w >> (4 * k)) & 0xf];
    }
    if (bestBase != -1 && bestBase + bestLen == 8)
        *p++ = ':';
    commit(static_cast<size_t>(p - out));
}

void TextBuffer::appendPadded(std::string_view s, unsigned width)
{
    append(s);
    for (size_t i = s.size(); i < width; ++i)
        append(' ');
}

void TextBuffer::appendJsonEscaped(std::string_view s)
{
    for (unsigned char c : s) {
        switch (c) {
        case '"': append("\\\""); break;
        case '\\': append("\\\\"); break;
        case '\n': append("\\n"); break;
        case '\r': append("\\r"); break;
        case '\t': append("\\t"); break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                // Kernel strings are not guaranteed UTF-8; \u00XX keeps every line valid JSON.
                append("\\u00");
                append(kHexDigits[c >> 4]);
                append(kHexDigits[c & 0xf]);
            } else {
                append(static_cast<char>(c));
            }
        }
    }
}

Result<void> TextBuffer::flushTo(int fd)
{
    while (begin_ < end_) {
        ssize_t n = ::write(fd, data_.get() + begin_, end_ - begin_);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            return makeError(err, err == EAGAIN ? "output would block" : std::string("write failed: ") + std::strerror(err));
        }
        begin_ += static_cast<size_t>(n);
    }
    begin_ = end_ = 0;
    return Ok{};
}

} // namespace ctd
