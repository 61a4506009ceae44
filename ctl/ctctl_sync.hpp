// ctctl sync ... and ctctl links: the sync engine (Caches) and its channels (Links/<n>),
// networkctl style. Also the sync lines of ctctl status.
#pragma once

#include "bus_client.hpp"

#include <string>
#include <vector>

namespace ctd::ctl {

struct SyncRequest {
    std::vector<std::string> words; // after "sync": SUBCOMMAND [ARG]
    std::string format;             // -o
    bool json = false;
    bool legend = true;
    bool interactive = false;
};

// Returns ctctl's exit code; sdbus::Error escapes to the caller's handler.
int runSync(BusClient& bus, const SyncRequest& request);
int runLinks(BusClient& bus, const SyncRequest& request);

// For ctctl status: the sync lines (text) or a "sync" member (json, with its leading
// comma); empty when ctd runs without a sync configuration.
std::string syncStatusText(BusClient& bus);
std::string syncStatusJsonMember(BusClient& bus);

} // namespace ctd::ctl
