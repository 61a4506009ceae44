#include "sync/config/config_reader.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace ctd::sync {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

// "010.0.0.1": a run of digits starting with 0 and longer than one digit.
bool hasLeadingZeroOctet(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
        bool atStart = i == 0 || text[i - 1] == '.';
        if (atStart && text[i] == '0' && i + 1 < text.size() && text[i + 1] >= '0' &&
            text[i + 1] <= '9')
            return true;
    }
    return false;
}

} // namespace

ConfigReader::ConfigReader(std::string_view text, std::string file)
    : lexer_(text), file_(std::move(file)) {
    config_.fileName = file_;
}

bool ConfigReader::fail(unsigned line, const std::string& message, int code) {
    if (!error_)
        error_ = makeError(code, file_ + ":" + std::to_string(line) + ": " + message);
    return false;
}

void ConfigReader::notice(unsigned line, std::string key, std::string message) {
    notices_.push_back(Notice{file_, line, std::move(key), std::move(message)});
}

std::string keyIn(const Token& key, const std::string& where) {
    // appended piecewise: "'" + std::string + ... trips GCC 12's false -Wrestrict (PR 105329)
    std::string out;
    out.reserve(key.text.size() + where.size() + 6);
    out += '\'';
    out.append(key.text);
    out += "' in ";
    out += where;
    return out;
}

bool ConfigReader::block(const Token& opener, const std::string& where,
                         const std::function<bool(const Token&)>& onItem) {
    Token open = lexer_.next();
    if (open.kind != TokenKind::LBrace)
        return fail(open.line, "expected '{' after '" + std::string(opener.text) + "', got " +
                                   describeToken(open));
    for (;;) {
        Token item = lexer_.next();
        switch (item.kind) {
        case TokenKind::RBrace:
            return true;
        case TokenKind::End:
            return fail(item.line, "unexpected end of file: " + where + " block opened at line " +
                                       std::to_string(open.line) + " is not closed");
        case TokenKind::Atom:
            if (!onItem(item))
                return false;
            break;
        default:
            return fail(item.line, "unexpected " + describeToken(item) + " in " + where);
        }
    }
}

bool ConfigReader::keyBlock(const Token& opener, const std::string& where,
                            const std::vector<KeyRule>& rules) {
    return block(opener, where, [&](const Token& key) {
        for (const auto& rule : rules)
            if (rule.key == key.text)
                return rule.read(key);
        return unknownKey(key, where, rules);
    });
}

bool ConfigReader::unknownKey(const Token& key, const std::string& where,
                              const std::vector<KeyRule>& rules) {
    std::string message = "unknown key " + describeToken(key) + " in " + where;
    // conntrackd.conf(5) itself spells LockFile as "Lockfile" in a heading: say why.
    for (const auto& rule : rules)
        if (equalsIgnoringCase(rule.key, key.text)) {
            message += " (keys are case-sensitive: did you mean '" + std::string(rule.key) + "'?)";
            break;
        }
    return fail(key.line, message);
}

bool ConfigReader::value(const Token& key, const std::string& where, Token& out) {
    out = lexer_.next();
    if (out.kind == TokenKind::Atom || out.kind == TokenKind::Path)
        return true;
    return fail(out.line, keyIn(key, where) + " needs a value, got " + describeToken(out));
}

bool ConfigReader::number(const Token& key, const std::string& where, uint32_t& out, uint32_t min,
                          uint32_t max) {
    Token v;
    if (!value(key, where, v))
        return false;
    auto parsed = parseNumber(v.text, min, max);
    if (!parsed)
        return fail(v.line, keyIn(key, where) + ": " + parsed.error().message, parsed.error().code);
    out = *parsed;
    return true;
}

bool ConfigReader::numberOrDefault(const Token& key, const std::string& where, uint32_t& out,
                                   uint32_t defaultValue) {
    uint32_t n = 0;
    if (!number(key, where, n))
        return false;
    if (n == 0) {
        notice(key.line, std::string(key.text),
               "0 means the default (" + std::to_string(defaultValue) + "), as in conntrackd");
        n = defaultValue;
    }
    out = n;
    return true;
}

bool ConfigReader::signedNumber(const Token& key, const std::string& where, int& out, int min,
                                int max) {
    Token v;
    if (!value(key, where, v))
        return false;
    auto parsed = parseSigned(v.text, min, max);
    if (!parsed)
        return fail(v.line, keyIn(key, where) + ": " + parsed.error().message, parsed.error().code);
    out = *parsed;
    return true;
}

bool ConfigReader::onOff(const Token& key, const std::string& where, bool& out) {
    Token v;
    if (!value(key, where, v))
        return false;
    auto parsed = parseSwitch(v.text);
    if (!parsed)
        return fail(v.line,
                    keyIn(key, where) + ": expected on, off, yes or no, got " + describeToken(v));
    out = *parsed;
    return true;
}

bool ConfigReader::path(const Token& key, const std::string& where, std::string& out,
                        size_t maxLength) {
    Token v;
    if (!value(key, where, v))
        return false;
    if (v.kind != TokenKind::Path)
        return fail(v.line,
                    keyIn(key, where) + ": expected an absolute path, got " + describeToken(v));
    if (v.text.size() > maxLength)
        return fail(v.line, keyIn(key, where) + ": path is longer than " +
                                std::to_string(maxLength) + " characters");
    out = std::string(v.text);
    return true;
}

bool ConfigReader::word(const Token& key, const std::string& where, std::string& out) {
    Token v;
    if (!value(key, where, v))
        return false;
    if (!isWord(v.text))
        return fail(v.line, keyIn(key, where) + ": expected a name, got " + describeToken(v));
    out = std::string(v.text);
    return true;
}

bool ConfigReader::address(const Token& key, const std::string& where, uint8_t family,
                           Address& out) {
    Token v;
    if (!value(key, where, v))
        return false;
    auto parsed = family == AF_INET ? parseIpv4(v.text) : parseIpv6(v.text);
    if (!parsed) {
        std::string message = keyIn(key, where) + ": " + describeToken(v) + " is not an " +
                              (family == AF_INET ? "IPv4" : "IPv6") + " address";
        if (family == AF_INET && hasLeadingZeroOctet(v.text))
            message += " (leading zeros: conntrackd's inet_aton() would read them as octal)";
        return fail(v.line, message);
    }
    out = *parsed;
    return true;
}

} // namespace ctd::sync
