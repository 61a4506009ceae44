// org.netfilter.Conntrack1.Expectations: the Table object's twin over ExpectationBackend,
// without Update and Load; every method is table_object.hpp's.
#include "adaptors.hpp"
#include "table_object.hpp"

#include <string>

#include "expectations_adaptor_glue.h"

namespace ctd::dbus {

namespace {

class ExpectationsAdaptor final
    : public TableObject<org::netfilter::Conntrack1::Expectations_adaptor, ExpectationBackend, ExpectationArgs> {
public:
    ExpectationsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, ExpectationBackend& backend)
        : TableObject(bus, "/org/netfilter/Conntrack1/Expectations", ctx, backend, "Expectations")
    {
        registerAdaptor();
    }
    ~ExpectationsAdaptor() { unregisterAdaptor(); }

private:
    ExpectationArgs decodeTuple(const Map& dict, EntryUse use) const override
    {
        return decodeExpectation(dict, use);
    }

    // The expectation matcher knows family, protocol, the expected tuple's addresses and
    // ports, and the id (event_hub.cpp expectationMatches); conntrack's expectation
    // commands take no other filter either.
    void checkQuery(const QueryArgs& args) const override
    {
        const Query& q = args.query;
        const char* key = nullptr;
        if (q.replySrc || q.replyDst)
            key = "reply-src/reply-dst";
        else if (q.replySport || q.replyDport)
            key = "reply-sport/reply-dport";
        else if (q.icmpType || q.icmpCode || q.icmpId)
            key = "icmp-type/icmp-code/icmp-id";
        else if (q.zone || q.origZone || q.replyZone)
            key = "zone";
        else if (q.mark)
            key = "mark";
        else if (q.status || q.statusClear)
            key = "status";
        else if (q.state)
            key = "state";
        else if (!q.labels.empty())
            key = "labels";
        else if (!q.nat.empty())
            key = "nat/snat/dnat";
        else if (q.secmark)
            key = "secmark";
        else if (q.zeroCounters)
            key = "zero-counters";
        if (key)
            throw invalidArgument(std::string(key) + ": not a filter of the expectation table");
    }
};

} // namespace

std::unique_ptr<AdaptorHandle> makeExpectationsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                ExpectationBackend& backend)
{
    return std::make_unique<AdaptorHolder<ExpectationsAdaptor>>(bus, ctx, backend);
}

} // namespace ctd::dbus
