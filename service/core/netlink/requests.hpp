// Internal to the operations above the transport (conntrack_table, expectation_table,
// kernel_stats): the request shapes they share, so each operation only says what it builds
// and how its answer parses.
#pragma once

#include "nl_writer.hpp"
#include "result.hpp"
#include "socket.hpp"

#include <optional>
#include <utility>

namespace ctd::nl {

// A change (create, update, delete, flush): the kernel answers with its acknowledgement
// only, which request() turns into the Result.
inline Result<void> requestAck(NetlinkTransport& nl, const NlWriter& w)
{
    return nl.request(w.bytes(), [](ByteView) { return true; });
}

// A get: the answer is one message, parsed with parse. An answer without a message (only
// the acknowledgement) is the error missingCode / missingText; a transport or kernel error
// comes first, then that, then a parse failure.
template <typename T, typename Parse>
Result<T> requestOne(NetlinkTransport& nl, const NlWriter& w, Parse parse, int missingCode,
                     const char* missingText)
{
    std::optional<Result<T>> found;
    auto r = nl.request(w.bytes(), [&](ByteView m) {
        found = parse(m);
        return true;
    });
    if (!r)
        return r.error();
    if (!found)
        return makeError(missingCode, missingText);
    return std::move(*found);
}

// A dump whose every message must parse: each parsed value goes to visit (false stops);
// the first message that does not parse stops the dump and is the error, unless the
// transport or the kernel failed first.
template <typename Parse, typename Visit>
Result<void> requestEach(NetlinkTransport& nl, const NlWriter& w, Parse parse, Visit visit)
{
    std::optional<Error> bad;
    auto r = nl.request(w.bytes(), [&](ByteView m) {
        auto x = parse(m);
        if (!x) {
            bad = x.error();
            return false;
        }
        return visit(*x);
    });
    if (!r)
        return r.error();
    if (bad)
        return *bad;
    return {};
}

} // namespace ctd::nl
