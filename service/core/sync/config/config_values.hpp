// Reading one atom of conntrackd.conf as the value its key expects. Pure functions; the
// messages carry no file/line, the parser adds them.
#pragma once

#include "result.hpp"
#include "sync/config/sync_config.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace ctd::sync {

// conntrackd reads numbers with atoi() into an int, so anything above INT_MAX is undefined
// there; ctd refuses it instead of wrapping.
inline constexpr uint32_t maxConfigNumber = 2147483647;

// Decimal digits only (conntrackd's {integer} is [0-9]+), within [min, max].
Result<uint32_t> parseNumber(std::string_view text, uint32_t min = 0,
                             uint32_t max = maxConfigNumber);

// An optional sign then digits (conntrackd's {signed_integer} requires the sign; ctd
// accepts both), within [min, max].
Result<int> parseSigned(std::string_view text, int min, int max);

// on/off/yes/no in any letter case, as conntrackd's {is_true} / {is_false}.
std::optional<bool> parseSwitch(std::string_view text);

// Dotted quad, decimal. Octets with a leading zero are refused: conntrackd hands them to
// inet_aton(), which reads them as octal (010.0.0.1 is 8.0.0.1).
std::optional<Address> parseIpv4(std::string_view text);
// RFC 4291 text form via inet_pton(AF_INET6); no zone suffix (conntrackd has none either).
std::optional<Address> parseIpv6(std::string_view text);

// "ADDR" or "ADDR/LEN" of the given family; *hostBitsCleared is set when ADDR had bits
// beyond LEN, which are cleared (the kernel compares addr & mask with the stored address).
Result<Prefix> parsePrefix(std::string_view text, uint8_t family, bool* hostBitsCleared);

// conntrackd's {string}: a letter then letters, digits, '.', '-' or '_'.
bool isWord(std::string_view text);

// Protocol name as getprotobyname() knows it from /etc/protocols ("tcp", "TCP",
// "ipv6-icmp", "IPv6-ICMP", ...): a built-in table of the usual ones (so the result does
// not depend on the host), then the system database.
std::optional<uint8_t> protocolNumber(std::string_view name);

// daemon, local0..local7 (case-sensitive, as conntrackd's strcmp()).
std::optional<SyslogFacility> parseSyslogFacility(std::string_view name);

bool isMulticast(const Address& address);
bool isIpv6LinkLocal(const Address& address);

// Text form of an address, for messages and tests.
std::string formatAddress(const Address& address);

} // namespace ctd::sync
