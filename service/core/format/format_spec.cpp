// conntrack 1.4.7's "-o" parsing (parse_parameter with PARSE_OUTPUT), plus ctd's "json".
#include "format/formatter.hpp"

#include <cerrno>
#include <strings.h>

namespace ctd {

namespace {

enum Word : unsigned {
    kXml = 1u << 0,
    kExtended = 1u << 1,
    kTimestamp = 1u << 2,
    kId = 1u << 3,
    kKtimestamp = 1u << 4,
    kLabels = 1u << 5,
    kSave = 1u << 6,
    kUserspace = 1u << 7,
};

struct Keyword {
    std::string_view name;
    unsigned bit;
};

// conntrack's table order matters: the first keyword the word is a prefix of wins.
constexpr Keyword kKeywords[] = {
    {"xml", kXml},        {"extended", kExtended}, {"timestamp", kTimestamp},
    {"id", kId},          {"ktimestamp", kKtimestamp}, {"labels", kLabels},
    {"userspace", kUserspace}, {"save", kSave},
};

// strncasecmp(word, keyword, word.size()) == 0 as conntrack calls it: the word is a
// case-insensitive prefix of the keyword.
bool isPrefixOf(std::string_view word, std::string_view keyword)
{
    if (word.size() > keyword.size())
        return false;
    return ::strncasecmp(word.data(), keyword.data(), word.size()) == 0;
}

Error badParameter(std::string_view rest)
{
    return makeError(EINVAL, "Bad parameter `" + std::string(rest) + "'");
}

} // namespace

Result<FormatOptions> parseFormatSpec(std::string_view spec)
{
    FormatOptions opts;
    if (spec.empty())
        return opts;
    if (spec.size() == 4 && ::strncasecmp(spec.data(), "json", 4) == 0) {
        opts.kind = OutputKind::Json;
        return opts;
    }

    unsigned mask = 0;
    std::string_view rest = spec;
    while (true) {
        const size_t comma = rest.find(',');
        const std::string_view word = rest.substr(0, comma);
        // Embedded NULs would end conntrack's C string; treat them as garbage instead.
        if (word.empty() || word.find('\0') != std::string_view::npos)
            return badParameter(rest);
        if (isPrefixOf(word, "SRC_NAT")) {
            opts.warnings.emplace_back("WARNING: ignoring SRC_NAT, use --src-nat instead");
        } else if (isPrefixOf(word, "DST_NAT")) {
            opts.warnings.emplace_back("WARNING: ignoring DST_NAT, use --dst-nat instead");
        } else if (word.size() == 4 && ::strncasecmp(word.data(), "json", 4) == 0) {
            return makeError(EINVAL, "cannot combine json output with any other output type, use -o json only");
        } else {
            const Keyword* hit = nullptr;
            for (const auto& k : kKeywords) {
                if (isPrefixOf(word, k.name)) {
                    hit = &k;
                    break;
                }
            }
            if (!hit)
                return badParameter(rest);
            mask |= hit->bit;
        }
        if (comma == std::string_view::npos)
            break;
        rest = rest.substr(comma + 1);
    }
    if ((mask & kSave) && (mask & ~(kSave | kUserspace)))
        return makeError(EINVAL, "cannot combine save output with any other output type, use -o save only");

    opts.kind = (mask & kSave) ? OutputKind::Save : (mask & kXml) ? OutputKind::Xml : OutputKind::Default;
    opts.extended = mask & kExtended;
    opts.timestamp = mask & kTimestamp;
    opts.id = mask & kId;
    opts.ktimestamp = mask & kKtimestamp;
    opts.labels = mask & kLabels;
    opts.userspace = mask & kUserspace;
    return opts;
}

} // namespace ctd
