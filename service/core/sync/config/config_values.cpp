#include "sync/config/config_values.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace ctd::sync {

namespace {

bool allDigits(std::string_view text) {
    if (text.empty())
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// Digits to a value, saturating at UINT64_MAX / 10 so "999...9" cannot overflow.
uint64_t digitsValue(std::string_view text) {
    uint64_t value = 0;
    for (char c : text) {
        if (value > UINT64_MAX / 100)
            return UINT64_MAX;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
}

std::string quoted(std::string_view text) {
    constexpr size_t maxShown = 64;
    std::string out = "'";
    out.append(text.substr(0, maxShown));
    if (text.size() > maxShown)
        out += "...";
    out += "'";
    return out;
}

} // namespace

Result<uint32_t> parseNumber(std::string_view text, uint32_t min, uint32_t max) {
    if (!allDigits(text))
        return makeError(EINVAL, quoted(text) + " is not a number");
    uint64_t value = digitsValue(text);
    if (value < min || value > max)
        return makeError(ERANGE, quoted(text) + " is out of range (" + std::to_string(min) + ".." +
                                     std::to_string(max) + ")");
    return static_cast<uint32_t>(value);
}

Result<int> parseSigned(std::string_view text, int min, int max) {
    bool negative = false;
    std::string_view digits = text;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    if (!allDigits(digits))
        return makeError(EINVAL, quoted(text) + " is not a number");
    uint64_t magnitude = digitsValue(digits);
    int64_t value = magnitude > 1u << 31 ? (negative ? INT64_MIN : INT64_MAX)
                                         : (negative ? -static_cast<int64_t>(magnitude)
                                                     : static_cast<int64_t>(magnitude));
    if (value < min || value > max)
        return makeError(ERANGE, quoted(text) + " is out of range (" + std::to_string(min) + ".." +
                                     std::to_string(max) + ")");
    return static_cast<int>(value);
}

std::optional<bool> parseSwitch(std::string_view text) {
    auto equalsIgnoringCase = [&](std::string_view word) {
        if (text.size() != word.size())
            return false;
        for (size_t i = 0; i < text.size(); ++i) {
            char c = text[i];
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
            if (c != word[i])
                return false;
        }
        return true;
    };
    if (equalsIgnoringCase("on") || equalsIgnoringCase("yes"))
        return true;
    if (equalsIgnoringCase("off") || equalsIgnoringCase("no"))
        return false;
    return std::nullopt;
}

std::optional<Address> parseIpv4(std::string_view text) {
    Address address;
    address.family = AF_INET;
    size_t pos = 0;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (pos >= text.size() || text[pos] != '.')
                return std::nullopt;
            ++pos;
        }
        size_t start = pos;
        while (pos < text.size() && pos - start < 4 && text[pos] >= '0' && text[pos] <= '9')
            ++pos;
        std::string_view digits = text.substr(start, pos - start);
        if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0'))
            return std::nullopt;
        uint64_t value = digitsValue(digits);
        if (value > 255)
            return std::nullopt;
        address.bytes[octet] = static_cast<uint8_t>(value);
    }
    if (pos != text.size())
        return std::nullopt;
    return address;
}

std::optional<Address> parseIpv6(std::string_view text) {
    if (text.empty() || text.size() > INET6_ADDRSTRLEN)
        return std::nullopt;
    std::string copy(text); // inet_pton needs a terminated string
    Address address;
    address.family = AF_INET6;
    if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1)
        return std::nullopt;
    return address;
}

