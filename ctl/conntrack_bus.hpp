// The conntrack drop-in's requests as org.netfilter.Conntrack1 calls: query, entry and
// changes dictionaries (docs/dbus-api.md) and the format word list. Filters map one to
// one; what the bus cannot express is reported, never dropped, so a delete can not widen.
#pragma once

#include "conntrack_request.hpp"

#include <sdbus-c++/Types.h>

#include <map>
#include <string>

namespace ctd::cli {

using Dict = std::map<std::string, sdbus::Variant>;

struct BusMapping {
    Dict dict;
    // Non-empty when the request uses something the bus has no key for; the text names it
    // ("--secmark filter"), for an error message.
    std::string unsupported;
};

// The query dictionary of List/Delete/Update/Flush/CountMatching/Watch.
BusMapping queryFor(const Request& r, bool interactive);
// Table.Create / Table.Get (entry: Create's extra keys too).
BusMapping entryFor(const Request& r, bool create, bool interactive);
// Table.Update's changes; empty dict when the command changes nothing.
BusMapping changesFor(const Request& r, bool interactive);
// Expectations.Create / Get / Delete.
BusMapping expectationFor(const Request& r, bool create, bool interactive);

// The format argument: conntrack's -o as bus words ("plain" when no -o was given).
std::string formatFor(const Request& r);

} // namespace ctd::cli
