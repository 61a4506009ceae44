// Turns an entry a peer sent into one the kernel accepts on create, the way conntrackd's
// commit does (nl_create_conntrack): reply tuple derived from the original, status bits the
// kernel refuses cleared, TCP window tracking relaxed unless TCPWindowTracking is on.
// (The reply tuple: replyTupleOf, sync/wire/sync_wire.hpp.)
#pragma once

#include "entry.hpp"

#include <cstdint>

namespace ctd::sync {

struct CommitSettings {
    uint32_t commitTimeout = 0; // 0: the entry's own timeout, less the time it waited
    bool tcpWindowTracking = false;
};

// ageSeconds: how long the entry sat in the external cache since its last update.
Entry prepareForCommit(const Entry& received, const CommitSettings& settings, uint64_t ageSeconds);

} // namespace ctd::sync
