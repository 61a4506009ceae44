#include "engine_config.hpp"

#include <algorithm>
#include <netinet/in.h>

namespace ctd::sync {
namespace {

bool inPrefix(const Prefix& p, const Address& a)
{
    if (p.address.family != a.family || a.family == 0)
        return false;
    unsigned bits = p.length;
    for (size_t i = 0; bits > 0; ++i) {
        unsigned take = std::min(bits, 8u);
        uint8_t mask = static_cast<uint8_t>(0xff << (8 - take));
        if ((p.address.bytes[i] & mask) != (a.bytes[i] & mask))
            return false;
        bits -= take;
    }
    return true;
}

bool policyPasses(FilterPolicy policy, bool matched)
{
    return policy == FilterPolicy::Accept ? matched : !matched;
}

LinkKind linkKind(ChannelKind kind)
{
    switch (kind) {
    case ChannelKind::Udp: return LinkKind::Udp;
    case ChannelKind::Tcp: return LinkKind::Tcp;
    case ChannelKind::Multicast: break;
    }
    return LinkKind::Multicast;
}

LinkSpec linkSpecOf(const Channel& c)
{
    LinkSpec s;
    s.kind = linkKind(c.kind);
    s.family = c.family();
    if (c.address)
        s.address = c.address->bytes;
    if (c.kind == ChannelKind::Multicast) {
        if (c.interfaceAddress) {
            s.peer = c.interfaceAddress->bytes;
            s.peerSet = true;
        }
    } else if (c.destination) {
        s.peer = c.destination->bytes;
        s.peerSet = true;
    }
    s.port = c.port;
    s.interface = c.interfaceName;
    s.sndBuf = c.sndBuffer ? static_cast<int>(std::min<uint32_t>(*c.sndBuffer, 1u << 30)) : 0;
    s.rcvBuf = c.rcvBuffer ? static_cast<int>(std::min<uint32_t>(*c.rcvBuffer, 1u << 30)) : 0;
    s.checksum = c.checksum;
    s.isDefault = c.isDefault;
    return s;
}

bool listedIn(const std::vector<Prefix>& prefixes, const Address& a)
{
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const Prefix& p) { return inPrefix(p, a); });
}

bool statePasses(const StateFilter& filter, uint8_t tcpState)
{
    const auto state = static_cast<TcpState>(tcpState);
    const bool listed = std::find(filter.tcpStates.begin(), filter.tcpStates.end(), state) != filter.tcpStates.end();
    return policyPasses(filter.policy, listed);
}

bool kernelspaceAccepts(const EventFilter& f, const Entry& e)
{
    if (f.protocol && !f.protocol->protocols.empty() && e.orig.protocol) {
        bool listed = std::find(f.protocol->protocols.begin(), f.protocol->protocols.end(), *e.orig.protocol) !=
                      f.protocol->protocols.end();
        if (!policyPasses(f.protocol->policy, listed))
            return false;
    }
    if (f.address && !f.address->prefixes.empty()) {
        // The original source and destination, each against the prefixes of its own
        // family (event_bpf.cpp's emitAddresses).
        for (const Address* a : {&e.orig.src, &e.orig.dst})
            if (!policyPasses(f.address->policy, listedIn(f.address->prefixes, *a)))
                return false;
    }
    if (f.state && !f.state->tcpStates.empty() && e.tcp && e.tcp->state) {
        if (!statePasses(*f.state, *e.tcp->state))
            return false;
    }
    return true;
}

} // namespace

nl::EventBpfSpec eventBpfSpecOf(const EventFilter& f)
{
    nl::EventBpfSpec spec;
    if (!f.present)
        return spec;
    if (f.protocol)
        spec.protocols = nl::EventBpfSpec::Values{f.protocol->policy == FilterPolicy::Accept, f.protocol->protocols};
    if (f.address) {
        spec.addresses.emplace();
        spec.addresses->accept = f.address->policy == FilterPolicy::Accept;
        for (const Prefix& p : f.address->prefixes)
            spec.addresses->prefixes.push_back(nl::EventBpfPrefix{p.address, p.length});
    }
    if (f.state) {
        spec.tcpStates.emplace();
        spec.tcpStates->accept = f.state->policy == FilterPolicy::Accept;
        for (TcpState s : f.state->tcpStates)
            spec.tcpStates->values.push_back(static_cast<uint8_t>(s));
    }
    return spec;
}

bool filterAccepts(const EventFilter& f, const Entry& e)
{
    if (!f.present)
        return true;
    if (f.from == FilterFrom::Kernelspace)
        return kernelspaceAccepts(f, e);
    if (f.protocol) {
        const uint8_t proto = e.orig.protocol.value_or(0);
        bool listed = std::find(f.protocol->protocols.begin(), f.protocol->protocols.end(), proto) !=
                      f.protocol->protocols.end();
        if (!policyPasses(f.protocol->policy, listed))
            return false;
    }
    if (f.address) {
        bool listed = false;
        for (const Prefix& p : f.address->prefixes)
            if (inPrefix(p, e.orig.src) || inPrefix(p, e.reply.src)) {
                listed = true;
                break;
            }
        if (!policyPasses(f.address->policy, listed))
            return false;
    }
    if (f.state && e.orig.protocol == IPPROTO_TCP && e.tcp && e.tcp->state) {
        if (!statePasses(*f.state, *e.tcp->state))
            return false;
    }
    return true;
}

EngineSetup engineSetupFrom(const SyncConfig& config)
{
    EngineSetup setup;
    EngineSettings& s = setup.settings;
    const SyncSettings& sync = config.sync;
    s.mode = sync.mode;
    s.cacheLimit = config.general.hashLimit;
    s.resendQueueSize = sync.resendQueueSize;
    s.ackWindow = sync.ackWindowSize;
    s.internalCacheDisabled = sync.mode == SyncMode::Notrack && sync.disableInternalCache;
    s.externalCacheDisabled = sync.disableExternalCache;
    s.startupResync = sync.startupResync;
    s.refreshTimeSec = sync.refreshTime;
    s.cacheTimeoutSec = sync.cacheTimeout;
    s.purgeTimeoutSec = sync.purgeTimeout;
    s.commit.commitTimeout = sync.commitTimeout.value_or(0);
    s.commit.tcpWindowTracking = sync.tcpWindowTracking;
    s.expectationSync = sync.expectationSync != ExpectationSync::Off;
    if (sync.expectationSync == ExpectationSync::Listed)
        s.expectationHelpers = sync.expectationHelpers;
    if (config.general.filter.present) {
        EventFilter filter = config.general.filter;
        s.accept = [filter](const Entry& e) { return filterAccepts(filter, e); };
    }
    for (size_t i = 0; i < sync.channels.size(); ++i) {
        LinkSpec spec = linkSpecOf(sync.channels[i]);
        spec.isDefault = i == sync.defaultChannel;
        setup.links.push_back(spec);
    }
    return setup;
}

} // namespace ctd::sync
