// conntrack -R: save lines (format/save_parser.hpp) into the kernel. The -A lines, nearly
// all of a save file, are created in bulk on sender threads (bulk_create.hpp) while the
// caller's thread reads and parses the next lines; the rare -I, -U, -D and -F lines run one
// by one on the caller's table, after every line before them has its answer, so a file
// applies in its own order (an -A then a -D of the same entry leaves no entry).
#pragma once

#include "conntrack_table.hpp"
#include "format/label_map.hpp"
#include "result.hpp"
#include "socket.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace ctd::nl {

// Fills line with the next line (without its newline); tooLong for a line the reader cut.
// false at the end of input (or when the caller gives up).
using SaveLineSource = std::function<bool(std::string& line, bool& tooLong)>;
// A failed line: its number (from 1) and why. Never two calls at once, but possibly from a
// sender thread, and kernel failures may come after parse failures of later lines.
using SaveLineErrorSink = std::function<void(uint64_t lineNo, const std::string& why)>;

struct SaveLoadOptions {
    const LabelMap* labels = nullptr; // for -l names
    size_t senders = 1; // sockets (and threads) the -A lines are created on
    size_t queueChunks = 4;
    size_t chunkBytes = 256u << 10;
};

struct SaveLoadReport {
    uint64_t lines = 0; // read, blank and comment lines included
    uint64_t loaded = 0; // -A lines created, and -I/-U/-D/-F lines that succeeded
    uint64_t failed = 0; // lines that did not parse, or that the kernel refused
    // -A lines whose entry existed: conntrack 1.4.7 -R sends NLM_F_CREATE|NLM_F_EXCL,
    // takes the kernel's EEXIST as success and leaves the entry as it is. Neither loaded
    // nor failed.
    uint64_t existing = 0;
};

// senders opens the sockets for the -A lines; side runs the other lines. An error is a
// socket failure (the load stopped); refused lines are only counted and reported.
Result<SaveLoadReport> loadSaveLines(const SaveLineSource& next, ConntrackTable& side, const TransportFactory& senders,
                                     const SaveLoadOptions& options, const SaveLineErrorSink& onError);

} // namespace ctd::nl
