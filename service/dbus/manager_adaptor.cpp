// org.netfilter.Conntrack1.Manager (+ ObjectManager) at /org/netfilter/Conntrack1.
#include "adaptor_support.hpp"
#include "adaptors.hpp"

#include "ctd_config.h"
#include "manager_adaptor_glue.h"

namespace ctd::dbus {

namespace {

class ManagerAdaptor final
    : public sdbus::AdaptorInterfaces<org::netfilter::Conntrack1::Manager_adaptor,
                                      sdbus::ObjectManager_adaptor> {
public:
    ManagerAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, ManagerHooks hooks)
        : AdaptorInterfaces(bus, "/org/netfilter/Conntrack1"), ctx_(ctx), hooks_(std::move(hooks))
    {
        registerAdaptor();
    }
    ~ManagerAdaptor() { unregisterAdaptor(); }

private:
    void Stop(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> options) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Manager.Stop");
        try {
            auto opts = decodeOptions(options);
            ctx_.authorizeThen(call, "control-sync", {}, opts.interactive, [this, call] {
                call->reply();
                // Leave from the next iteration so the reply is on its way first.
                if (hooks_.stop)
                    ctx_.loop.post(hooks_.stop);
            });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    // Property reads are calls too: they count as activity for idle exit.
    std::string Version() override
    {
        ctx_.loop.touch();
        return CTD_VERSION;
    }
    std::vector<std::string> Features() override
    {
        ctx_.loop.touch();
        return hooks_.features;
    }

    AdaptorContext& ctx_;
    ManagerHooks hooks_;
};

} // namespace

std::unique_ptr<AdaptorHandle> makeManagerAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                  ManagerHooks hooks)
{
    return std::make_unique<AdaptorHolder<ManagerAdaptor>>(bus, ctx, std::move(hooks));
}

} // namespace ctd::dbus