Result<Prefix> parsePrefix(std::string_view text, uint8_t family, bool* hostBitsCleared) {
    if (hostBitsCleared)
        *hostBitsCleared = false;
    const uint32_t maxLength = family == AF_INET ? 32 : 128;
    std::string_view addressText = text;
    uint32_t length = maxLength;
    size_t slash = text.find('/');
    if (slash != std::string_view::npos) {
        addressText = text.substr(0, slash);
        std::string_view lengthText = text.substr(slash + 1);
        if (!allDigits(lengthText))
            return makeError(EINVAL, quoted(text) + " has no valid prefix length");
        uint64_t value = digitsValue(lengthText);
        if (value > maxLength)
            return makeError(ERANGE, quoted(text) + " has a prefix length above " +
                                         std::to_string(maxLength));
        length = static_cast<uint32_t>(value);
    }
    auto address = family == AF_INET ? parseIpv4(addressText) : parseIpv6(addressText);
    if (!address)
        return makeError(EINVAL, quoted(addressText) + " is not an " +
                                     (family == AF_INET ? "IPv4" : "IPv6") + " address");
    Prefix prefix{*address, static_cast<uint8_t>(length)};
    const size_t bytes = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < bytes; ++i) {
        size_t firstBit = i * 8;
        uint8_t keep = firstBit >= length ? 0
                       : firstBit + 8 <= length
                           ? 0xff
                           : static_cast<uint8_t>(0xff << (8 - (length - firstBit)));
        if ((prefix.address.bytes[i] & ~keep) && hostBitsCleared)
            *hostBitsCleared = true;
        prefix.address.bytes[i] &= keep;
    }
    return prefix;
}

bool isWord(std::string_view text) {
    if (text.empty())
        return false;
    auto isLetter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!isLetter(text[0]))
        return false;
    for (char c : text)
        if (!isLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_')
            return false;
    return true;
}

std::optional<uint8_t> protocolNumber(std::string_view name) {
    // Names and aliases as Debian's /etc/protocols (netbase) spells them; getprotobyname()
    // is case-sensitive, so "Tcp" is unknown to conntrackd as well.
    struct Entry {
        const char* name;
        const char* alias;
        uint8_t number;
    };
    static constexpr std::array<Entry, 14> table{{
        {"icmp", "ICMP", 1},
        {"igmp", "IGMP", 2},
        {"tcp", "TCP", 6},
        {"udp", "UDP", 17},
        {"dccp", "DCCP", 33},
        {"ipv6", "IPv6", 41},
        {"gre", "GRE", 47},
        {"esp", "IPSEC-ESP", 50},
        {"ah", "IPSEC-AH", 51},
        {"ipv6-icmp", "IPv6-ICMP", 58},
        {"vrrp", "VRRP", 112},
        {"sctp", "SCTP", 132},
        {"udplite", "UDPLite", 136},
        {"ipip", "IPIP", 94},
    }};
    for (const auto& entry : table)
        if (name == entry.name || name == entry.alias)
            return entry.number;
    if (name.size() > 64)
        return std::nullopt;
    std::string copy(name);
    protoent result{};
    protoent* found = nullptr;
    std::array<char, 1024> buffer{};
    if (getprotobyname_r(copy.c_str(), &result, buffer.data(), buffer.size(), &found) != 0 ||
        !found || found->p_proto < 0 || found->p_proto > 255)
        return std::nullopt;
    return static_cast<uint8_t>(found->p_proto);
}

std::optional<SyslogFacility> parseSyslogFacility(std::string_view name) {
    if (name == "daemon")
        return SyslogFacility::Daemon;
    if (name.size() == 6 && name.substr(0, 5) == "local" && name[5] >= '0' && name[5] <= '7')
        return static_cast<SyslogFacility>(static_cast<int>(SyslogFacility::Local0) +
                                           (name[5] - '0'));
    return std::nullopt;
}

bool isMulticast(const Address& address) {
    if (address.family == AF_INET)
        return (address.bytes[0] & 0xf0) == 0xe0; // 224.0.0.0/4
    return address.bytes[0] == 0xff;              // ff00::/8
}

bool isIpv6LinkLocal(const Address& address) {
    return address.family == AF_INET6 && address.bytes[0] == 0xfe &&
           (address.bytes[1] & 0xc0) == 0x80; // fe80::/10
}

std::string formatAddress(const Address& address) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (address.family != AF_INET && address.family != AF_INET6)
        return "?";
    inet_ntop(address.family, address.bytes.data(), buf, sizeof buf);
    return buf;
}

} // namespace ctd::sync
