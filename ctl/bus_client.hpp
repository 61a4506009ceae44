// ctctl's connection to org.netfilter.Conntrack1: the system bus (DBUS_SYSTEM_BUS_ADDRESS
// honoured) and one proxy per object, generated from interfaces/ at build time.
#pragma once

#include "caches_proxy_glue.h"
#include "expectations_proxy_glue.h"
#include "link_proxy_glue.h"
#include "manager_proxy_glue.h"
#include "stats_proxy_glue.h"
#include "table_proxy_glue.h"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <memory>
#include <string>

namespace ctd::ctl {

inline constexpr const char* kBusName = "org.netfilter.Conntrack1";

template <typename... Glue>
class Proxy : public sdbus::ProxyInterfaces<Glue...> {
public:
    Proxy(sdbus::IConnection& bus, const std::string& path)
        : sdbus::ProxyInterfaces<Glue...>(bus, kBusName, path)
    {
        this->registerProxy();
    }
    ~Proxy() { this->unregisterProxy(); }
};

using TableProxy = Proxy<org::netfilter::Conntrack1::Table_proxy>;
using ExpectationsProxy = Proxy<org::netfilter::Conntrack1::Expectations_proxy>;
using StatsProxy = Proxy<org::netfilter::Conntrack1::Stats_proxy>;
using ManagerProxy = Proxy<org::netfilter::Conntrack1::Manager_proxy>;
using CachesProxy = Proxy<org::netfilter::Conntrack1::Caches_proxy>;

// Links are read whole with Properties.GetAll (one call instead of one per property).
class LinkProxy : public Proxy<org::netfilter::Conntrack1::Link_proxy, sdbus::Properties_proxy> {
public:
    using Proxy::Proxy;

private:
    // ctctl reads links once; change signals are of no use to it.
    void onPropertiesChanged(const std::string&, const std::map<std::string, sdbus::Variant>&,
                             const std::vector<std::string>&) override
    {
    }
};

class BusClient {
public:
    // Throws sdbus::Error when there is no system bus.
    BusClient();

    TableProxy& table();
    ExpectationsProxy& expectations();
    StatsProxy& stats();
    ManagerProxy& manager();
    // /org/netfilter/Conntrack1/Caches: exists only when ctd runs with a Sync section.
    CachesProxy& caches();
    // /org/netfilter/Conntrack1/Links/<n>; a new proxy each time (links are listed once).
    std::unique_ptr<LinkProxy> link(unsigned index);

    // docs/dbus-api.md: List, Delete, Flush, Load and Update on big tables take long; they
    // are called with a 10 minute timeout, everything else with the bus default (25 s).
    void longCalls(bool on);

private:
    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<TableProxy> table_;
    std::unique_ptr<ExpectationsProxy> expectations_;
    std::unique_ptr<StatsProxy> stats_;
    std::unique_ptr<ManagerProxy> manager_;
    std::unique_ptr<CachesProxy> caches_;
};

} // namespace ctd::ctl
