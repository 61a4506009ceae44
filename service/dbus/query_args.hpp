// Decoding of the bus dictionaries (query, entry, changes, options) and the format word
// list into the core's model. Strict by design: unknown keys, wrong variant types, bad
// addresses and inconsistent combinations throw InvalidArgument naming the key, before
// polkit is asked and before anything is applied (docs/dbus-api.md "Conventions").
#pragma once

#include "entry.hpp"
#include "query.hpp"

#include <sdbus-c++/Types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::dbus {

using VariantMap = std::map<std::string, sdbus::Variant>;

// Which method a query dictionary belongs to: some keys only make sense for one of them.
enum class QueryUse { List, Watch, Match };

// Watch event mask bits (`events`).
namespace eventMask {
inline constexpr uint32_t New = 1u << 0;
inline constexpr uint32_t Update = 1u << 1;
inline constexpr uint32_t Destroy = 1u << 2;
inline constexpr uint32_t All = New | Update | Destroy;
} // namespace eventMask

// Resolves a label name to its bit (connlabel.conf); nullopt when unknown.
using LabelResolver = std::function<std::optional<unsigned>(std::string_view name)>;

// Reads the connlabel map at path ("N name" lines) once per call; a missing file resolves
// nothing, so only bit numbers work then.
LabelResolver fileLabelResolver(std::string path);

struct QueryArgs {
    ctd::Query query;
    uint32_t events = eventMask::All; // Watch only
    bool interactive = false;
    // The query rendered as conntrack options ("-p tcp --dport 22"), for polkit details
    // and logs.
    std::string text;
};

QueryArgs decodeQuery(const VariantMap& dict, QueryUse use, const LabelResolver& labels = {});

enum class EntryUse { Create, Get };

struct EntryArgs {
    ctd::Entry entry;
    bool interactive = false;
    std::string text;
};

EntryArgs decodeEntry(const VariantMap& dict, EntryUse use, const LabelResolver& labels = {});

struct ExpectationArgs {
    ctd::Expectation expectation;
    bool interactive = false;
    std::string text;
};

// The expectation dictionary of Expectations.Create (master-*, expected tuple, mask-*,
// timeout, helper, zone, flags, class, nat-dir, nat-*) and Expectations.Get (tuple or id).
ExpectationArgs decodeExpectation(const VariantMap& dict, EntryUse use);

struct Changes {
    std::optional<Masked32> mark;
    std::optional<uint32_t> timeout;
    std::optional<uint32_t> status;
    std::optional<std::vector<uint8_t>> labels; // replace the label set
    std::optional<std::vector<uint8_t>> labelsAdd;
    std::optional<std::vector<uint8_t>> labelsDel;
    bool interactive = false;
    std::string text;
    bool operator==(const Changes&) const = default;
};

Changes decodeChanges(const VariantMap& dict, const LabelResolver& labels = {});

// Options dictionaries of Stop and Load: only `interactive` so far.
struct Options {
    bool interactive = false;
};

Options decodeOptions(const VariantMap& dict);

// conntrack's -o word list.
struct OutputFormat {
    enum class Base : uint8_t { None, Plain, Extended, Xml, Save, Json };
    Base base = Base::None;
    bool id = false;
    bool timestamp = false;
    bool ktimestamp = false;
    bool labels = false;
    bool userspace = false;
    bool operator==(const OutputFormat&) const = default;
    bool writesNothing() const { return base == Base::None; }
};

// "" → Base::None; modifiers alone ("id") mean plain with that modifier.
OutputFormat decodeFormat(std::string_view words);

// Address helpers, exposed for the tests and the polkit details.
std::optional<ctd::Address> parseAddress(std::string_view text);
std::optional<ctd::Prefix> parsePrefix(std::string_view text);

} // namespace ctd::dbus
