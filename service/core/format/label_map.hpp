// The connlabel.conf map from label bits to names ("N name" lines), read the way
// libnetfilter_conntrack 1.0.9 reads it so "-o labels" prints the same names.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctd {

class LabelMap {
public:
    // The file's rules, from libnetfilter_conntrack: '#' in column 0 starts a comment; a line
    // is a number (strtoul base 0, below 1024) then a name of [A-Za-z0-9 -] with blanks
    // trimmed; the first use of a bit or a name wins; anything else is skipped silently.
    // A file with no usable line is an error (ENOENT-like: conntrack then has no map).
    static Result<LabelMap> load(const std::string& path);
    // The build's default map (meson option label_map, /etc/xtables/connlabel.conf), the
    // file conntrack 1.4.7 reads for "-o labels".
    static Result<LabelMap> loadDefault();
    static Result<LabelMap> parse(std::string_view text);

    // Name of a bit; nullptr when the map has no name for it.
    const std::string* name(unsigned bit) const;
    std::optional<unsigned> bit(std::string_view name) const;
    size_t size() const { return names_.size(); }

private:
    std::vector<std::string> names_; // index = bit; empty string = unnamed
};

// Bit i of a CTA_LABELS bitmap: 32-bit words in host order, as the kernel and
// libnetfilter_conntrack store them.
bool labelBitSet(const std::vector<uint8_t>& bitmap, unsigned bit);
unsigned labelBitCount(const std::vector<uint8_t>& bitmap); // words * 32
void setLabelBit(std::vector<uint8_t>& bitmap, unsigned bit); // grows to whole words

} // namespace ctd
