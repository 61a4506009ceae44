// Reads the text "conntrack -o save" writes and "conntrack -R" loads: one conntrack command
// line per entry ("-A -t 99 -u ASSURED -s 192.0.2.1 ... -p tcp --sport 1 ..."). Input is
// untrusted (a file handed to the service): every token is bounded and checked, and errors
// say which line and which option.
#pragma once

#include "entry.hpp"
#include "format/label_map.hpp"
#include "result.hpp"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace ctd {

struct SaveCommand {
    // 'A' (--add), 'I' (--create), 'U' (--update), 'D' (--delete), 'F' (--flush): the
    // commands conntrack -R accepts.
    char command = 'A';
    Entry entry;
    std::optional<uint32_t> markMask; // -m VALUE/MASK; the value is in entry.mark
    bool operator==(const SaveCommand&) const = default;
};

struct SaveParseOptions {
    // Needed for -l/--label/--label-add names; without it those options are an error.
    const LabelMap* labels = nullptr;
};

// One line. nullopt for blank lines and '#' comments, which conntrack -R skips. Errors are
// EINVAL with a message naming the option ("unknown option `--foo'").
Result<std::optional<SaveCommand>> parseSaveLine(std::string_view line,
                                                 const SaveParseOptions& options = {});

// A whole file; the first error is returned as "line N: ...".
Result<std::vector<SaveCommand>> parseSaveText(std::string_view text,
                                               const SaveParseOptions& options = {});

} // namespace ctd
