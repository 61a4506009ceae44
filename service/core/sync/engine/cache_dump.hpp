// conntrackd -i / -e: a cache's entries as text. "conntrackd" is conntrackd's own line
// (conntrack's default line without timeout and use, the external cache without the reply
// tuple it never received, then " [active since Ns]" or, in ALARM mode, " [expires in Ns]");
// "conntrackd-xml" its -x form (one <flow> a line, no document around it). Any other spec is
// a conntrack -o format (format/formatter.hpp) applied to the cached entries.
#pragma once

#include "format/formatter.hpp"
#include "format/text_buffer.hpp"
#include "result.hpp"
#include "expectation_cache.hpp"
#include "sync_cache.hpp"

#include <cstdint>
#include <functional>

namespace ctd::sync {

struct CacheDumpOptions {
    enum class Style : uint8_t { Conntrackd, ConntrackdXml, Formatted };
    Style style = Style::Conntrackd;
    FormatOptions format; // Formatted only
    bool external = false;
    bool alarmMode = false;
    uint64_t nowMs = 0;
};

// Writes every live entry; flush is called whenever out wants flushing (and may return
// false to stop: the reader went away). Returns the number of entries written.
Result<uint64_t> dumpCache(const SyncCache& cache, const CacheDumpOptions& options, TextBuffer& out,
                           const std::function<bool(TextBuffer&)>& flush);

// The same for an expectation cache (conntrackd -i expect / -e expect).
Result<uint64_t> dumpExpectationCache(const ExpectationCache& cache, const CacheDumpOptions& options,
                                      TextBuffer& out, const std::function<bool(TextBuffer&)>& flush);

} // namespace ctd::sync
