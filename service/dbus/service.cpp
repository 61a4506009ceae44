#include "service.hpp"

#include "adaptor_support.hpp"
#include "adaptors.hpp"
#include "caller_cache.hpp"
#include "event_loop.hpp"
#include "log.hpp"
#include "polkit.hpp"

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-daemon.h>

namespace ctd::dbus {

namespace {

void notifyStatus(const std::string& status)
{
    sd_notify(0, ("STATUS=" + status).c_str());
}

} // namespace

int runService(const ServiceOptions& options, const BackendFactory& makeBackends)
{
    auto loop = EventLoop::create();
    if (!loop)
        return 1;
    ServiceBackends backends = makeBackends ? makeBackends(*loop) : ServiceBackends{};
    if (!backends.fatal.empty()) {
        log::error(backends.fatal);
        return 1;
    }
    bool stopping = false;
    auto stop = [&](const char* why) {
        if (stopping)
            return;
        stopping = true;
        log::info(std::string("stopping: ") + why);
        sd_notify(0, "STOPPING=1");
        notifyStatus(std::string("Stopping (") + why + ")");
        loop->exit(0);
    };
    if (!loop->handleSignals([&] { stop("signal"); },
                             [&] {
                                 log::info("SIGHUP: reloading configuration");
                                 if (backends.reload)
                                     backends.reload();
                             }))
        return 1;

    std::unique_ptr<sdbus::IConnection> bus;
    try {
        bus = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
        log::error("cannot connect to the system bus: " + e.getMessage());
        return 1;
    }
    if (!loop->attachBus(*bus))
        return 1;

    int status = 1;
    {
        CallerCache callers(*bus);
        Authorizer authorizer(*bus, callers, options.polkitTimeout);
        AdaptorContext ctx{*loop, authorizer,
                           options.labelMap.empty() ? LabelResolver{}
                                                    : fileLabelResolver(options.labelMap)};
        std::vector<std::unique_ptr<AdaptorHandle>> objects;
        std::vector<std::unique_ptr<LinkObject>> links;
        try {
            objects.push_back(makeManagerAdaptor(
                *bus, ctx, ManagerHooks{backends.features, [&] { stop("Manager.Stop"); }}));
            objects.push_back(makeTableAdaptor(*bus, ctx, *backends.table));
            objects.push_back(makeExpectationsAdaptor(*bus, ctx, *backends.expectations));
            objects.push_back(makeStatsAdaptor(*bus, ctx, *backends.stats, backends.flows.get()));
            if (backends.sync) {
                objects.push_back(makeCachesAdaptor(*bus, ctx, *backends.sync));
                for (size_t i = 0; i < backends.sync->engine().channelCount(); ++i)
                    links.push_back(makeLinkAdaptor(*bus, ctx, *backends.sync, i));
                backends.sync->onLinksChanged = [&links] {
                    for (auto& link : links)
                        link->refresh();
                };
            }
            // Objects first, name last: a call that activated us must find them in place.
            bus->requestName(busName);
        } catch (const sdbus::Error& e) {
            log::error("cannot serve " + std::string(busName) + ": " + e.getName() + ": " +
                       e.getMessage());
            return 1;
        }

        const auto idleUsec = options.idleTimeoutSec * 1000000u;
        loop->setIdleExit(
            idleUsec, [&] { return !(backends.syncConfigured && backends.syncConfigured()); },
            [&] {
                // Give the name back before leaving, so the next call starts a new instance
                // by activation instead of being routed to one that is going away.
                try {
                    bus->releaseName(busName);
                } catch (const sdbus::Error& e) {
                    log::warning("releasing the bus name: " + e.getMessage());
                }
                stop("idle");
            });

        log::info("serving " + std::string(busName) +
                  (idleUsec ? "; idle exit after " + std::to_string(options.idleTimeoutSec) + " s"
                            : std::string("; no idle exit")));
        sd_notify(0, "READY=1");
        notifyStatus("Serving " + std::string(busName));
        status = loop->run();
        if (backends.sync)
            backends.sync->onLinksChanged = nullptr;
        links.clear();
        objects.clear();
    }
    loop->detachBus();
    try {
        // Whatever replies are still queued (Stop's own) go out before we hang up.
        bus->processPendingRequest();
    } catch (const sdbus::Error&) {
    }
    bus.reset();
    return status;
}

} // namespace ctd::dbus
