// Loads the recorded kernel messages in tests/data (written by tests/tools/record-golden.sh).
#pragma once

#include "netlink/ctnl_parse.hpp"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ctd::test {

inline std::vector<uint8_t> readGolden(const std::string& name)
{
    std::ifstream f(std::string(CTD_TEST_DATA) + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

// One vector per netlink message.
inline std::vector<std::vector<uint8_t>> goldenMessages(const std::string& name)
{
    std::vector<std::vector<uint8_t>> out;
    auto bytes = readGolden(name);
    auto r = nl::forEachMessage(bytes, [&](nl::ByteView m) {
        out.emplace_back(m.begin(), m.end());
        return true;
    });
    (void)r;
    return out;
}

} // namespace ctd::test
