// StatsBackend over ctcore's KernelStats: conntrack -S per CPU, and the global numbers.
// Single requests on the loop's socket: the kernel answers them without walking a table.
#include "core_backends_impl.hpp"

#include "netlink/expectation_table.hpp"
#include "netlink/kernel_stats.hpp"

#include <algorithm>

namespace ctd::dbus {

namespace {

class CoreStatsBackend final : public StatsBackend {
public:
    explicit CoreStatsBackend(std::shared_ptr<CoreShared> shared) : shared_(std::move(shared)) {}

    ctd::Result<std::vector<Counters>> kernelPerCpu() override
    {
        auto cpus = nl::KernelStats(*shared_->socket).perCpu();
        if (!cpus)
            return cpus.error();
        std::vector<Counters> out;
        for (const auto& c : *cpus) {
            Counters m{{"cpu", c.cpu}};
            // conntrack -S's names (conntrack.c, nfct_stats); fields this kernel no
            // longer sends stay out, as conntrack leaves them out.
            auto put = [&m](const char* name, const std::optional<uint32_t>& v) {
                if (v)
                    m[name] = *v;
            };
            put("searched", c.searched);
            put("found", c.found);
            put("new", c.newCount);
            put("invalid", c.invalid);
            put("ignore", c.ignore);
            put("delete", c.deleted);
            put("delete_list", c.deleteList);
            put("insert", c.insert);
            put("insert_failed", c.insertFailed);
            put("drop", c.drop);
            put("early_drop", c.earlyDrop);
            put("error", c.error);
            put("search_restart", c.searchRestart);
            put("clash_resolve", c.clashResolve);
            put("chaintoolong", c.chainTooLong);
            out.push_back(std::move(m));
        }
        // conntrack -S expect's counters, under its names, in the same per-CPU maps.
        if (auto expect = nl::KernelStats(*shared_->socket).expectPerCpu()) {
            for (const auto& x : *expect) {
                auto it = std::find_if(out.begin(), out.end(), [&x](const Counters& m) {
                    return m.at("cpu") == x.cpu;
                });
                if (it == out.end())
                    it = out.insert(out.end(), Counters{{"cpu", x.cpu}});
                if (x.newCount)
                    (*it)["expect_new"] = *x.newCount;
                if (x.create)
                    (*it)["expect_create"] = *x.create;
                if (x.deleted)
                    (*it)["expect_delete"] = *x.deleted;
            }
        }
        return out;
    }

    ctd::Result<Counters> kernelGlobal() override
    {
        auto g = nl::KernelStats(*shared_->socket).global();
        if (!g)
            return g.error();
        Counters m{{"entries", g->entries}};
        if (g->maxEntries)
            m["max"] = *g->maxEntries;
        else if (auto max = sysctlNumber("nf_conntrack_max"))
            m["max"] = *max;
        nl::ExpectationTable expectations(*shared_->socket);
        if (auto n = expectations.dump(0, [](const Expectation&) { return true; }))
            m["expectations"] = *n;
        if (auto max = sysctlNumber("nf_conntrack_expect_max"))
            m["expect_max"] = *max;
        return m;
    }

private:
    std::shared_ptr<CoreShared> shared_;
};

} // namespace

ctd::Result<uint64_t> kernelMaxEntries(CoreShared& shared)
{
    if (auto g = nl::KernelStats(*shared.socket).global(); g && g->maxEntries)
        return uint64_t(*g->maxEntries);
    return sysctlNumber("nf_conntrack_max");
}

std::unique_ptr<StatsBackend> makeCoreStatsBackend(std::shared_ptr<CoreShared> shared)
{
    return std::make_unique<CoreStatsBackend>(std::move(shared));
}

ctd::Result<CoreBackends> makeCoreBackends(EventLoop& loop, const CoreOptions& options)
{
    std::shared_ptr<const LabelMap> labels;
    if (!options.labelMapPath.empty()) {
        if (auto map = LabelMap::load(options.labelMapPath))
            labels = std::make_shared<const LabelMap>(std::move(*map));
    }
    auto socket = nl::MnlSocket::open();
    if (!socket)
        return socket.error();
    auto events = EventHub::create(loop, labels, options.eventReceiveBuffer);
    if (!events)
        return events.error();
    auto shared = std::shared_ptr<CoreShared>(
        new CoreShared{loop, labels, std::move(*socket), std::move(*events)});
    CoreBackends b;
    b.table = makeCoreTableBackend(shared);
    b.expectations = makeCoreExpectationBackend(shared);
    b.stats = makeCoreStatsBackend(shared);
    return b;
}

} // namespace ctd::dbus
