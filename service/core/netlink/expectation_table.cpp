#include "expectation_table.hpp"

#include "ctnl_build.hpp"
#include "ctnl_parse.hpp"

#include <cerrno>

namespace ctd::nl {

namespace {

Result<void> ack(NetlinkTransport& nl, const NlWriter& w)
{
    return nl.request(w.bytes(), [](ByteView) { return true; });
}

} // namespace

Result<uint64_t> ExpectationTable::dump(uint8_t family, const ExpectationSink& sink)
{
    NlWriter w;
    buildExpectationDump(w, family);
    uint64_t n = 0;
    std::optional<Error> bad;
    auto r = nl_.request(w.bytes(), [&](ByteView m) {
        auto x = parseExpectation(m);
        if (!x) {
            bad = x.error();
            return false;
        }
        ++n;
        return sink(*x);
    });
    if (!r)
        return r.error();
    if (bad)
        return *bad;
    return n;
}

Result<Expectation> ExpectationTable::get(uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone)
{
    NlWriter w;
    if (auto r = buildExpectationGet(w, family, tuple, zone); !r)
        return r.error();
    std::optional<Result<Expectation>> found;
    auto r = nl_.request(w.bytes(), [&](ByteView m) {
        found = parseExpectation(m);
        return true;
    });
    if (!r)
        return r.error();
    if (!found)
        return makeError(ENOENT, "expectation get: no expectation in the answer");
    return std::move(*found);
}

Result<void> ExpectationTable::create(const Expectation& x)
{
    NlWriter w;
    if (auto r = buildExpectationCreate(w, x); !r)
        return r;
    return ack(nl_, w);
}

Result<void> ExpectationTable::remove(const Expectation& x)
{
    NlWriter w;
    if (auto r = buildExpectationDelete(w, x.family, x.tuple, x.zone, x.id); !r)
        return r;
    return ack(nl_, w);
}

Result<void> ExpectationTable::flush(uint8_t family)
{
    NlWriter w;
    buildExpectationFlush(w, family);
    return ack(nl_, w);
}

} // namespace ctd::nl
