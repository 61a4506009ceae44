// Whole-file checks of a Sync configuration: what conntrackd only finds out when it opens
// its sockets ("can't open channel socket"), or never, is refused here with file and line.
#include "sync/config/config_reader.hpp"

#include <sys/socket.h>

namespace ctd::sync {

namespace {

std::string channelWhere(const Channel& ch) {
    switch (ch.kind) {
    case ChannelKind::Multicast:
        return "Sync/Multicast";
    case ChannelKind::Udp:
        return "Sync/UDP";
    case ChannelKind::Tcp:
        return "Sync/TCP";
    }
    return "Sync";
}

std::string at(const Channel& ch) {
    return channelWhere(ch) + " block";
}

bool familiesAgree(const Channel& ch) {
    uint8_t family = ch.family();
    for (const auto* a : {&ch.address, &ch.destination, &ch.interfaceAddress})
        if (*a && (*a)->family != family)
            return false;
    return true;
}

bool validateMulticast(ConfigReader& reader, const Channel& ch) {
    if (!ch.address)
        return reader.fail(ch.line, at(ch) + " has no IPv4_address or IPv6_address (the "
                                             "multicast group to send to)");
    if (!isMulticast(*ch.address))
        return reader.fail(ch.line, at(ch) + ": " + formatAddress(*ch.address) +
                                        " is not a multicast address");
    if (ch.port == 0)
        return reader.fail(ch.line, at(ch) + " has no Group (the UDP port of the group)");
    if (ch.address->family == AF_INET6 && ch.interfaceName.empty())
        return reader.fail(ch.line, at(ch) + ": an IPv6 group needs Interface (it selects "
                                             "the link to join on)");
    return true;
}

bool validateUnicast(ConfigReader& reader, const Channel& ch) {
    const char* family = ch.family() == AF_INET6 ? "IPv6" : "IPv4";
    if (!ch.destination)
        return reader.fail(ch.line, at(ch) + " has no IPv4_Destination_Address or "
                                             "IPv6_Destination_Address (the peer)");
    if (isMulticast(*ch.destination))
        return reader.fail(ch.line, at(ch) + ": " + formatAddress(*ch.destination) +
                                        " is a multicast address; use a Multicast block");
    if (ch.port == 0)
        return reader.fail(ch.line, at(ch) + " has no Port");
    // A link-local peer is unreachable without a scope: conntrackd takes it from Interface.
    bool linkLocal =
        isIpv6LinkLocal(*ch.destination) || (ch.address && isIpv6LinkLocal(*ch.address));
    if (linkLocal && ch.interfaceName.empty())
        return reader.fail(ch.line, at(ch) + ": link-local " + family +
                                        " addresses need Interface (their scope)");
    return true;
}

} // namespace

bool validateSyncConfig(ConfigReader& reader, unsigned syncLine) {
    auto& sync = reader.config().sync;
    if (!sync.modeGiven)
        reader.notice(syncLine, "Mode", "no Mode given: FTFW, as conntrackd defaults to");
    if (sync.commitTimeout && sync.disableExternalCache) {
        // conntrackd: "`CommitTimeout' can't be combined with `DisableExternalCache',
        // ignoring this option" (there is no external cache to commit from)
        reader.notice(syncLine, "CommitTimeout",
                      "ignored: it cannot be combined with DisableExternalCache, as in "
                      "conntrackd");
        sync.commitTimeout.reset();
    }
    if (sync.channels.empty())
        return reader.fail(syncLine, "Sync section has no dedicated link (a Multicast, UDP or "
                                     "TCP block)");
    for (const auto& ch : sync.channels) {
        if (!familiesAgree(ch))
            return reader.fail(ch.line, at(ch) + " mixes IPv4 and IPv6 addresses");
        bool ok = ch.kind == ChannelKind::Multicast ? validateMulticast(reader, ch)
                                                    : validateUnicast(reader, ch);
        if (!ok)
            return false;
    }
    return true;
}

} // namespace ctd::sync
