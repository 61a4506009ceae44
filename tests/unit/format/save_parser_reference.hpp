// The save-line parser before its rewrite for speed: the oracle of test_save_fast.cpp.
#pragma once

#include "format/save_parser.hpp"

namespace ctd::reference {

Result<std::optional<SaveCommand>> parseSaveLine(std::string_view line, const SaveParseOptions& options = {});
Result<std::vector<SaveCommand>> parseSaveText(std::string_view text, const SaveParseOptions& options = {});

} // namespace ctd::reference
