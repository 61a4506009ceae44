// What conntrack 1.4.7 checks and fills in once a save line's options are read: the
// options a create needs, libnetfilter_conntrack's ICMP reply autocompletion, and the
// missing direction of a create as the inverse of the given one. Shared by the save-line
// parser and its test oracle, which differ only in how they read the options.
#pragma once

#include "format/save_parser.hpp"
#include "result.hpp"

#include <cstdint>
#include <optional>

namespace ctd {

struct SaveLineSeen {
    bool command = false;
    bool protocol = false;
    bool timeout = false;
    // --src, --dst, --reply-src, --reply-dst
    bool addr[4] = {false, false, false, false};
    std::optional<uint8_t> family;
};

Result<void> completeSaveCommand(SaveCommand& cmd, const SaveLineSeen& seen);

} // namespace ctd
