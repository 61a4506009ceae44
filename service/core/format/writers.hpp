// Internal: one writer per output format, called by Formatter. Each appends one record
// without the trailing newline.
#pragma once

#include "entry.hpp"
#include "format/label_map.hpp"
#include "format/text_buffer.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ctd {

// What libnetfilter_conntrack's nfct_snprintf flags and arguments say, resolved by Formatter.
struct WriteContext {
    EventType type = EventType::None; // event prefix / <flow type=...>
    bool layer3 = false;              // NFCT_OF_SHOW_LAYER3
    bool id = false;                  // NFCT_OF_ID
    bool ktimestamp = false;          // NFCT_OF_TIMESTAMP
    bool when = false;                // NFCT_OF_TIME (xml <when>)
    int64_t whenSec = 0;              // the time <when> shows
    const LabelMap* labels = nullptr; // null: labels not printed
    int64_t now = 0;                  // for delta-time of live entries
};

void writeConntrackText(TextBuffer& out, const Entry& e, const WriteContext& ctx);
void writeConntrackXml(TextBuffer& out, const Entry& e, const WriteContext& ctx);
void writeExpectationText(TextBuffer& out, const Expectation& x, const WriteContext& ctx);
void writeExpectationXml(TextBuffer& out, const Expectation& x, const WriteContext& ctx);

// command: 'A', 'U', 'D' or 0 for none.
void writeConntrackSave(TextBuffer& out, const Entry& e, char command);

struct JsonContext {
    EventType type = EventType::None;
    bool event = false;
    uint32_t portid = 0;
    std::string_view progname;
    int64_t sec = 0, usec = 0;
    const LabelMap* labels = nullptr;
};
void writeConntrackJson(TextBuffer& out, const Entry& e, const JsonContext& ctx);
void writeExpectationJson(TextBuffer& out, const Expectation& x, const JsonContext& ctx);

// Pieces of the default text shared by conntrack and expectation lines: "src=A dst=B "
// and the layer 4 fields of a tuple ("sport=1 dport=2 ", "type=8 code=0 id=1 ", ...).
void appendTupleAddresses(TextBuffer& out, uint8_t family, const Tuple& t, std::string_view srcTag,
                          std::string_view dstTag);
void appendTupleProto(TextBuffer& out, const Tuple& t);
// Event prefixes shared by conntrack and expectation lines: "    [NEW] " ... for text
// (nothing for EventType::None), "<flow type=\"new\">" ... or "<flow>" for XML.
void appendEventPrefix(TextBuffer& out, EventType type);
void appendXmlFlowOpen(TextBuffer& out, EventType type);
// libnetfilter_conntrack keeps helper names (conntrack's and expectations') in a 16-byte
// array (NF_CT_HELPER_NAME_LEN), so text and XML show at most 15 characters.
inline std::string_view helperName(const std::string& helper) { return std::string_view(helper).substr(0, 15); }
// "<src>A</src><dst>B</dst>" and "<sport>1</sport><dport>2</dport>" for XML.
void appendXmlAddresses(TextBuffer& out, uint8_t family, const Tuple& t);
void appendXmlProto(TextBuffer& out, const Tuple& t);

// asctime()-style local time, "Tue Dec  1 21:16:59 2026", as ctime() prints it.
void appendCtime(TextBuffer& out, int64_t sec);
// <hour>..</hour>...<year>..</year> in local time, libnetfilter_conntrack's <when> body.
void appendXmlLocalTime(TextBuffer& out, int64_t sec);

// The family an entry's addresses are printed with.
inline uint8_t entryFamily(const Entry& e)
{
    return e.family != 0 ? e.family : e.orig.src.family;
}

} // namespace ctd
