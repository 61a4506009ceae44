// Model to bytes: appends ctnetlink requests to an NlWriter. Pure functions, mirroring
// ctnl_parse.hpp. Every builder that could delete refuses input that would make the
// kernel flush more than asked for: a delete needs a complete tuple, a filtered delete a
// selective KernelFilter, and only buildConntrackFlush() sends an unfiltered flush.
#pragma once

#include "entry.hpp"
#include "kernel_filter.hpp"
#include "nl_writer.hpp"
#include "query.hpp"
#include "result.hpp"

#include <cstdint>
#include <optional>

namespace ctd::nl {

// Checks that a tuple names exactly one connection direction (both addresses of one
// family, a protocol, and the layer 4 fields that protocol's kernel parser requires).
Result<void> validateFullTuple(const Tuple& t, uint8_t family, const char* what);

void putTuple(NlWriter& w, uint16_t nestType, const Tuple& t);

// --- conntrack ---
// exclusive false: create, or update the entry when it exists (conntrack -A, -R).
Result<void> buildConntrackCreate(NlWriter& w, const Entry& e, bool exclusive = true);
Result<void> buildConntrackUpdate(NlWriter& w, const Entry& e);
Result<void> buildConntrackGet(NlWriter& w, uint8_t family, const Tuple& orig, std::optional<uint16_t> zone);
// id guards against deleting a newer connection that reused the tuple.
Result<void> buildConntrackDelete(NlWriter& w, uint8_t family, const Tuple& orig, std::optional<uint16_t> zone,
                                  std::optional<uint32_t> id);
Result<void> buildConntrackDump(NlWriter& w, TableKind table, const KernelFilter& f, bool zeroCounters);
Result<void> buildConntrackFilteredDelete(NlWriter& w, const KernelFilter& f);
// family 0 = every family. Sent as NFNETLINK_V1 so a concrete family is honoured.
void buildConntrackFlush(NlWriter& w, uint8_t family);
void buildConntrackCount(NlWriter& w);
void buildConntrackCpuStats(NlWriter& w);

// --- expectations ---
Result<void> buildExpectationCreate(NlWriter& w, const Expectation& x);
Result<void> buildExpectationGet(NlWriter& w, uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone);
Result<void> buildExpectationDelete(NlWriter& w, uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone,
                                    std::optional<uint32_t> id);
void buildExpectationDump(NlWriter& w, uint8_t family);
void buildExpectationFlush(NlWriter& w, uint8_t family);
void buildExpectationCpuStats(NlWriter& w);

} // namespace ctd::nl
