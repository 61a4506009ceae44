// Sync { Mode ... { } Multicast|UDP|TCP [Default] { } Options { } ... } of conntrackd.conf.
#include "sync/config/config_reader.hpp"

#include <sys/socket.h>

namespace ctd::sync {

namespace {

const char* modeName(SyncMode mode) {
    switch (mode) {
    case SyncMode::Ftfw:
        return "FTFW";
    case SyncMode::Alarm:
        return "ALARM";
    case SyncMode::Notrack:
        return "NOTRACK";
    }
    return "?";
}

const char* kindName(ChannelKind kind) {
    switch (kind) {
    case ChannelKind::Multicast:
        return "Multicast";
    case ChannelKind::Udp:
        return "UDP";
    case ChannelKind::Tcp:
        return "TCP";
    }
    return "?";
}

// The lexer's {ftfw}, {alarm}, {notrack} are case-insensitive; "nack" and "persistent" are
// the pre-1.0 names it still maps (with a warning) onto FTFW and ALARM.
std::optional<SyncMode> modeFromName(std::string_view name, bool& deprecated) {
    std::string lowered;
    for (char c : name)
        lowered += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    deprecated = lowered == "nack" || lowered == "persistent";
    if (lowered == "ftfw" || lowered == "nack")
        return SyncMode::Ftfw;
    if (lowered == "alarm" || lowered == "persistent")
        return SyncMode::Alarm;
    if (lowered == "notrack")
        return SyncMode::Notrack;
    return std::nullopt;
}

std::vector<KeyRule> timerRules(ConfigReader& reader, const std::string& where, bool alarmKeys) {
    auto& sync = reader.config().sync;
    std::vector<KeyRule> rules{
        {"CommitTimeout",
         [&reader, where, &sync](const Token& k) {
             uint32_t secs = 0;
             if (!reader.number(k, where, secs))
                 return false;
             // 0 is conntrackd's "not set": estimate the timeout per entry
             sync.commitTimeout = secs ? std::optional(secs) : std::nullopt;
             return true;
         }},
        {"PurgeTimeout",
         [&reader, where, &sync](const Token& k) {
             return reader.numberOrDefault(k, where, sync.purgeTimeout, 60);
         }},
    };
    if (alarmKeys) {
        rules.push_back({"RefreshTime", [&reader, where, &sync](const Token& k) {
                             return reader.numberOrDefault(k, where, sync.refreshTime, 60);
                         }});
        rules.push_back({"CacheTimeout", [&reader, where, &sync](const Token& k) {
                             return reader.numberOrDefault(k, where, sync.cacheTimeout, 180);
                         }});
    }
    return rules;
}

// Mode FTFW|ALARM|NOTRACK { }: each mode has its own key set in read_config_yy.y
// (sync_mode_*_line); a key of another mode is a syntax error there, an unknown key here.
bool parseMode(ConfigReader& reader, const Token& opener, SyncMarks& state) {
    auto& sync = reader.config().sync;
    Token name;
    if (!reader.value(opener, "Sync", name))
        return false;
    bool deprecated = false;
    auto mode = modeFromName(name.text, deprecated);
    if (!mode)
        return reader.fail(name.line, "unknown sync mode " + describeToken(name) +
                                          " in Sync (FTFW, ALARM or NOTRACK)");
    if (deprecated)
        reader.notice(name.line, "Mode",
                      describeToken(name) + " is the old name of " + modeName(*mode));
    if (sync.modeGiven && sync.mode != *mode)
        // conntrackd sets both flags and silently runs FTFW > ALARM > NOTRACK
        return reader.fail(name.line, std::string("conflicting sync modes: Mode ") +
                                          modeName(*mode) + " here, Mode " + modeName(sync.mode) +
                                          " at line " + std::to_string(state.modeLine));
    sync.mode = *mode;
    sync.modeGiven = true;
    state.modeLine = name.line;
    const std::string where = std::string("Sync/Mode ") + modeName(*mode);
    auto rules = timerRules(reader, where, *mode == SyncMode::Alarm);
    auto onOff = [&reader, where](bool& out) {
        return [&reader, where, &out](const Token& k) { return reader.onOff(k, where, out); };
    };
    if (*mode == SyncMode::Ftfw) {
        rules.push_back({"ResendQueueSize", [&reader, where, &sync](const Token& k) {
                             return reader.numberOrDefault(k, where, sync.resendQueueSize, 131072);
                         }});
        rules.push_back({"ACKWindowSize", [&reader, where, &sync](const Token& k) {
                             return reader.numberOrDefault(k, where, sync.ackWindowSize, 300);
                         }});
    }
    if (*mode == SyncMode::Notrack)
        rules.push_back({"DisableInternalCache", onOff(sync.disableInternalCache)});
    if (*mode != SyncMode::Alarm) {
        rules.push_back({"DisableExternalCache", onOff(sync.disableExternalCache)});
        rules.push_back({"StartupResync", onOff(sync.startupResync)});
    }
    return reader.keyBlock(opener, where, rules);
}

bool readChannelAddress(ConfigReader& reader, const Token& key, const std::string& where,
                        uint8_t family, std::optional<Address>& out) {
    Address address;
    if (!reader.address(key, where, family, address))
        return false;
    out = address;
    return true;
}

bool readBuffer(ConfigReader& reader, const Token& key, const std::string& where,
                std::optional<uint32_t>& out) {
    uint32_t bytes = 0;
    if (!reader.number(key, where, bytes))
        return false;
    out = bytes ? std::optional(bytes) : std::nullopt; // 0: conntrackd leaves SO_*BUF alone
    return true;
}

std::vector<KeyRule> channelRules(ConfigReader& reader, const std::string& where, Channel& ch) {
    std::vector<KeyRule> rules{
        {"IPv4_address",
         [&reader, where, &ch](const Token& k) {
             return readChannelAddress(reader, k, where, AF_INET, ch.address);
         }},
        {"IPv6_address",
         [&reader, where, &ch](const Token& k) {
             return readChannelAddress(reader, k, where, AF_INET6, ch.address);
         }},
        {"Interface",
         [&reader, where, &ch](const Token& k) {
             if (!reader.word(k, where, ch.interfaceName))
                 return false;
             if (ch.interfaceName.size() >= 16) // IFNAMSIZ, terminating NUL included
                 return reader.fail(k.line, keyIn(k, where) + ": '" + ch.interfaceName +
                                                "' is longer than 15 characters");
             return true;
         }},
        {"SndSocketBuffer",
         [&reader, where, &ch](const Token& k) {
             return readBuffer(reader, k, where, ch.sndBuffer);
         }},
        {"RcvSocketBuffer",
         [&reader, where, &ch](const Token& k) {
             return readBuffer(reader, k, where, ch.rcvBuffer);
         }},
        {"Checksum",
         [&reader, where, &ch](const Token& k) { return reader.onOff(k, where, ch.checksum); }},
    };
    auto port = [&reader, where, &ch](const Token& k) {
        uint32_t n = 0;
        if (!reader.number(k, where, n, 1, 65535))
            return false;
        ch.port = static_cast<uint16_t>(n);
        return true;
    };
    if (ch.kind == ChannelKind::Multicast) {
        rules.push_back({"Group", port}); // the UDP port of the multicast group
        rules.push_back({"IPv4_interface", [&reader, where, &ch](const Token& k) {
                             return readChannelAddress(reader, k, where, AF_INET,
                                                       ch.interfaceAddress);
                         }});
        rules.push_back({"IPv6_interface", [&reader, where](const Token& k) {
                             // conntrackd: "`IPv6_interface' not required, ignoring"
                             Address ignored;
                             reader.notice(k.line, "IPv6_interface",
                                           "accepted, ignored (conntrackd ignores it too: "
                                           "Interface selects the IPv6 link)");
                             return reader.address(k, where, AF_INET6, ignored);
                         }});
        return rules;
    }
    rules.push_back({"Port", port});
    rules.push_back({"IPv4_Destination_Address", [&reader, where, &ch](const Token& k) {
                         return readChannelAddress(reader, k, where, AF_INET, ch.destination);
                     }});
    rules.push_back({"IPv6_Destination_Address", [&reader, where, &ch](const Token& k) {
                         return readChannelAddress(reader, k, where, AF_INET6, ch.destination);
                     }});
    if (ch.kind == ChannelKind::Tcp)
        rules.push_back({"ErrorQueueLength", [&reader, where, &ch](const Token& k) {
                             return reader.numberOrDefault(k, where, ch.errorQueueLength, 128);
                         }});
    return rules;
}

bool parseChannel(ConfigReader& reader, const Token& opener, ChannelKind kind, SyncMarks& state) {
    auto& sync = reader.config().sync;
    Channel channel;
    channel.kind = kind;
    channel.line = opener.line;
    if (reader.lexer().peek().kind == TokenKind::Atom && reader.lexer().peek().text == "Default") {
        reader.lexer().next();
        channel.isDefault = true;
    }
    const std::string where = std::string("Sync/") + kindName(kind);
    // conntrackd's checks, made at the block's start rather than at its first option
    if (!sync.channels.empty() && sync.channels.front().kind != kind)
        return reader.fail(opener.line, std::string("cannot use '") + kindName(kind) +
                                            "' with other dedicated link protocols ('" +
                                            kindName(sync.channels.front().kind) + "' at line " +
                                            std::to_string(sync.channels.front().line) + ")");
    if (sync.channels.size() >= SyncSettings::maxChannels)
        return reader.fail(opener.line, "too many dedicated links (maximum: " +
                                            std::to_string(SyncSettings::maxChannels) + ")");
    if (channel.isDefault && state.defaultLine)
        // conntrackd lets the last Default win; two are a mistake
        return reader.fail(opener.line, "two Default dedicated links (the other one is at "
                                        "line " +
                                            std::to_string(state.defaultLine) + ")");
    if (!reader.keyBlock(opener, where, channelRules(reader, where, channel)))
        return false;
    if (channel.isDefault) {
        state.defaultLine = opener.line;
        sync.defaultChannel = sync.channels.size();
    }
    sync.channels.push_back(std::move(channel));
    return true;
}

bool parseOptions(ConfigReader& reader, const Token& opener) {
    auto& sync = reader.config().sync;
    const std::string where = "Sync/Options";
    return reader.keyBlock(
        opener, where,
        {
            {"TCPWindowTracking",
             [&](const Token& k) { return reader.onOff(k, where, sync.tcpWindowTracking); }},
            {"ExpectationSync",
             [&](const Token& k) {
                 if (reader.lexer().peek().kind == TokenKind::LBrace) {
                     sync.expectationSync = ExpectationSync::Listed;
                     return reader.block(k, where + "/ExpectationSync", [&](const Token& item) {
                         if (!isWord(item.text))
                             return reader.fail(item.line, describeToken(item) +
                                                               " is not a helper name in " + where +
                                                               "/ExpectationSync");
                         std::string name(item.text);
                         for (const auto& known : sync.expectationHelpers)
                             if (known == name)
                                 return true;
                         sync.expectationHelpers.push_back(name);
                         return true;
                     });
                 }
                 bool on = false;
                 if (!reader.onOff(k, where, on))
                     return false;
                 sync.expectationSync = on ? ExpectationSync::All : ExpectationSync::Off;
                 sync.expectationHelpers.clear();
                 return true;
             }},
        });
}

} // namespace

bool parseSync(ConfigReader& reader, const Token& opener) {
    auto& marks = reader.syncMarks();
    const std::string where = "Sync";
    auto rules = timerRules(reader, where, true);
    rules.push_back({"Mode", [&](const Token& k) { return parseMode(reader, k, marks); }});
    rules.push_back({"Multicast", [&](const Token& k) {
                         return parseChannel(reader, k, ChannelKind::Multicast, marks);
                     }});
    rules.push_back(
        {"UDP", [&](const Token& k) { return parseChannel(reader, k, ChannelKind::Udp, marks); }});
    rules.push_back(
        {"TCP", [&](const Token& k) { return parseChannel(reader, k, ChannelKind::Tcp, marks); }});
    rules.push_back({"Options", [&](const Token& k) { return parseOptions(reader, k); }});
    return reader.keyBlock(opener, where, rules);
}

} // namespace ctd::sync
