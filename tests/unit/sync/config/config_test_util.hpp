// Shared bits of the sync-config unit tests.
#pragma once

#include "sync/config/config_parser.hpp"
#include "sync/config/config_values.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ctd::sync::test {

inline std::string dataPath(const std::string& relative) {
    return std::string(CTD_TEST_DATA) + "/sync-config/" + relative;
}

// Parses text as "test.conf"; notices land in *notices when given.
inline Result<SyncConfig> parseText(std::string_view text, std::vector<Notice>* notices = nullptr) {
    std::vector<Notice> local;
    return parseSyncConfig(text, "test.conf", notices ? *notices : local);
}

// The error message of a text that must not parse ("" if it parsed).
inline std::string errorOf(std::string_view text) {
    auto result = parseText(text);
    return result ? std::string() : result.error().message;
}

inline Address v4(const char* text) {
    return *parseIpv4(text);
}
inline Address v6(const char* text) {
    return *parseIpv6(text);
}

// A minimal valid Sync section around extra content.
inline std::string withChannel(std::string_view extra) {
    return "Sync {\n Mode FTFW { }\n Multicast { IPv4_address 225.0.0.50 Group 3780 }\n" +
           std::string(extra) + "\n}\n";
}

inline bool hasNotice(const std::vector<Notice>& notices, std::string_view key) {
    for (const auto& n : notices)
        if (n.key == key)
            return true;
    return false;
}

} // namespace ctd::sync::test
