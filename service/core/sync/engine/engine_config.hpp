// From a parsed conntrackd.conf to what the engine runs with: settings, one LinkSpec per
// channel block (in file order, Default marked) and the General Filter as a predicate.
#pragma once

#include "link.hpp"
#include "netlink/event_bpf.hpp"
#include "sync_engine.hpp"
#include "sync/config/sync_config.hpp"

#include <vector>

namespace ctd::sync {

struct EngineSetup {
    EngineSettings settings;
    std::vector<LinkSpec> links;
};

EngineSetup engineSetupFrom(const SyncConfig& config);

// From Userspace: conntrackd's ct_filter_check: protocol, then address (the original and
// the reply source, so both real endpoints), then TCP state; each part Accept or Ignore.
// From Kernelspace: what conntrackd's kernel program (nfct_filter) lets through, which is
// not the same (docs/compat.md): the original source and the original destination must
// each pass the address part, each against the prefixes of its own family; an event
// without an IPv4 address is not listed by IPv4 prefixes, one without an IPv6 address is
// not checked against IPv6 prefixes; an empty list filters nothing. ctd's BPF program
// (nl::buildEventBpf(eventBpfSpecOf(filter))) gives the same verdict on every event, and
// this rule is also applied in userspace, to events and to dumps alike.
bool filterAccepts(const EventFilter& filter, const Entry& entry);

// The General Filter as the event socket's BPF program's input.
nl::EventBpfSpec eventBpfSpecOf(const EventFilter& filter);

} // namespace ctd::sync
