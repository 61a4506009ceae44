#include "bus_client.hpp"

namespace ctd::ctl {

namespace {
constexpr std::chrono::minutes kLongTimeout{10};
constexpr std::chrono::seconds kShortTimeout{25};
} // namespace

BusClient::BusClient() : bus_(sdbus::createSystemBusConnection())
{
    bus_->setMethodCallTimeout(kShortTimeout);
}

TableProxy& BusClient::table()
{
    if (!table_)
        table_ = std::make_unique<TableProxy>(*bus_, "/org/netfilter/Conntrack1/Table");
    return *table_;
}

ExpectationsProxy& BusClient::expectations()
{
    if (!expectations_)
        expectations_ =
            std::make_unique<ExpectationsProxy>(*bus_, "/org/netfilter/Conntrack1/Expectations");
    return *expectations_;
}

StatsProxy& BusClient::stats()
{
    if (!stats_)
        stats_ = std::make_unique<StatsProxy>(*bus_, "/org/netfilter/Conntrack1/Stats");
    return *stats_;
}

ManagerProxy& BusClient::manager()
{
    if (!manager_)
        manager_ = std::make_unique<ManagerProxy>(*bus_, "/org/netfilter/Conntrack1");
    return *manager_;
}

CachesProxy& BusClient::caches()
{
    if (!caches_)
        caches_ = std::make_unique<CachesProxy>(*bus_, "/org/netfilter/Conntrack1/Caches");
    return *caches_;
}

std::unique_ptr<LinkProxy> BusClient::link(unsigned index)
{
    return std::make_unique<LinkProxy>(*bus_,
                                       "/org/netfilter/Conntrack1/Links/" + std::to_string(index));
}

void BusClient::longCalls(bool on)
{
    if (on)
        bus_->setMethodCallTimeout(kLongTimeout);
    else
        bus_->setMethodCallTimeout(kShortTimeout);
}

} // namespace ctd::ctl
