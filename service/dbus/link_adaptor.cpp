// org.netfilter.Conntrack1.Link at /org/netfilter/Conntrack1/Links/<n>: one sync channel,
// properties only. Up and Active change on carrier events and failover.
#include "adaptor_support.hpp"
#include "adaptors.hpp"

#include "link_adaptor_glue.h"
#include "sync_runtime.hpp"

#include <arpa/inet.h>

namespace ctd::dbus {

namespace {

std::string addressText(int family, const std::array<uint8_t, 16>& a, bool set)
{
    if (!set)
        return {};
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(family, a.data(), text, sizeof text);
    return text;
}

class LinkAdaptor final : public sdbus::AdaptorInterfaces<org::netfilter::Conntrack1::Link_adaptor>,
                          public LinkObject {
public:
    LinkAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, sync::SyncRuntime& rt, size_t index)
        : AdaptorInterfaces(bus, "/org/netfilter/Conntrack1/Links/" + std::to_string(index)), ctx_(ctx), rt_(rt),
          index_(index), up_(Up()), active_(Active())
    {
        registerAdaptor();
    }
    ~LinkAdaptor() { unregisterAdaptor(); }

    void refresh() override
    {
        std::vector<std::string> changed;
        if (Up() != up_)
            changed.push_back("Up");
        if (Active() != active_)
            changed.push_back("Active");
        up_ = Up();
        active_ = Active();
        if (changed.empty())
            return;
        try {
            getObject().emitPropertiesChangedSignal(INTERFACE_NAME, changed);
        } catch (const sdbus::Error& e) {
            log::warning("Link PropertiesChanged: " + e.getMessage());
        }
    }

private:
    const sync::LinkSpec& spec() { return rt_.engine().channel(index_).spec(); }

    std::string Name() override { return rt_.engine().channel(index_).describe(); }
    std::string Kind() override
    {
        switch (spec().kind) {
        case sync::LinkKind::Udp: return "udp";
        case sync::LinkKind::Tcp: return "tcp";
        case sync::LinkKind::Multicast: break;
        }
        return "multicast";
    }
    std::string Interface() override { return spec().interface; }
    std::string LocalAddress() override { return addressText(spec().family, spec().address, true); }
    std::string PeerAddress() override { return addressText(spec().family, spec().peer, spec().peerSet); }
    uint16_t Port() override { return spec().port; }
    bool Up() override { return rt_.engine().channelUp(index_); }
    bool Active() override { return rt_.engine().activeChannel() == index_; }
    std::map<std::string, uint64_t> Counters() override
    {
        const sync::LinkCounters& c = rt_.engine().channel(index_).counters();
        return {{"bytes_sent", c.bytesSent},           {"bytes_received", c.bytesReceived},
                {"datagrams_sent", c.datagramsSent},   {"datagrams_received", c.datagramsReceived},
                {"send_errors", c.sendErrors},         {"receive_errors", c.receiveErrors}};
    }

    AdaptorContext& ctx_;
    sync::SyncRuntime& rt_;
    size_t index_;
    bool up_;
    bool active_;
};

} // namespace

std::unique_ptr<LinkObject> makeLinkAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                            sync::SyncRuntime& runtime, size_t index)
{
    return std::make_unique<LinkAdaptor>(bus, ctx, runtime, index);
}

} // namespace ctd::dbus
