// Public entry point of the formatters: conntrack 1.4.7's text output (default, extended,
// xml, save, with its id/timestamp/ktimestamp/labels/userspace modifiers), event output,
// expectation output and ctd's versioned JSON lines (docs/json.md).
//
// Typical use (a dump written to a pipe):
//
//   auto opts = parseFormatSpec("extended,id");      // Result<FormatOptions>
//   TextBuffer out;
//   Formatter fmt(*opts, Command::List, out);
//   fmt.begin();
//   for (const Entry& e : entries) {
//       fmt.entry(e);
//       if (out.wantsFlush()) out.flushTo(fd);
//   }
//   fmt.end();
//   out.flushTo(fd);
//
// Output is byte for byte what conntrack prints on stdout for the same command, including
// its quirks (XML header without footer on -G, no ktimestamp on -U/-D, ...). The summary
// line conntrack prints on stderr ("N flow entries have been shown.") is the caller's.
#pragma once

#include "entry.hpp"
#include "format/label_map.hpp"
#include "format/text_buffer.hpp"
#include "result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctd {

enum class OutputKind : uint8_t { Default, Xml, Save, Json };

struct FormatOptions {
    OutputKind kind = OutputKind::Default;
    bool extended = false;   // "ipv4     2 " layer 3 column
    bool id = false;         // id=N
    bool timestamp = false;  // events: "[sec.usec]\t" prefix, xml: <when>
    bool ktimestamp = false; // [start=...] [stop=...] / <timestamp>
    bool labels = false;     // labels=a,b (needs a LabelMap)
    bool userspace = false;  // accepted like conntrack 1.4.7 does; [USERSPACE] is always shown
    // conntrack accepts "-o s..."/"-o d..." as SRC_NAT/DST_NAT with a warning on stderr and
    // otherwise ignores them; the warnings are here for a drop-in to print.
    std::vector<std::string> warnings;
    bool operator==(const FormatOptions&) const = default;
};

// Parses conntrack's -o argument: comma-separated words, case-insensitive, each one a
// prefix of xml, extended, timestamp, id, ktimestamp, labels, userspace, save (conntrack
// matches prefixes: "ext" is extended). "json" is ctd's own and stands alone. An empty spec
// is the default output. Errors (EINVAL) carry conntrack's own text, which names the bad
// word and what follows it: "Bad parameter `zone'"; combining save (or json) with anything
// else is "cannot combine save output with any other output type, use -o save only".
Result<FormatOptions> parseFormatSpec(std::string_view spec);

// The conntrack command whose output is reproduced; it decides what conntrack 1.4.7 prints.
enum class Command : uint8_t {
    List,   // -L: xml header+footer, ktimestamp honoured, save lines start "-A"
    Get,    // -G: xml header but no footer (conntrack's behaviour), otherwise as List
    Update, // -U: no xml header, ktimestamp ignored, "-A"
    Delete, // -D: no xml header, ktimestamp and labels ignored, "-D"
    Events, // -E: event prefixes, timestamps, [USERSPACE] suffix; use event()
};

// What came with an event message besides the entry.
struct EventInfo {
    EventType type = EventType::None;
    // nlmsg_pid of the event: nonzero when a userspace process caused it; conntrack then
    // appends " [USERSPACE] portid=N" and, when it can find it, " progname=NAME".
    uint32_t portid = 0;
    std::string_view progname;
    // When the event was received (CLOCK_REALTIME), for -o timestamp.
    int64_t sec = 0;
    int64_t usec = 0;
};

// Seconds since the epoch, for delta-time of live entries. Injected so tests are stable.
using WallClock = int64_t (*)();

class Formatter {
public:
    // labels may be null: like conntrack without a readable connlabel.conf, no labels are
    // printed then. The referenced objects must outlive the Formatter.
    Formatter(const FormatOptions& options, Command command, TextBuffer& out,
              const LabelMap* labels = nullptr);

    void setClock(WallClock clock) { clock_ = clock; }

    void begin();
    void entry(const Entry& e);
    void event(const Entry& e, const EventInfo& info);
    void expectation(const Expectation& x);
    void expectationEvent(const Expectation& x, const EventInfo& info);
    // Closes the XML document if one was opened (conntrack prints no header, hence no
    // footer, when there was nothing to show).
    void end();

    size_t count() const { return count_; }

private:
    void xmlHeader(bool expectations);
    void timestampPrefix(const EventInfo& info, bool expectation);
    void userspaceSuffix(const EventInfo& info);

    FormatOptions options_;
    Command command_;
    TextBuffer& out_;
    const LabelMap* labels_;
    WallClock clock_;
    bool xmlOpen_ = false;
    bool xmlExpect_ = false;
    size_t count_ = 0;
};

// One-shot helpers, mostly for tests and small callers: the text of a single entry or
// expectation as conntrack would print it (one line, with its trailing newline; XML
// without header).
std::string formatEntry(const Entry& e, const FormatOptions& options,
                        Command command = Command::List, const LabelMap* labels = nullptr,
                        WallClock clock = nullptr);
std::string formatExpectation(const Expectation& x, const FormatOptions& options,
                              Command command = Command::List, WallClock clock = nullptr);

// conntrack -S: one line per CPU. values[i] is the kernel's CTA_STATS attribute i
// (CTA_STATS_FOUND = 2 ...), absent when the kernel did not send it; indexes past
// CTA_STATS_CHAIN_TOOLONG (15) print as unknown1..unknown4 like conntrack 1.4.7.
struct CpuStats {
    uint16_t cpu = 0; // nfgenmsg res_id
    std::array<std::optional<uint32_t>, 20> values{};
};
// "cpu=0   \tfound=0 invalid=0 ... \n", byte for byte (trailing blank included).
std::string formatCpuStats(const CpuStats& stats);
// conntrack -S expect: values[i] is CTA_STATS_EXP attribute i (1..3).
std::string formatExpectCpuStats(const CpuStats& stats);

} // namespace ctd
