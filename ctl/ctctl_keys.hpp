// ctctl's filter options map one to one onto the bus dictionaries: "--dport 22" is the key
// "dport" with the type docs/dbus-api.md gives it. Values are checked here (numbers, ranges)
// so a typo fails before the call; the service checks the rest.
#pragma once

#include <sdbus-c++/Types.h>

#include <map>
#include <optional>
#include <string>

namespace ctd::ctl {

using Dict = std::map<std::string, sdbus::Variant>;

// Whether key is a dictionary key ctctl knows.
bool knownKey(const std::string& key);
// Adds key=value to dict, converted to the key's type; an error text when the value is
// bad (empty on success). "protocol" takes a name or a number, "mark" also MARK/MASK, list
// keys take comma-separated words.
std::string addKey(Dict& dict, const std::string& key, const std::string& value);
// Whether the key takes no value (booleans).
bool isFlagKey(const std::string& key);

} // namespace ctd::ctl
