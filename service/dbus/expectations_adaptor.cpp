// org.netfilter.Conntrack1.Expectations: the Table object's twin over ExpectationBackend,
// without Update and Load; every method is table_object.hpp's.
#include "adaptors.hpp"
#include "table_object.hpp"

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
};

} // namespace

std::unique_ptr<AdaptorHandle> makeExpectationsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                ExpectationBackend& backend)
{
    return std::make_unique<AdaptorHolder<ExpectationsAdaptor>>(bus, ctx, backend);
}

} // namespace ctd::dbus
