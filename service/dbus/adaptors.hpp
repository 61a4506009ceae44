// Factories of the bus objects. The adaptor classes live in their .cpp files so only those
// include the generated glue.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sdbus {
class IConnection;
}

namespace ctd::sync {
class SyncRuntime;
class FlowLogger;
}

namespace ctd::dbus {

struct AdaptorContext;
class TableBackend;
class ExpectationBackend;
class StatsBackend;

class AdaptorHandle {
public:
    virtual ~AdaptorHandle() = default;
};

template <typename T>
class AdaptorHolder final : public AdaptorHandle {
public:
    template <typename... Args>
    explicit AdaptorHolder(Args&&... args) : adaptor_(std::forward<Args>(args)...) {}

private:
    T adaptor_;
};

struct ManagerHooks {
    std::vector<std::string> features;
    // Called after Stop's reply is sent.
    std::function<void()> stop;
};

std::unique_ptr<AdaptorHandle> makeManagerAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                  ManagerHooks hooks);
std::unique_ptr<AdaptorHandle> makeTableAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                TableBackend& backend);
std::unique_ptr<AdaptorHandle> makeExpectationsAdaptor(sdbus::IConnection& bus,
                                                       AdaptorContext& ctx,
                                                       ExpectationBackend& backend);
// flows: the Stats mode's flow logger (GetFlowStatistics), null without it.
std::unique_ptr<AdaptorHandle> makeStatsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                StatsBackend& backend, const sync::FlowLogger* flows = nullptr);
// The sync engine's objects, present only with a Sync configuration.
std::unique_ptr<AdaptorHandle> makeCachesAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                 sync::SyncRuntime& runtime);
// A Link emits PropertiesChanged for Up/Active when refresh() finds them changed.
class LinkObject {
public:
    virtual ~LinkObject() = default;
    virtual void refresh() = 0;
};
std::unique_ptr<LinkObject> makeLinkAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                            sync::SyncRuntime& runtime, size_t index);

} // namespace ctd::dbus
