// Value parsers of conntrack 1.4.7's options, with its exact acceptance rules and messages:
// addresses (inet_aton first, so "1" and "0x7f.1" are IPv4), CIDR suffixes, NAT ADDR[:PORT],
// and the -u / -e word lists (case-insensitive prefixes, SRC_NAT/DST_NAT warnings).
#pragma once

#include "conntrack_protos.hpp"
#include "entry.hpp"

#include <optional>
#include <string>

namespace ctd::cli {

// parse_addr(): the family (0 when the text is no address) and the mask: -1 none, -2
// invalid, else the prefix length.
struct ParsedAddress {
    uint8_t family = 0;
    Address addr;
    int mask = -1;
};
ParsedAddress parseAddress(const std::string& text, bool withMask);

// The netmask for a prefix length, as conntrack's nfct_build_netmask() builds it.
Address prefixMask(uint8_t family, int length);

// split_address_and_port(): "ADDR", "ADDR:PORT", "[ADDR]:PORT". Throws CliExit.
void splitAddressAndPort(const std::string& arg, std::string& address,
                         std::optional<std::string>& port);

// parse_parameter_mask(PARSE_STATUS) for -u; warnings are appended to diag. Throws CliExit.
void parseStatus(const std::string& arg, uint32_t& status, uint32_t& mask, std::string& diag);
// parse_parameter(PARSE_EVENT) for -e.
void parseEvents(const std::string& arg, uint32_t& events, std::string& diag);

} // namespace ctd::cli
