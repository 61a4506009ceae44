// Hand-made entries for the formatter tests, built the way the kernel reports them.
#pragma once

#include "entry.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ctd::test {

Address v4(std::string_view text);
Address v6(std::string_view text);
Address addr(std::string_view text); // v4 or v6 by syntax

// orig src/dst with protocol and ports; reply is the inverse.
Entry portEntry(uint8_t protocol, std::string_view src, std::string_view dst, uint16_t sport,
                uint16_t dport);
Entry icmpEntry(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint16_t id,
                uint8_t replyType);
Entry genericEntry(uint8_t protocol, std::string_view src, std::string_view dst);

// A deterministic pseudo-random entry, for round trips and throughput.
Entry randomEntry(uint64_t seed);
// count random entries with what a dump of a busy table carries besides (counters, mark,
// use, id): the same set for the throughput test and format-bench, so their numbers compare.
std::vector<Entry> throughputEntries(size_t count);

} // namespace ctd::test
