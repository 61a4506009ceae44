// From a parsed conntrackd.conf to what the engine runs with: settings, one LinkSpec per
// channel block (in file order, Default marked) and the General Filter as a predicate.
#pragma once

#include "link.hpp"
#include "sync_engine.hpp"
#include "sync/config/sync_config.hpp"

#include <vector>

namespace ctd::sync {

struct EngineSetup {
    EngineSettings settings;
    std::vector<LinkSpec> links;
};

EngineSetup engineSetupFrom(const SyncConfig& config);

// conntrackd's ct_filter_check: protocol, then address (the original and the reply
// source, so both real endpoints), then TCP state; each part Accept or Ignore.
bool filterAccepts(const EventFilter& filter, const Entry& entry);

} // namespace ctd::sync
