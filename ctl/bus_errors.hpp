// What a failed call to ctd means for the user: the error class, the errno conntrack would
// have seen, and a one-line hint. ctctl's exit codes are documented in docs/ctctl.1.
#pragma once

#include <sdbus-c++/Error.h>

#include <string>

namespace ctd::ctl {

enum class Failure {
    NotFound, Exists, InvalidArgument, Busy, Kernel, NotConfigured, AccessDenied,
    NoService, // not running and not activatable, or no bus at all
    Other,
};

struct CallError {
    Failure kind = Failure::Other;
    std::string name;    // D-Bus error name
    std::string message; // the service's message
    int errnoValue = 0;  // what conntrack's err2str() would get
    std::string hint;    // one line for humans
};

CallError classify(const sdbus::Error& e);

// ctd answers, but has no Caches/Links objects: it runs without a Sync section
// (docs/dbus-api.md: every sync name is then unknown to the bus), or says NotConfigured.
bool withoutSyncEngine(const sdbus::Error& e);

// ctctl exit codes: 0 ok, 1 failure (also: ctd not running and not activatable), 2 usage,
// 3 nothing matched, 4 not authorized.
int exitCodeFor(Failure kind);

} // namespace ctd::ctl
