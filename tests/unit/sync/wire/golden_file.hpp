// Reader of tests/data/sync/*.bin: magic "CTDSYNC1", then records of a 4-byte big-endian
// length and one UDP payload as conntrackd 1.4.7 sent it (tests/data/sync/README.md).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ctd::sync::test {

using Datagram = std::vector<uint8_t>;

inline std::vector<Datagram> readGolden(const std::string& name)
{
    std::ifstream f(std::string(CTD_TEST_DATA) + "/sync/" + name, std::ios::binary);
    std::vector<uint8_t> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<Datagram> out;
    if (d.size() < 8 || std::string(d.begin(), d.begin() + 8) != "CTDSYNC1")
        return out;
    size_t i = 8;
    while (i + 4 <= d.size()) {
        size_t n = size_t(d[i]) << 24 | size_t(d[i + 1]) << 16 | size_t(d[i + 2]) << 8 | d[i + 3];
        i += 4;
        if (i + n > d.size())
            break;
        out.emplace_back(d.begin() + long(i), d.begin() + long(i + n));
        i += n;
    }
    return out;
}

} // namespace ctd::sync::test
