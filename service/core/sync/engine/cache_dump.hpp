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
#include <memory>

namespace ctd::sync {

struct CacheDumpOptions {
    enum class Style : uint8_t { Conntrackd, ConntrackdXml, Formatted };
    Style style = Style::Conntrackd;
    FormatOptions format; // Formatted only
    bool external = false;
    bool alarmMode = false;
    uint64_t nowMs = 0;
};

// A dump in steps, so that a big cache goes out as fast as its reader takes it while the
// engine keeps running in between, and costs only a snapshot of the keys (not the whole
// text) meanwhile. An entry that is gone, or dead, by its turn is left out; one added
// after the start is not shown.
class CacheDumpCursor {
public:
    CacheDumpCursor(const SyncCache& cache, const CacheDumpOptions& options);
    CacheDumpCursor(const ExpectationCache& cache, const CacheDumpOptions& options);
    CacheDumpCursor(const CacheDumpCursor&) = delete;
    CacheDumpCursor& operator=(const CacheDumpCursor&) = delete;

    // Appends entries to buffer() until it wants flushing; false once everything,
    // including the formatter's closing text, is in the buffer.
    bool step();
    TextBuffer& buffer() { return out_; }
    uint64_t written() const { return written_; }

private:
    void start(const CacheDumpOptions& options, bool expectations);

    TextBuffer out_;
    std::unique_ptr<Formatter> formatter_;
    // Writes item i of the snapshot if it still lives; true if it did.
    std::function<bool(size_t)> emit_;
    size_t count_ = 0;
    size_t next_ = 0;
    bool document_ = false;
    bool done_ = false;
    uint64_t written_ = 0;
};

// The whole dump at once: flush is called whenever out wants flushing (and may return
// false to stop: the reader went away). Returns the number of entries written.
Result<uint64_t> dumpCache(const SyncCache& cache, const CacheDumpOptions& options, TextBuffer& out,
                           const std::function<bool(TextBuffer&)>& flush);

// The same for an expectation cache (conntrackd -i expect / -e expect).
Result<uint64_t> dumpExpectationCache(const ExpectationCache& cache, const CacheDumpOptions& options,
                                      TextBuffer& out, const std::function<bool(TextBuffer&)>& flush);

} // namespace ctd::sync
