// org.netfilter.Conntrack1.Stats: kernel counters from StatsBackend, service counters from
// ServiceCounters, and both as Prometheus text.
#include "adaptor_support.hpp"
#include "adaptors.hpp"
#include "backends.hpp"
#include "errors.hpp"
#include "flow_logger.hpp"
#include "sync_statistics.hpp"

#include "stats_adaptor_glue.h"

#include <algorithm>
#include <cerrno>

namespace ctd::dbus {

namespace {

Counters serviceCounterMap()
{
    const auto& c = serviceCounters();
    return {{"calls", c.calls}, {"errors", c.errors}, {"denied", c.denied},
            {"event_loss", c.eventLoss}, {"resyncs", c.resyncs}, {"streams", c.streams},
            {"stream_loss", c.streamLoss}};
}

std::string metricName(const std::string& prefix, const std::string& key)
{
    std::string name = prefix + key;
    for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_')
            ch = '_';
    }
    return name;
}

// Prometheus text exposition format 0.0.4: one TYPE line per family, then samples.
std::string renderMetrics(const std::vector<Counters>& perCpu, const Counters& global,
                          const Counters& service)
{
    std::string out;
    for (const auto& [key, value] : global) {
        auto name = metricName("ctd_conntrack_", key);
        out += "# TYPE " + name + " gauge\n" + name + " " + std::to_string(value) + "\n";
    }
    if (!perCpu.empty()) {
        for (const auto& [key, unused] : perCpu.front()) {
            if (key == "cpu")
                continue;
            auto name = metricName("ctd_conntrack_cpu_", key) + "_total";
            out += "# TYPE " + name + " counter\n";
            for (const auto& cpu : perCpu) {
                auto it = cpu.find(key);
                auto id = cpu.find("cpu");
                if (it == cpu.end())
                    continue;
                out += name + "{cpu=\"" + std::to_string(id == cpu.end() ? 0 : id->second) +
                    "\"} " + std::to_string(it->second) + "\n";
            }
        }
    }
    for (const auto& [key, value] : service) {
        const bool gauge = key == "streams";
        auto name = metricName("ctd_service_", key) + (gauge ? "" : "_total");
        out += "# TYPE " + name + (gauge ? " gauge\n" : " counter\n") + name + " " +
            std::to_string(value) + "\n";
    }
    return out;
}

class StatsAdaptor final : public sdbus::AdaptorInterfaces<org::netfilter::Conntrack1::Stats_adaptor> {
public:
    StatsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, StatsBackend& backend, const sync::FlowLogger* flows)
        : AdaptorInterfaces(bus, "/org/netfilter/Conntrack1/Stats"), ctx_(ctx), backend_(backend), flows_(flows)
    {
        registerAdaptor();
    }
    ~StatsAdaptor() { unregisterAdaptor(); }

private:
    void GetKernelPerCpu(sdbus::Result<std::vector<Counters>>&& result) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Stats.GetKernelPerCpu");
        ctx_.authorizeThen(call, "read-stats", {}, false, [this, call] {
            auto r = backend_.kernelPerCpu();
            r ? call->reply(*r) : call->fail(r.error());
        });
    }

    void GetKernelGlobal(sdbus::Result<Counters>&& result) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Stats.GetKernelGlobal");
        ctx_.authorizeThen(call, "read-stats", {}, false, [this, call] {
            auto r = backend_.kernelGlobal();
            r ? call->reply(*r) : call->fail(r.error());
        });
    }

    void GetService(sdbus::Result<Counters>&& result) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Stats.GetService");
        ctx_.authorizeThen(call, "read-stats", {}, false,
                           [call] { call->reply(serviceCounterMap()); });
    }

    void GetFlowStatistics(sdbus::Result<std::map<std::string, sdbus::Variant>>&& result,
                           std::string category) override
    {
        using VariantMap = std::map<std::string, sdbus::Variant>;
        ctx_.serve(getObject(), std::move(result), "Stats.GetFlowStatistics", [&](const CallPtr<VariantMap>& call) {
            static const char* known[] = {"", "network", "cache", "runtime", "link", "rsqueue", "queue", "ct", "expect"};
            if (std::find(std::begin(known), std::end(known), category) == std::end(known))
                throw invalidArgument("category: '" + category +
                                      "' is not one of network, cache, runtime, link, rsqueue, queue, ct, expect");
            if (!flows_)
                throw toDbusError(makeError(ENOTCONN, "ctd runs without Stats mode (no Stats section in its "
                                                      "conntrackd.conf, or a Sync section)"));
            return Authorized{"read-stats", category, false, [this, call, category] {
                auto stats = sync::collectFlowStatistics(*flows_, category);
                if (!stats) {
                    call->fail(stats.error());
                    return;
                }
                VariantMap out;
                for (const auto& [key, value] : *stats) {
                    if (const auto* n = std::get_if<uint64_t>(&value))
                        out.emplace(key, sdbus::Variant(*n));
                }
                call->reply(out);
            }};
        });
    }

    void Metrics(sdbus::Result<std::string>&& result) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Stats.Metrics");
        ctx_.authorizeThen(call, "read-stats", {}, false, [this, call] {
            // Kernel numbers are best effort here: a missing source must not hide the rest.
            auto perCpu = backend_.kernelPerCpu();
            auto global = backend_.kernelGlobal();
            call->reply(renderMetrics(perCpu ? *perCpu : std::vector<Counters>{},
                                      global ? *global : Counters{}, serviceCounterMap()));
        });
    }

    AdaptorContext& ctx_;
    StatsBackend& backend_;
    const sync::FlowLogger* flows_; // null without Stats mode
};

} // namespace

std::unique_ptr<AdaptorHandle> makeStatsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                StatsBackend& backend, const sync::FlowLogger* flows)
{
    return std::make_unique<AdaptorHolder<StatsAdaptor>>(bus, ctx, backend, flows);
}

} // namespace ctd::dbus
