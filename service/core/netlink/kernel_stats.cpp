#include "kernel_stats.hpp"

#include "ctnl_build.hpp"
#include "ctnl_parse.hpp"
#include "requests.hpp"

#include <cerrno>

namespace ctd::nl {

namespace {

template <typename T, typename Parse>
Result<std::vector<T>> collect(NetlinkTransport& nl, const NlWriter& w, Parse parse)
{
    std::vector<T> out;
    auto r = requestEach(nl, w, parse, [&](const T& s) {
        out.push_back(s);
        return true;
    });
    if (!r)
        return r.error();
    return out;
}

} // namespace

Result<GlobalStats> KernelStats::global()
{
    NlWriter w;
    buildConntrackCount(w);
    auto all = collect<GlobalStats>(nl_, w, parseGlobalStats);
    if (!all)
        return all.error();
    if (all->empty())
        return makeError(EBADMSG, "conntrack count: no answer");
    return all->front();
}

Result<std::vector<CpuStats>> KernelStats::perCpu()
{
    NlWriter w;
    buildConntrackCpuStats(w);
    return collect<CpuStats>(nl_, w, parseCpuStats);
}

Result<std::vector<ExpectCpuStats>> KernelStats::expectPerCpu()
{
    NlWriter w;
    buildExpectationCpuStats(w);
    return collect<ExpectCpuStats>(nl_, w, parseExpectCpuStats);
}

} // namespace ctd::nl
