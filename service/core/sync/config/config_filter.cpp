// General { Filter [From Userspace|Kernelspace] { Protocol|Address|State Accept|Ignore {...} } }
#include "sync/config/config_reader.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace ctd::sync {

namespace {

bool readPolicy(ConfigReader& reader, const Token& key, const std::string& where,
                FilterPolicy& out) {
    Token v;
    if (!reader.value(key, where, v))
        return false;
    if (v.text == "Accept")
        out = FilterPolicy::Accept;
    else if (v.text == "Ignore")
        out = FilterPolicy::Ignore;
    else
        return reader.fail(v.line, keyIn(key, where) + ": expected Accept or Ignore, got " +
                                       describeToken(v));
    return true;
}

// conntrackd lets a second "Protocol Ignore" silently flip the logic of the protocols an
// earlier "Protocol Accept" listed; ctd refuses the contradiction.
template <typename Part>
bool startPart(ConfigReader& reader, const Token& key, FilterPolicy policy,
               std::optional<Part>& part, unsigned& firstLine) {
    if (part && part->policy != policy)
        return reader.fail(key.line, "conflicting policies for '" + std::string(key.text) +
                                         "' in General/Filter (the other one is at line " +
                                         std::to_string(firstLine) + ")");
    if (!part) {
        part.emplace();
        part->policy = policy;
        firstLine = key.line;
    }
    return true;
}

std::optional<TcpState> tcpState(std::string_view name) {
    static constexpr std::pair<std::string_view, TcpState> names[] = {
        {"SYN_SENT", TcpState::SynSent},
        {"SYN_RECV", TcpState::SynRecv},
        {"ESTABLISHED", TcpState::Established},
        {"FIN_WAIT", TcpState::FinWait},
        {"CLOSE_WAIT", TcpState::CloseWait},
        {"LAST_ACK", TcpState::LastAck},
        {"TIME_WAIT", TcpState::TimeWait},
        {"CLOSED", TcpState::Close},
        {"CLOSE", TcpState::Close},
        {"LISTEN", TcpState::Listen},
    };
    for (const auto& [text, state] : names)
        if (name == text)
            return state;
    return std::nullopt;
}

template <typename T> void appendUnique(std::vector<T>& list, const T& item) {
    if (std::find(list.begin(), list.end(), item) == list.end())
        list.push_back(item);
}

bool parseProtocols(ConfigReader& reader, const Token& key, ProtocolFilter& filter) {
    const std::string where = "General/Filter/Protocol";
    return reader.block(key, where, [&](const Token& item) {
        auto number = protocolNumber(item.text);
        if (!number)
            // conntrackd warns "getprotobyname() cannot find protocol" and drops the item,
            // widening an Accept list's meaning; ctd refuses.
            return reader.fail(item.line, "unknown protocol " + describeToken(item) + " in " +
                                              where + " (not in /etc/protocols)");
        appendUnique(filter.protocols, *number);
        return true;
    });
}

bool parseAddresses(ConfigReader& reader, const Token& key, AddressFilter& filter) {
    const std::string where = "General/Filter/Address";
    return reader.block(key, where, [&](const Token& item) {
        uint8_t family = 0;
        if (item.text == "IPv4_address")
            family = AF_INET;
        else if (item.text == "IPv6_address")
            family = AF_INET6;
        else
            return reader.unknownKey(item, where, {{"IPv4_address", {}}, {"IPv6_address", {}}});
        Token v;
        if (!reader.value(item, where, v))
            return false;
        bool cleared = false;
        auto prefix = parsePrefix(v.text, family, &cleared);
        if (!prefix)
            return reader.fail(v.line, keyIn(item, where) + ": " + prefix.error().message,
                               prefix.error().code);
        if (cleared)
            reader.notice(v.line, std::string(item.text),
                          std::string(v.text) + " has host bits set; read as " +
                              formatAddress(prefix->address) + "/" +
                              std::to_string(prefix->length));
        appendUnique(filter.prefixes, *prefix);
        return true;
    });
}

// "State Accept { ESTABLISHED CLOSED for TCP SYN_SENT for TCP }": states, then "for TCP".
bool parseStates(ConfigReader& reader, const Token& key, StateFilter& filter) {
    const std::string where = "General/Filter/State";
    std::vector<TcpState> pending;
    unsigned pendingLine = 0;
    bool expectTcp = false;
    bool ok = reader.block(key, where, [&](const Token& item) {
        if (expectTcp) {
            expectTcp = false;
            if (item.text != "TCP")
                return reader.fail(item.line, "expected 'TCP' after 'for' in " + where +
                                                  " (only TCP has states), got " +
                                                  describeToken(item));
            for (auto state : pending)
                appendUnique(filter.tcpStates, state);
            pending.clear();
            return true;
        }
        if (item.text == "for") {
            expectTcp = true;
            return true;
        }
        auto state = tcpState(item.text);
        if (!state)
            return reader.fail(item.line,
                               "unknown TCP state " + describeToken(item) + " in " + where);
        if (pending.empty())
            pendingLine = item.line;
        pending.push_back(*state);
        return true;
    });
    if (!ok)
        return false;
    if (expectTcp || !pending.empty())
        return reader.fail(expectTcp ? key.line : pendingLine,
                           "states in " + where + " must end with 'for TCP'");
    return true;
}

} // namespace

bool parseFilter(ConfigReader& reader, const Token& opener) {
    auto& filter = reader.config().general.filter;
    filter.present = true;
    filter.from = FilterFrom::Userspace; // "Filter { }" without From is user-space
    const std::string where = "General/Filter";
    if (reader.lexer().peek().kind == TokenKind::Atom && reader.lexer().peek().text == "From") {
        Token from = reader.lexer().next();
        Token v;
        if (!reader.value(from, where, v))
            return false;
        if (v.text == "Userspace")
            filter.from = FilterFrom::Userspace;
        else if (v.text == "Kernelspace")
            filter.from = FilterFrom::Kernelspace;
        else
            return reader.fail(v.line, "'Filter From' expects Userspace or Kernelspace, got " +
                                           describeToken(v));
    }
    unsigned protocolLine = 0, addressLine = 0, stateLine = 0;
    return reader.keyBlock(
        opener, where,
        {
            {"Protocol",
             [&](const Token& k) {
                 FilterPolicy policy{};
                 return readPolicy(reader, k, where, policy) &&
                        startPart(reader, k, policy, filter.protocol, protocolLine) &&
                        parseProtocols(reader, k, *filter.protocol);
             }},
            {"Address",
             [&](const Token& k) {
                 FilterPolicy policy{};
                 return readPolicy(reader, k, where, policy) &&
                        startPart(reader, k, policy, filter.address, addressLine) &&
                        parseAddresses(reader, k, *filter.address);
             }},
            {"State",
             [&](const Token& k) {
                 FilterPolicy policy{};
                 return readPolicy(reader, k, where, policy) &&
                        startPart(reader, k, policy, filter.state, stateLine) &&
                        parseStates(reader, k, *filter.state);
             }},
        });
}

} // namespace ctd::sync
