// conntrackd.conf (conntrack-tools 1.4.7 grammar) to SyncConfig. Hand-written lexer
// (config_lexer.hpp) and recursive descent; see docs/sync-config.md for every key, its
// default and what ctd does with it.
#pragma once

#include "result.hpp"
#include "sync/config/sync_config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace ctd::sync {

// A key that was accepted but changes nothing in ctd (or means something the reader
// should know, such as a deprecated alias). Errors are never notices.
struct Notice {
    std::string file;
    unsigned line = 0;
    std::string key;
    std::string message;
    bool operator==(const Notice&) const = default;
};

// "FILE:LINE: KEY: message"
std::string formatNotice(const Notice& notice);

// Parses the whole text. On error nothing is returned but the Error ("FILE:LINE: ...",
// code EINVAL or ERANGE) and notices is left untouched; on success the notices of this
// file are appended.
Result<SyncConfig> parseSyncConfig(std::string_view text, std::string fileName,
                                   std::vector<Notice>& notices);

// Reads path (at most maxConfigFileSize bytes) and parses it; errno-coded Error when the
// file cannot be read.
Result<SyncConfig> loadSyncConfig(const std::string& path, std::vector<Notice>& notices);

// conntrackd.conf files are a few KiB (the commented examples are 15 KiB).
inline constexpr size_t maxConfigFileSize = 4 * 1024 * 1024;

} // namespace ctd::sync
