#include "sync/config/config_lexer.hpp"

#include <cstdio>

namespace ctd::sync {

namespace {

bool isAtomChar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '/' || c == '+' || c == '-';
}

// conntrackd's {path} is \/[^\"\n ]*, i.e. it also swallows tabs and '\r'. ctd stops at
// those too, so a CRLF file or "LogFile /x<TAB># note" does not put them in a file name.
bool endsPath(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"';
}

} // namespace

void ConfigLexer::skipBlanksAndComments() {
    while (pos_ < input_.size()) {
        char c = input_[pos_];
        if (c == '\n') {
            // yylineno counts '\n' only; '\r' is a blank (flex's nl class is [\n\r]).
            ++line_;
            ++pos_;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++pos_;
        } else if (c == '#') {
            // "#.*$": a comment may start anywhere outside a path, not only at line start.
            while (pos_ < input_.size() && input_[pos_] != '\n')
                ++pos_;
        } else {
            return;
        }
    }
}

Token ConfigLexer::scan() {
    skipBlanksAndComments();
    Token token;
    token.line = line_;
    if (pos_ >= input_.size()) {
        token.kind = TokenKind::End;
        return token;
    }
    size_t start = pos_;
    auto c = static_cast<unsigned char>(input_[pos_]);
    if (c == '{' || c == '}') {
        token.kind = c == '{' ? TokenKind::LBrace : TokenKind::RBrace;
        ++pos_;
    } else if (c == '/') {
        token.kind = TokenKind::Path;
        while (pos_ < input_.size() && !endsPath(static_cast<unsigned char>(input_[pos_])))
            ++pos_;
    } else if (isAtomChar(c)) {
        token.kind = TokenKind::Atom;
        while (pos_ < input_.size() && isAtomChar(static_cast<unsigned char>(input_[pos_])))
            ++pos_;
    } else {
        token.kind = TokenKind::Bad;
        ++pos_;
    }
    token.text = input_.substr(start, pos_ - start);
    return token;
}

Token ConfigLexer::next() {
    if (hasLookahead_) {
        hasLookahead_ = false;
        return lookahead_;
    }
    return scan();
}

const Token& ConfigLexer::peek() {
    if (!hasLookahead_) {
        lookahead_ = scan();
        hasLookahead_ = true;
    }
    return lookahead_;
}

std::string describeToken(const Token& token) {
    switch (token.kind) {
    case TokenKind::End:
        return "end of file";
    case TokenKind::LBrace:
        return "'{'";
    case TokenKind::RBrace:
        return "'}'";
    default:
        break;
    }
    constexpr size_t maxShown = 64;
    std::string out = "'";
    for (size_t i = 0; i < token.text.size() && i < maxShown; ++i) {
        auto c = static_cast<unsigned char>(token.text[i]);
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (token.text.size() > maxShown)
        out += "...";
    out += "'";
    return out;
}

} // namespace ctd::sync
