#include "expectation_table.hpp"

#include "ctnl_build.hpp"
#include "ctnl_parse.hpp"
#include "requests.hpp"

#include <cerrno>

namespace ctd::nl {

Result<uint64_t> ExpectationTable::dump(uint8_t family, const ExpectationSink& sink)
{
    NlWriter w;
    buildExpectationDump(w, family);
    uint64_t n = 0;
    auto r = requestEach(nl_, w, parseExpectation, [&](const Expectation& x) {
        ++n;
        return sink(x);
    });
    if (!r)
        return r.error();
    return n;
}

Result<Expectation> ExpectationTable::get(uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone)
{
    NlWriter w;
    if (auto r = buildExpectationGet(w, family, tuple, zone); !r)
        return r.error();
    return requestOne<Expectation>(nl_, w, parseExpectation, ENOENT,
                                   "expectation get: no expectation in the answer");
}

Result<void> ExpectationTable::create(const Expectation& x)
{
    NlWriter w;
    if (auto r = buildExpectationCreate(w, x); !r)
        return r;
    return requestAck(nl_, w);
}

Result<void> ExpectationTable::remove(const Expectation& x)
{
    NlWriter w;
    if (auto r = buildExpectationDelete(w, x.family, x.tuple, x.zone, x.id); !r)
        return r;
    return requestAck(nl_, w);
}

Result<void> ExpectationTable::flush(uint8_t family)
{
    NlWriter w;
    buildExpectationFlush(w, family);
    return requestAck(nl_, w);
}

} // namespace ctd::nl
