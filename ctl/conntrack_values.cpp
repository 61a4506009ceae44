#include "conntrack_values.hpp"

#include "format/proto_names.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <strings.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

namespace ctd::cli {

ParsedAddress parseAddress(const std::string& text, bool withMask)
{
    ParsedAddress out;
    // conntrack copies into a char[INET6_ADDRSTRLEN] buffer: longer text is cut.
    std::string buf = text.substr(0, INET6_ADDRSTRLEN - 1);
    if (withMask) {
        auto slash = buf.find('/');
        if (slash != std::string::npos) {
            const char* start = buf.c_str() + slash + 1;
            char* end = nullptr;
            const long mask = std::strtol(start, &end, 10);
            out.mask = (mask < 0 || end != buf.c_str() + buf.size() || mask > INT_MAX)
                ? -2 : static_cast<int>(mask);
            buf.resize(slash);
        }
    }
    in_addr v4{};
    if (inet_aton(buf.c_str(), &v4)) {
        out.family = AF_INET;
        std::memcpy(out.addr.bytes.data(), &v4, 4);
        if (out.mask > 32)
            out.mask = -2;
    } else if (inet_pton(AF_INET6, buf.c_str(), out.addr.bytes.data()) > 0) {
        out.family = AF_INET6;
        if (out.mask > 128)
            out.mask = -2;
    }
    out.addr.family = out.family;
    return out;
}

Address prefixMask(uint8_t family, int length)
{
    Address mask;
    mask.family = family;
    const int bits = family == AF_INET ? 32 : 128;
    for (int i = 0; i < bits && i < length; ++i)
        mask.bytes[i / 8] |= static_cast<uint8_t>(0x80u >> (i % 8));
    return mask;
}

namespace {

bool validPort(const std::string& text)
{
    if (text.empty())
        return false;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    }
    errno = 0;
    const long port = std::strtol(text.c_str(), nullptr, 10);
    return !(errno == ERANGE || port > USHRT_MAX);
}

} // namespace

void splitAddressAndPort(const std::string& arg, std::string& address,
                         std::optional<std::string>& port)
{
    std::optional<size_t> cursor;
    bool haveAddress = false;
    auto open = arg.find('[');
    if (open != std::string::npos) {
        const size_t start = open + 1;
        auto close = arg.find(']', start);
        if (close == start)
            throw CliExit{kParameterProblem, "No IPv6 address specified"};
        if (close == std::string::npos)
            throw CliExit{kParameterProblem, "No closing ']' around IPv6 address"};
        auto colon = arg.find(':', close);
        if (colon != std::string::npos) {
            address = arg.substr(start, close - start);
            haveAddress = true;
            cursor = colon;
        }
    } else {
        auto colon = arg.find(':');
        if (colon != std::string::npos && arg.find(':', colon + 1) == std::string::npos) {
            address = arg.substr(0, colon);
            haveAddress = true;
            cursor = colon;
        }
    }
    if (cursor) {
        std::string text = arg.substr(*cursor + 1);
        if (text.empty())
            throw CliExit{kParameterProblem, "No port specified after `:'"};
        if (!validPort(text))
            throw CliExit{kParameterProblem, "Invalid port `" + text + "'"};
        port = text;
    }
    if (!haveAddress && !cursor)
        address = arg;
}

namespace {

struct Word {
    const char* name;
    uint32_t value;
};

// do_parse_parameter(): str[0..len) must be a case-insensitive prefix of the word.
bool matchWord(const char* str, size_t len, const Word* words, size_t count, uint32_t& value,
               std::string& diag)
{
    if (strncasecmp(str, "SRC_NAT", len) == 0) {
        diag += "WARNING: ignoring SRC_NAT, use --src-nat instead\n";
        return true;
    }
    if (strncasecmp(str, "DST_NAT", len) == 0) {
        diag += "WARNING: ignoring DST_NAT, use --dst-nat instead\n";
        return true;
    }
    for (size_t i = 0; i < count; ++i) {
        if (strncasecmp(str, words[i].name, len) == 0) {
            value |= words[i].value;
            return true;
        }
    }
    return false;
}

const Word kStatusWords[] = {
    {"ASSURED", ips::kAssured},     {"SEEN_REPLY", ips::kSeenReply},
    {"UNSET", 0},                   {"FIXED_TIMEOUT", ips::kFixedTimeout},
    {"EXPECTED", ips::kExpected},   {"OFFLOAD", ips::kOffload},
    {"HW_OFFLOAD", ips::kHwOffload},
};
const Word kEventWords[] = {
    {"ALL", event::All}, {"NEW", event::New}, {"UPDATES", event::Update},
    {"DESTROY", event::Destroy},
};

[[noreturn]] void badParameter(const char* rest)
{
    throw CliExit{kParameterProblem, std::string("Bad parameter `") + rest + "'"};
}

} // namespace

void parseStatus(const std::string& text, uint32_t& status, uint32_t& mask, std::string& diag)
{
    static const char unreplied[] = "UNREPLIED";
    const char* arg = text.c_str();
    const char* comma = nullptr;
    constexpr size_t n = sizeof kStatusWords / sizeof kStatusWords[0];
    while ((comma = std::strchr(arg, ',')) != nullptr) {
        if (comma == arg)
            badParameter(arg);
        const bool negated = *arg == '!';
        if (negated)
            ++arg;
        if (comma == arg)
            badParameter(arg);
        uint32_t& value = negated ? mask : status;
        if (!negated && std::strncmp(arg, unreplied, std::strlen(unreplied)) == 0) {
            mask |= ips::kSeenReply;
            arg = comma + 1;
            continue;
        }
        if (!matchWord(arg, static_cast<size_t>(comma - arg), kStatusWords, n, value, diag))
            badParameter(arg);
        arg = comma + 1;
    }
    const bool negated = *arg == '!';
    if (negated)
        ++arg;
    uint32_t& value = negated ? mask : status;
    if (!negated && std::strncmp(arg, unreplied, std::strlen(unreplied)) == 0) {
        mask |= ips::kSeenReply;
        return;
    }
    if (std::strlen(arg) == 0 || !matchWord(arg, std::strlen(arg), kStatusWords, n, value, diag))
        badParameter(arg);
}

void parseEvents(const std::string& text, uint32_t& events, std::string& diag)
{
    const char* arg = text.c_str();
    const char* comma = nullptr;
    constexpr size_t n = sizeof kEventWords / sizeof kEventWords[0];
    while ((comma = std::strchr(arg, ',')) != nullptr) {
        if (comma == arg ||
            !matchWord(arg, static_cast<size_t>(comma - arg), kEventWords, n, events, diag))
            badParameter(arg);
        arg = comma + 1;
    }
    if (std::strlen(arg) == 0 || !matchWord(arg, std::strlen(arg), kEventWords, n, events, diag))
        badParameter(arg);
}

} // namespace ctd::cli
