// Tokens of conntrackd.conf. conntrackd's flex lexer (read_config_lex.l) decides keyword
// vs. string vs. address by longest match, so "abc" is an IPv6 address to it and
// "Interface abc" a syntax error. This lexer only cuts the text into atoms and lets the
// parser read each atom as the type its key expects: a superset of what 1.4.7 accepts.
#pragma once

#include <string>
#include <string_view>

namespace ctd::sync {

enum class TokenKind {
    LBrace,
    RBrace,
    Atom, // a run of [A-Za-z0-9._:/+-]: keyword, word, number, address or prefix
    Path, // starts with '/': conntrackd's {path} runs to a blank, newline or '"'
    Bad,  // one byte the grammar has no use for (conntrackd: a one-char syntax error)
    End,
};

struct Token {
    TokenKind kind = TokenKind::End;
    std::string_view text;
    unsigned line = 1;
};

class ConfigLexer {
public:
    explicit ConfigLexer(std::string_view input) : input_(input) {}

    Token next();
    const Token& peek();

private:
    Token scan();
    void skipBlanksAndComments();

    std::string_view input_;
    size_t pos_ = 0;
    unsigned line_ = 1;
    Token lookahead_;
    bool hasLookahead_ = false;
};

// The token as it may appear in a message: printable ASCII kept, other bytes as \xNN,
// cut to a readable length.
std::string describeToken(const Token& token);

} // namespace ctd::sync
