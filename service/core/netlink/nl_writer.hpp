// Appends nfnetlink requests to one growing buffer, so a batch of thousands of changes
// is built without one allocation per message. Sequence numbers and port id are left
// zero: the socket stamps them when it sends.
#pragma once

#include "bytes.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace ctd::nl {

class NlWriter {
public:
    // subsystem and message type are combined into nlmsg_type as nfnetlink does.
    void begin(uint16_t nlType, uint16_t flags, uint8_t family, uint8_t version = 0, uint16_t resId = 0);
    void end();

    size_t beginNest(uint16_t type);
    void endNest(size_t start);

    void putU8(uint16_t type, uint8_t v);
    void putU32(uint16_t type, uint32_t v); // host order
    void putBe16(uint16_t type, uint16_t v);
    void putBe32(uint16_t type, uint32_t v);
    void putBe64(uint16_t type, uint64_t v);
    void putBytes(uint16_t type, ByteView v);
    void putString(uint16_t type, std::string_view v); // NUL-terminated, as the kernel's NLA_NUL_STRING

    ByteView bytes() const { return buf_; }
    size_t size() const { return buf_.size(); }
    size_t messages() const { return messages_; }
    void clear();
    // Drops the message begun last, e.g. when a builder fails half-way.
    void abandon();

private:
    void put(uint16_t type, const void* data, size_t len);

    std::vector<uint8_t> buf_;
    size_t msgStart_ = 0;
    size_t messages_ = 0;
    bool open_ = false;
};

} // namespace ctd::nl
