// ctctl's connection to org.netfilter.Conntrack1: the system bus (DBUS_SYSTEM_BUS_ADDRESS
// honoured) and one proxy per object, generated from interfaces/ at build time.
#pragma once

#include "expectations_proxy_glue.h"
#include "manager_proxy_glue.h"
#include "stats_proxy_glue.h"
#include "table_proxy_glue.h"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <memory>

namespace ctd::ctl {

inline constexpr const char* kBusName = "org.netfilter.Conntrack1";

template <typename Glue>
class Proxy : public sdbus::ProxyInterfaces<Glue> {
public:
    Proxy(sdbus::IConnection& bus, const char* path)
        : sdbus::ProxyInterfaces<Glue>(bus, kBusName, path)
    {
        this->registerProxy();
    }
    ~Proxy() { this->unregisterProxy(); }
};

using TableProxy = Proxy<org::netfilter::Conntrack1::Table_proxy>;
using ExpectationsProxy = Proxy<org::netfilter::Conntrack1::Expectations_proxy>;
using StatsProxy = Proxy<org::netfilter::Conntrack1::Stats_proxy>;
using ManagerProxy = Proxy<org::netfilter::Conntrack1::Manager_proxy>;

class BusClient {
public:
    // Throws sdbus::Error when there is no system bus.
    BusClient();

    TableProxy& table();
    ExpectationsProxy& expectations();
    StatsProxy& stats();
    ManagerProxy& manager();

    // docs/dbus-api.md: List, Delete, Flush, Load and Update on big tables take long; they
    // are called with a 10 minute timeout, everything else with the bus default (25 s).
    void longCalls(bool on);

private:
    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<TableProxy> table_;
    std::unique_ptr<ExpectationsProxy> expectations_;
    std::unique_ptr<StatsProxy> stats_;
    std::unique_ptr<ManagerProxy> manager_;
};

} // namespace ctd::ctl
