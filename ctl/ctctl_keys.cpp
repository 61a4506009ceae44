#include "ctctl_keys.hpp"

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace ctd::ctl {

namespace {

enum class Type { S, Proto, Y, Q, U, B, As };

const std::map<std::string, Type>& keys()
{
    static const std::map<std::string, Type> table = {
        {"table", Type::S}, {"family", Type::S}, {"protocol", Type::Proto},
        {"src", Type::S}, {"dst", Type::S}, {"reply-src", Type::S}, {"reply-dst", Type::S},
        {"sport", Type::Q}, {"dport", Type::Q}, {"reply-sport", Type::Q},
        {"reply-dport", Type::Q}, {"icmp-type", Type::Y}, {"icmp-code", Type::Y},
        {"icmp-id", Type::Q}, {"zone", Type::Q}, {"orig-zone", Type::Q},
        {"reply-zone", Type::Q}, {"mark", Type::U}, {"mark-mask", Type::U},
        {"src-mask", Type::S}, {"dst-mask", Type::S}, {"status-clear", Type::As},
        {"secmark", Type::U}, {"status", Type::As}, {"state", Type::S}, {"labels", Type::As}, {"nat", Type::S},
        {"nat-address", Type::S}, {"id", Type::U}, {"zero-counters", Type::B},
        {"events", Type::As}, {"timeout", Type::U}, {"helper", Type::S}, {"snat", Type::S},
        {"dnat", Type::S}, {"labels-add", Type::As}, {"labels-del", Type::As},
        {"master-src", Type::S}, {"master-dst", Type::S}, {"master-sport", Type::Q},
        {"master-dport", Type::Q}, {"master-protocol", Type::Proto}, {"mask-src", Type::S},
        {"mask-dst", Type::S}, {"mask-sport", Type::Q}, {"mask-dport", Type::Q},
        {"flags", Type::As}, {"class", Type::U}, {"nat-dir", Type::U}, {"nat-src", Type::S},
        {"nat-dst", Type::S}, {"nat-sport", Type::Q}, {"nat-dport", Type::Q},
    };
    return table;
}

std::optional<unsigned long> number(const std::string& text, unsigned long max)
{
    if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ')
        return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const unsigned long v = std::strtoul(text.c_str(), &end, 0);
    if (errno || *end != '\0' || v > max)
        return std::nullopt;
    return v;
}

std::vector<std::string> words(const std::string& text)
{
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t comma = text.find(',', pos);
        std::string w = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!w.empty())
            out.push_back(w);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return out;
}

} // namespace

bool knownKey(const std::string& key) { return keys().count(key) != 0; }

bool isFlagKey(const std::string& key)
{
    auto it = keys().find(key);
    return it != keys().end() && it->second == Type::B;
}

std::string addKey(Dict& dict, const std::string& key, const std::string& value)
{
    auto it = keys().find(key);
    if (it == keys().end())
        return "unknown option '--" + key + "'";
    const std::string bad = "invalid value '" + value + "' for --" + key;
    switch (it->second) {
    case Type::S:
        // An empty snat/dnat is a query for "NATed at all" (conntrack --src-nat alone).
        if (value.empty() && key != "snat" && key != "dnat")
            return bad;
        dict[key] = sdbus::Variant(value);
        break;
    case Type::Proto:
        if (auto n = number(value, 255))
            dict[key] = sdbus::Variant(static_cast<uint8_t>(*n));
        else if (!value.empty())
            dict[key] = sdbus::Variant(value);
        else
            return bad;
        break;
    case Type::Y:
        if (auto n = number(value, 255))
            dict[key] = sdbus::Variant(static_cast<uint8_t>(*n));
        else
            return bad;
        break;
    case Type::Q:
        if (auto n = number(value, 65535))
            dict[key] = sdbus::Variant(static_cast<uint16_t>(*n));
        else
            return bad;
        break;
    case Type::U: {
        // --mark MARK/MASK is the pair mark + mark-mask, like conntrack -m.
        std::string v = value, mask;
        if (key == "mark") {
            const auto slash = value.find('/');
            if (slash != std::string::npos) {
                v = value.substr(0, slash);
                mask = value.substr(slash + 1);
            }
        }
        auto n = number(v, 0xffffffffUL);
        std::optional<unsigned long> m;
        if (!mask.empty())
            m = number(mask, 0xffffffffUL);
        // Both halves are checked before either is stored: a bad value leaves no trace.
        if (!n || (!mask.empty() && !m))
            return bad;
        dict[key] = sdbus::Variant(static_cast<uint32_t>(*n));
        if (m)
            dict["mark-mask"] = sdbus::Variant(static_cast<uint32_t>(*m));
        break;
    }
    case Type::B:
        if (value == "yes" || value == "true" || value == "1" || value.empty())
            dict[key] = sdbus::Variant(true);
        else if (value == "no" || value == "false" || value == "0")
            dict[key] = sdbus::Variant(false);
        else
            return bad;
        break;
    case Type::As:
        dict[key] = sdbus::Variant(words(value));
        break;
    }
    return {};
}

} // namespace ctd::ctl
