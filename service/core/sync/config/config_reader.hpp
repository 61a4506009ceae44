// Shared machinery of the conntrackd.conf parser: token stream, first error, notices,
// block walking and typed value reading. Internal to service/core/sync/config.
#pragma once

#include "sync/config/config_lexer.hpp"
#include "sync/config/config_parser.hpp"
#include "sync/config/config_values.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ctd::sync {

class ConfigReader;

// One key of a key/value block and what reads its value(s).
struct KeyRule {
    std::string_view key;
    std::function<bool(const Token& key)> read;
};

// Where things were first seen in Sync sections (several Sync blocks merge into one).
struct SyncMarks {
    unsigned modeLine = 0;
    unsigned defaultLine = 0;
};

class ConfigReader {
public:
    ConfigReader(std::string_view text, std::string file);

    ConfigLexer& lexer() { return lexer_; }
    SyncConfig& config() { return config_; }
    const std::string& file() const { return file_; }

    // Records the first error as "FILE:LINE: message"; always returns false so callers
    // can `return fail(...)`.
    bool fail(unsigned line, const std::string& message, int code = EINVAL);
    void notice(unsigned line, std::string key, std::string message);

    // '{' ATOM... '}': calls onItem for every atom; any other token is an error.
    bool block(const Token& opener, const std::string& where,
               const std::function<bool(const Token&)>& onItem);
    // '{' (KEY VALUE...)... '}' dispatched through rules (keys are case-sensitive).
    bool keyBlock(const Token& opener, const std::string& where, const std::vector<KeyRule>& rules);
    bool unknownKey(const Token& key, const std::string& where, const std::vector<KeyRule>& rules);

    // Value readers: each consumes the token after key.
    bool number(const Token& key, const std::string& where, uint32_t& out, uint32_t min = 0,
                uint32_t max = maxConfigNumber);
    bool signedNumber(const Token& key, const std::string& where, int& out, int min, int max);
    bool onOff(const Token& key, const std::string& where, bool& out);
    bool path(const Token& key, const std::string& where, std::string& out, size_t maxLength);
    bool word(const Token& key, const std::string& where, std::string& out);
    bool address(const Token& key, const std::string& where, uint8_t family, Address& out);
    // Reads a number where conntrackd stores 0 as "not set, use the default".
    bool numberOrDefault(const Token& key, const std::string& where, uint32_t& out,
                         uint32_t defaultValue);
    // Takes the next token, which must be an atom or a path, as a value of key.
    bool value(const Token& key, const std::string& where, Token& out);

    std::optional<Error>& error() { return error_; }
    std::vector<Notice>& notices() { return notices_; }
    SyncMarks& syncMarks() { return syncMarks_; }

private:
    ConfigLexer lexer_;
    std::string file_;
    SyncConfig config_;
    std::optional<Error> error_;
    std::vector<Notice> notices_;
    SyncMarks syncMarks_;
};

// 'Key' in Where: (the prefix of every value error)
std::string keyIn(const Token& key, const std::string& where);

// Section parsers, called with the section's name token just read.
bool parseGeneral(ConfigReader& reader, const Token& opener);
bool parseSync(ConfigReader& reader, const Token& opener);
bool parseStats(ConfigReader& reader, const Token& opener);
bool parseHelper(ConfigReader& reader, const Token& opener);
bool parseFilter(ConfigReader& reader, const Token& opener);

// Whole-file checks once every section is read (dedicated links, modes).
bool validateSyncConfig(ConfigReader& reader, unsigned syncLine);

} // namespace ctd::sync
