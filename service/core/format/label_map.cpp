#include "format/label_map.hpp"

#include "ctd_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ctd {

namespace {

constexpr unsigned kMaxBits = 1024;

bool isBlank(char c) { return c == ' ' || c == '\f' || c == '\r' || c == '\t' || c == '\v'; }

bool isSaneName(std::string_view s)
{
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == ' ' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

int digitValue(char c, unsigned base)
{
    unsigned v;
    if (c >= '0' && c <= '9')
        v = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'z')
        v = static_cast<unsigned>(c - 'a') + 10;
    else if (c >= 'A' && c <= 'Z')
        v = static_cast<unsigned>(c - 'A') + 10;
    else
        return -1;
    return v < base ? static_cast<int>(v) : -1;
}

// strtoul(s, &end, 0) restricted to what can be a label bit: returns the bit and sets
// pos past the number, or nullopt (no digits, or too large).
std::optional<unsigned> parseBit(std::string_view line, size_t& pos)
{
    size_t i = 0;
    while (i < line.size() && (isBlank(line[i]) || line[i] == '\n'))
        ++i;
    if (i < line.size() && line[i] == '+')
        ++i;
    unsigned base = 10;
    if (i + 1 < line.size() && line[i] == '0' && (line[i + 1] == 'x' || line[i + 1] == 'X') &&
        i + 2 < line.size() && digitValue(line[i + 2], 16) >= 0) {
        base = 16;
        i += 2;
    } else if (i < line.size() && line[i] == '0') {
        base = 8;
    }
    size_t start = i;
    uint64_t value = 0;
    while (i < line.size()) {
        int d = digitValue(line[i], base);
        if (d < 0)
            break;
        value = value * base + static_cast<unsigned>(d);
        if (value >= kMaxBits)
            value = kMaxBits; // saturate: keeps parsing, rejected below
        ++i;
    }
    if (i == start || value >= kMaxBits)
        return std::nullopt;
    pos = i;
    return static_cast<unsigned>(value);
}

} // namespace

Result<LabelMap> LabelMap::load(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return makeError(errno ? errno : ENOENT, path + ": " + std::strerror(errno ? errno : ENOENT));
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str());
}

Result<LabelMap> LabelMap::loadDefault() { return load(CTD_LABEL_MAP); }

Result<LabelMap> LabelMap::parse(std::string_view text)
{
    LabelMap map;
    std::vector<bool> seen(kMaxBits, false);
    size_t lineStart = 0;
    while (lineStart < text.size()) {
        size_t nl = text.find('\n', lineStart);
        std::string_view line = text.substr(lineStart, nl == std::string_view::npos ? std::string_view::npos : nl - lineStart);
        lineStart = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.empty() || line[0] == '#')
            continue;
        size_t pos = 0;
        auto bit = parseBit(line, pos);
        if (!bit || seen[*bit])
            continue;
        std::string_view name = line.substr(pos);
        // libnetfilter_conntrack stops at a NUL like any C string does.
        name = name.substr(0, name.find('\0'));
        while (!name.empty() && isBlank(name.front()))
            name.remove_prefix(1);
        while (!name.empty() && isBlank(name.back()))
            name.remove_suffix(1);
        if (name.empty() || !isSaneName(name) || map.bit(name))
            continue;
        if (map.names_.size() <= *bit)
            map.names_.resize(*bit + 1);
        map.names_[*bit] = std::string(name);
        seen[*bit] = true;
    }
    if (map.names_.empty())
        return makeError(ENOENT, "no labels defined");
    return map;
}

const std::string* LabelMap::name(unsigned bit) const
{
    if (bit < names_.size() && !names_[bit].empty())
        return &names_[bit];
    return nullptr;
}

std::optional<unsigned> LabelMap::bit(std::string_view name) const
{
    for (size_t i = 0; i < names_.size(); ++i)
        if (!names_[i].empty() && names_[i] == name)
            return static_cast<unsigned>(i);
    return std::nullopt;
}

bool labelBitSet(const std::vector<uint8_t>& bitmap, unsigned bit)
{
    size_t word = bit / 32;
    if ((word + 1) * 4 > bitmap.size())
        return false;
    uint32_t w;
    std::memcpy(&w, bitmap.data() + word * 4, 4);
    return (w >> (bit % 32)) & 1u;
}

unsigned labelBitCount(const std::vector<uint8_t>& bitmap)
{
    return static_cast<unsigned>(bitmap.size() / 4 * 32);
}

void setLabelBit(std::vector<uint8_t>& bitmap, unsigned bit)
{
    size_t word = bit / 32;
    if (bitmap.size() < (word + 1) * 4)
        bitmap.resize((word + 1) * 4, 0);
    uint32_t w;
    std::memcpy(&w, bitmap.data() + word * 4, 4);
    w |= 1u << (bit % 32);
    std::memcpy(bitmap.data() + word * 4, &w, 4);
}

} // namespace ctd
