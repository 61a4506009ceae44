// conntrack 1.4.7's protocol extensions (extensions/libct_proto_*.c): the long options that
// -p PROTO adds to the command line, how each one is parsed, the per-protocol compatibility
// matrix checked after the main one, and the text -h -p PROTO prints.
#pragma once

#include "conntrack_request.hpp"

#include <string>
#include <vector>

namespace ctd::cli {

// An error that ends parsing the way conntrack's exit_error() does.
struct CliExit {
    int status;
    std::string message;
};

// conntrack's generic_opt_check(): row[i] is the matrix entry for option bit i ('0' illegal,
// '1' compulsory, '2' optional, '3' see coupled). Throws CliExit with conntrack's message
// naming optflags[i]; returns false when a coupled pair is incomplete (partial says which).
bool checkOptions(uint32_t given, const std::vector<const char*>& optflags,
                  const std::string& row, const std::vector<uint32_t>& coupled, int& partial);

struct ProtoOption {
    const char* name;
    int val; // the extension's own option code, before merge_options adds its offset
};

struct ProtoHandler {
    const char* name;
    uint8_t protonum;
    std::vector<ProtoOption> options;
    // Parses one of the extension's options into args (code = val); throws CliExit.
    void (*parse)(int code, const char* arg, L4Args& args);
    // Runs the extension's final_check for command index cmd; throws CliExit. Null: none.
    void (*finalCheck)(uint32_t flags, int cmd);
    const char* help;
};

// conntrack's findproto(): a supported name (case-insensitive), a name from
// /etc/protocols (the "unknown" handler), or a number 0..255. Null when none fits.
const ProtoHandler* findProto(const std::string& name, uint8_t& protonum);

} // namespace ctd::cli
