// conntrack 1.4.7's command line, parsed into a request value. This is a faithful
// re-implementation of conntrack's do_parse(): the same getopt_long tables (including the
// per-protocol options that only exist after -p), the same command/option compatibility
// matrix, the same messages and exit statuses. It does no I/O: what conntrack would print
// on stderr while parsing (warnings, perror lines, the error) is returned as text.
#pragma once

#include "conntrack_request.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ctd::cli {

// Resolves a connlabel name to its bit, like libnetfilter_conntrack's labelmap. The loader
// is asked each time conntrack would call labelmap_init(); it returns nullopt when the map
// cannot be read, with the errno text perror() would print.
struct LabelSource {
    // Returns an empty string on success, or the perror text ("No such file or directory").
    std::function<std::string()> load;
    std::function<std::optional<unsigned>(const std::string& name)> bit;
};

// The connlabel map of the build (meson option label_map), read with ctformat's LabelMap.
LabelSource defaultLabelSource();

struct ParseResult {
    bool ok = false;
    int status = 0;         // exit status when !ok
    std::string diagnostics; // stderr text, in the order conntrack prints it
    Request request;
};

// args are the arguments after argv[0], as conntrack sees them.
ParseResult parseCommandLine(const std::vector<std::string>& args, const LabelSource& labels);

// Checks conntrack makes after parsing, when it starts the command but before it talks to
// the kernel ("Can't use -z with filtering parameters", "Can't use --mask-src without
// --src"). Empty when the request may run; otherwise the full stderr text (exit status 2).
std::string preflight(const Request& request);

// "conntrack v1.4.7 (conntrack-tools): " + message + "\n" (+ the try-help line for status 2).
std::string errorText(int status, const std::string& message);

// conntrack -h: the usage text (prog is argv[0]) plus the protocol's help when -p was given.
std::string usageText(const std::string& prog, const Request& request);

} // namespace ctd::cli
