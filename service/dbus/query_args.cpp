#include "query_args.hpp"

#include "errors.hpp"

#include "format/label_map.hpp"
#include "format/proto_names.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace ctd::dbus {

namespace {

constexpr uint8_t protoIcmp = IPPROTO_ICMP;
constexpr uint8_t protoIcmpv6 = IPPROTO_ICMPV6;

struct NamedValue {
    const char* name;
    unsigned value;
};

constexpr NamedValue protocolNames[] = {
    {"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"udplite", IPPROTO_UDPLITE},
    {"sctp", IPPROTO_SCTP}, {"dccp", IPPROTO_DCCP}, {"icmp", IPPROTO_ICMP},
    {"icmpv6", IPPROTO_ICMPV6}, {"gre", IPPROTO_GRE},
};

// Status words and protocol states are core's tables (format/proto_names.hpp), the ones
// the formatters print: a query accepts exactly the words conntrack shows.
std::optional<unsigned> statusBit(std::string_view word)
{
    for (const auto& named : kAllStatusNames)
        if (named.name == word)
            return static_cast<unsigned>(__builtin_ctz(named.bit));
    return std::nullopt;
}

const char* statusName(unsigned bit)
{
    for (const auto& named : kAllStatusNames)
        if (named.bit == (1u << bit))
            return named.name.data(); // the table's names are NUL-terminated literals
    return nullptr;
}

template <size_t N>
std::optional<unsigned> lookup(const NamedValue (&table)[N], std::string_view name)
{
    for (const auto& entry : table) {
        if (name == entry.name)
            return entry.value;
    }
    return std::nullopt;
}

template <size_t N>
const char* nameOf(const NamedValue (&table)[N], unsigned value)
{
    for (const auto& entry : table) {
        if (entry.value == value)
            return entry.name;
    }
    return nullptr;
}

bool hasPorts(uint8_t protocol)
{
    // GRE carries its keys in the port slots of the tuple (see entry.hpp).
    return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ||
        protocol == IPPROTO_SCTP || protocol == IPPROTO_DCCP || protocol == IPPROTO_GRE;
}

std::optional<unsigned long> parseNumber(std::string_view text, unsigned long max)
{
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > max)
        return std::nullopt;
    return value;
}

std::string join(const std::vector<std::string>& words, char sep)
{
    std::string out;
    for (const auto& word : words) {
        if (!out.empty())
            out += sep;
        out += word;
    }
    return out;
}

std::string formatAddress(const Address& addr)
{
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(addr.family, addr.bytes.data(), buf, sizeof buf);
    return buf;
}

// Walks one dictionary: typed accessors that throw InvalidArgument naming the key, and an
// up-front check that every key present is one this dictionary knows.
class DictReader {
public:
    DictReader(const VariantMap& dict, std::string what) : dict_(dict), what_(std::move(what)) {}

    void allowOnly(const std::set<std::string_view>& known) const
    {
        for (const auto& [key, value] : dict_) {
            if (!known.count(key))
                throw invalidArgument("unknown " + what_ + " '" + key + "'");
        }
    }

    bool has(const std::string& key) const { return dict_.count(key) != 0; }

    [[noreturn]] void fail(const std::string& key, const std::string& why) const
    {
        throw invalidArgument(what_ + " '" + key + "': " + why);
    }

    template <typename T>
    std::optional<T> get(const std::string& key) const
    {
        auto it = dict_.find(key);
        if (it == dict_.end())
            return std::nullopt;
        const std::string expected = sdbus::signature_of<T>::str();
        const std::string actual = it->second.peekValueType();
        if (actual != expected)
            fail(key, "expected type '" + expected + "', got '" + actual + "'");
        return it->second.get<T>();
    }

    // `s` or `y`: protocol names or numbers.
    std::optional<uint8_t> protocol(const std::string& key) const
    {
        auto it = dict_.find(key);
        if (it == dict_.end())
            return std::nullopt;
        if (it->second.containsValueOfType<uint8_t>())
            return it->second.get<uint8_t>();
        auto name = get<std::string>(key); // throws naming the expected type
        if (auto value = lookup(protocolNames, *name))
            return static_cast<uint8_t>(*value);
        if (auto value = parseNumber(*name, 255))
            return static_cast<uint8_t>(*value);
        fail(key, "unknown protocol '" + *name + "'");
    }

    std::optional<Address> address(const std::string& key) const
    {
        auto text = get<std::string>(key);
        if (!text)
            return std::nullopt;
        auto addr = parseAddress(*text);
        if (!addr)
            fail(key, "'" + *text + "' is not an IPv4 or IPv6 address");
        return addr;
    }

    std::optional<Prefix> prefix(const std::string& key) const
    {
        auto text = get<std::string>(key);
        if (!text)
            return std::nullopt;
        auto prefix = parsePrefix(*text);
        if (!prefix)
            fail(key, "'" + *text + "' is not an address or CIDR prefix");
        return prefix;
    }

    std::optional<uint32_t> status(const std::string& key) const
    {
        auto words = get<std::vector<std::string>>(key);
        if (!words)
            return std::nullopt;
        uint32_t bits = 0;
        for (const auto& word : *words) {
            auto bit = statusBit(word);
            if (!bit)
                fail(key, "unknown status flag '" + word + "'");
            bits |= 1u << *bit;
        }
        return bits;
    }

    std::optional<std::vector<uint8_t>> labels(const std::string& key,
                                               const LabelResolver& resolver) const
    {
        auto words = get<std::vector<std::string>>(key);
        if (!words)
            return std::nullopt;
        // CTA_LABELS is the kernel's label bitmap; 128 bits (NF_CT_LABELS_MAX_SIZE bytes),
        // bit n in byte n/8 as the little-endian unsigned longs lay it out.
        std::vector<uint8_t> bitmap(16, 0);
        for (const auto& word : *words) {
            std::optional<unsigned> bit;
            if (auto number = parseNumber(word, 127))
                bit = static_cast<unsigned>(*number);
            else if (resolver)
                bit = resolver(word);
            if (!bit || *bit > 127)
                fail(key, "unknown label '" + word + "'");
            bitmap[*bit / 8] |= static_cast<uint8_t>(1u << (*bit % 8));
        }
        return bitmap;
    }

    std::optional<bool> interactive() const { return get<bool>("interactive"); }

private:
    const VariantMap& dict_;
    std::string what_;
};

std::optional<uint8_t> stateFor(const DictReader& reader, std::optional<uint8_t> protocol,
                                const std::string& name)
{
    if (!protocol)
        reader.fail("state", "needs 'protocol'");
    std::optional<uint8_t> value;
    switch (*protocol) {
    // LISTEN is conntrack's word for TCP_CONNTRACK_SYN_SENT2, which it prints as such.
    case IPPROTO_TCP: value = tcpStateFromName(name); break;
    case IPPROTO_SCTP: value = sctpStateFromName(name); break;
    case IPPROTO_DCCP: value = dccpStateFromName(name); break;
    default: reader.fail("state", "protocol " + std::to_string(*protocol) + " has no states");
    }
    if (!value)
        reader.fail("state", "unknown state '" + name + "' for this protocol");
    return static_cast<uint8_t>(*value);
}

// Family bookkeeping: every address and ICMP flavour must agree with `family` and with each
// other, and fixes the family when `family` is absent (conntrack -s 192.0.2.1 implies -f ipv4).
class FamilyCheck {
public:
    explicit FamilyCheck(const DictReader& reader) : reader_(reader) {}

    void require(uint8_t family, const std::string& key)
    {
        if (family_ && *family_ != family)
            reader_.fail(key, std::string("is ") + (family == AF_INET ? "IPv4" : "IPv6") +
                             " but " + source_ + " says " +
                             (*family_ == AF_INET ? "IPv4" : "IPv6"));
        if (!family_) {
            family_ = family;
            source_ = "'" + key + "'";
        }
    }

    std::optional<uint8_t> family() const { return family_; }

private:
    const DictReader& reader_;
    std::optional<uint8_t> family_;
    std::string source_;
};

std::optional<uint8_t> decodeFamily(const DictReader& reader)
{
    auto text = reader.get<std::string>("family");
    if (!text)
        return std::nullopt;
    if (*text == "ipv4")
        return AF_INET;
    if (*text == "ipv6")
        return AF_INET6;
    reader.fail("family", "must be 'ipv4' or 'ipv6', not '" + *text + "'");
}

struct ParsedHostPort {
    Address addr;
    std::optional<uint16_t> port;
};

// ADDR, ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6), as conntrack's --src-nat takes them.
std::optional<ParsedHostPort> parseHostPort(std::string_view text)
{
    std::string_view host = text;
    std::optional<uint16_t> port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return std::nullopt;
            auto number = parseNumber(rest.substr(1), 65535);
            if (!number)
                return std::nullopt;
            port = static_cast<uint16_t>(*number);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        auto number = parseNumber(text.substr(colon + 1), 65535);
        if (!number)
            return std::nullopt;
        port = static_cast<uint16_t>(*number);
    }
    auto addr = parseAddress(host);
    if (!addr)
        return std::nullopt;
    return ParsedHostPort{*addr, port};
}

// Options for the rendered text, collected in conntrack's usual order.
class OptionText {
public:
    void add(std::string option, std::string value = {})
    {
        if (!out_.empty())
            out_ += ' ';
        out_ += option;
        if (!value.empty()) {
            out_ += ' ';
            out_ += value;
        }
    }
    std::string str() const { return out_; }

private:
    std::string out_;
};

std::string statusWords(uint32_t bits)
{
    std::vector<std::string> words;
    for (unsigned bit = 0; bit < 32; ++bit) {
        if (bits & (1u << bit)) {
            const char* name = statusName(bit);
            words.emplace_back(name ? name : std::to_string(bit));
        }
    }
    return join(words, ',');
}

// GCC 12 warns (-Wrestrict, a known false positive) on "/" + std::to_string(...).
std::string markText(uint32_t mark, std::optional<uint32_t> mask)
{
    std::string text = std::to_string(mark);
    if (mask) {
        text += '/';
        text += std::to_string(*mask);
    }
    return text;
}

std::string protocolWord(uint8_t protocol)
{
    const char* name = nameOf(protocolNames, protocol);
    return name ? name : std::to_string(protocol);
}

// The tuple keys shared by queries and entries. Ports and ICMP fields need a protocol that
// has them, so a typo cannot silently widen a delete.
struct TupleKeys {
    std::optional<uint8_t> protocol;
    std::optional<uint16_t> sport, dport, replySport, replyDport, icmpId;
    std::optional<uint8_t> icmpType, icmpCode;
    std::optional<uint16_t> zone, origZone, replyZone;
};

TupleKeys decodeTupleKeys(const DictReader& reader, FamilyCheck& family, OptionText& text)
{
    TupleKeys keys;
    keys.protocol = reader.protocol("protocol");
    if (keys.protocol) {
        text.add("-p", protocolWord(*keys.protocol));
        if (*keys.protocol == protoIcmp)
            family.require(AF_INET, "protocol");
        if (*keys.protocol == protoIcmpv6)
            family.require(AF_INET6, "protocol");
    }
    auto port = [&](const std::string& key, const char* option) {
        auto value = reader.get<uint16_t>(key);
        if (value) {
            if (!keys.protocol)
                reader.fail(key, "needs 'protocol'");
            if (!hasPorts(*keys.protocol))
                reader.fail(key, "protocol " + protocolWord(*keys.protocol) + " has no ports");
            text.add(option, std::to_string(*value));
        }
        return value;
    };
    keys.sport = port("sport", "--sport");
    keys.dport = port("dport", "--dport");
    keys.replySport = port("reply-sport", "--reply-port-src");
    keys.replyDport = port("reply-dport", "--reply-port-dst");
    auto icmp = [&](const std::string& key, const char* option, auto value) {
        if (value) {
            if (!keys.protocol)
                reader.fail(key, "needs 'protocol'");
            if (!isIcmp(*keys.protocol))
                reader.fail(key, "needs protocol icmp or icmpv6");
            text.add(option, std::to_string(*value));
        }
        return value;
    };
    keys.icmpType = icmp("icmp-type", "--icmp-type", reader.get<uint8_t>("icmp-type"));
    keys.icmpCode = icmp("icmp-code", "--icmp-code", reader.get<uint8_t>("icmp-code"));
    keys.icmpId = icmp("icmp-id", "--icmp-id", reader.get<uint16_t>("icmp-id"));
    auto zone = [&](const std::string& key, const char* option) {
        auto value = reader.get<uint16_t>(key);
        if (value)
            text.add(option, std::to_string(*value));
        return value;
    };
    keys.zone = zone("zone", "--zone");
    keys.origZone = zone("orig-zone", "--orig-zone");
    keys.replyZone = zone("reply-zone", "--reply-zone");
    return keys;
}

const std::set<std::string_view> tupleKeyNames = {
    "family", "protocol", "src", "dst", "reply-src", "reply-dst", "sport", "dport",
    "reply-sport", "reply-dport", "icmp-type", "icmp-code", "icmp-id", "zone", "orig-zone",
    "reply-zone", "interactive",
};

std::set<std::string_view> withKeys(std::set<std::string_view> keys,
                                    std::initializer_list<std::string_view> more)
{
    keys.insert(more.begin(), more.end());
    return keys;
}

std::vector<std::string> labelWords(const DictReader& reader, const std::string& key)
{
    return reader.get<std::vector<std::string>>(key).value_or(std::vector<std::string>{});
}

Tuple makeTuple(const Address& src, const Address& dst, std::optional<uint8_t> protocol,
                std::optional<uint16_t> sport, std::optional<uint16_t> dport)
{
    Tuple tuple;
    tuple.src = src;
    tuple.dst = dst;
    tuple.protocol = protocol;
    tuple.sport = sport;
    tuple.dport = dport;
    return tuple;
}

// An address under a netmask: a contiguous mask becomes a prefix length (the kernel can
// filter full addresses, and /N is what conntrack means by it too), any other mask is kept.
Prefix maskedPrefix(const Address& addr, const Address& mask)
{
    const unsigned bits = addr.family == AF_INET ? 32 : 128;
    Prefix prefix{addr, 0, std::nullopt};
    for (unsigned i = 0; i < bits / 8; ++i)
        prefix.addr.bytes[i] &= mask.bytes[i];
    unsigned length = 0;
    while (length < bits && (mask.bytes[length / 8] & (0x80u >> (length % 8))))
        ++length;
    bool contiguous = true;
    for (unsigned bit = length; bit < bits; ++bit)
        if (mask.bytes[bit / 8] & (0x80u >> (bit % 8)))
            contiguous = false;
    if (contiguous)
        prefix.length = static_cast<uint8_t>(length);
    else
        prefix.mask = mask;
    return prefix;
}

} // namespace

std::optional<Address> parseAddress(std::string_view text)
{
    std::string copy(text);
    Address addr;
    if (inet_pton(AF_INET, copy.c_str(), addr.bytes.data()) == 1) {
        addr.family = AF_INET;
        return addr;
    }
    if (inet_pton(AF_INET6, copy.c_str(), addr.bytes.data()) == 1) {
        addr.family = AF_INET6;
        return addr;
    }
    return std::nullopt;
}

std::optional<Prefix> parsePrefix(std::string_view text)
{
    auto slash = text.find('/');
    auto addr = parseAddress(text.substr(0, slash));
    if (!addr)
        return std::nullopt;
    const unsigned maxLength = addr->family == AF_INET ? 32 : 128;
    Prefix prefix{*addr, static_cast<uint8_t>(maxLength)};
    if (slash != std::string_view::npos) {
        auto length = parseNumber(text.substr(slash + 1), maxLength);
        if (!length)
            return std::nullopt;
        prefix.length = static_cast<uint8_t>(*length);
    }
    // Clear host bits so 192.0.2.7/24 and 192.0.2.0/24 are the same filter, as conntrack's
    // --mask-src applies the mask to the address too.
    for (unsigned bit = prefix.length; bit < maxLength; ++bit)
        prefix.addr.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    return prefix;
}

LabelResolver fileLabelResolver(std::string path)
{
    // Read on every call, so an edited connlabel.conf applies without a restart; parsed
    // by core's LabelMap, the reader "-o labels" prints with (libnetfilter_conntrack's
    // rules), so a name resolves exactly when conntrack would print it.
    return [path = std::move(path)](std::string_view name) -> std::optional<unsigned> {
        auto map = LabelMap::load(path);
        if (!map)
            return std::nullopt;
        auto bit = map->bit(name);
        if (bit && *bit < 128)
            return bit;
        return std::nullopt;
    };
}

QueryArgs decodeQuery(const VariantMap& dict, QueryUse use, const LabelResolver& labels)
{
    DictReader reader(dict, "query key");
    auto known = withKeys(tupleKeyNames, {"src-mask", "dst-mask", "mark", "mark-mask", "status",
                                          "status-clear", "state", "labels", "nat", "nat-address",
                                          "snat", "dnat", "id"});
    if (use == QueryUse::List)
        known.insert({"table", "zero-counters"});
    if (use == QueryUse::Watch)
        known.insert("events");
    // conntrack 1.4.7 takes -c as a filter only with -L and -E, and compares it only with
    // entries that carry a secmark, which this kernel never reports (it sends CTA_SECCTX):
    // in a Delete, Flush or Update it would select the whole table.
    if (use != QueryUse::Match)
        known.insert("secmark");
    else if (reader.has("secmark"))
        reader.fail("secmark", "only List and Watch accept it (entries without a secmark match it)");
    for (const char* listOnly : {"table", "zero-counters"}) {
        if (use != QueryUse::List && reader.has(listOnly))
            reader.fail(listOnly, "only List accepts it");
    }
    if (use != QueryUse::Watch && reader.has("events"))
        reader.fail("events", "only Watch accepts it");
    reader.allowOnly(known);

    QueryArgs args;
    Query& q = args.query;
    OptionText text;

    if (auto table = reader.get<std::string>("table")) {
        if (*table == "conntrack")
            q.table = TableKind::Conntrack;
        else if (*table == "dying")
            q.table = TableKind::Dying;
        else if (*table == "unconfirmed")
            q.table = TableKind::Unconfirmed;
        else
            reader.fail("table", "must be conntrack, dying or unconfirmed, not '" + *table + "'");
        if (q.table != TableKind::Conntrack)
            text.add(*table);
    }

    FamilyCheck family(reader);
    if (auto f = decodeFamily(reader)) {
        family.require(*f, "family");
        text.add("-f", *f == AF_INET ? "ipv4" : "ipv6");
    }
    auto keys = decodeTupleKeys(reader, family, text);
    q.protocol = keys.protocol;
    q.sport = keys.sport;
    q.dport = keys.dport;
    q.replySport = keys.replySport;
    q.replyDport = keys.replyDport;
    q.icmpType = keys.icmpType;
    q.icmpCode = keys.icmpCode;
    q.icmpId = keys.icmpId;
    q.zone = keys.zone;
    q.origZone = keys.origZone;
    q.replyZone = keys.replyZone;

    // src-mask/dst-mask: conntrack's --mask-src/--mask-dst, any netmask (255.0.255.0).
    auto prefix = [&](const std::string& key, const char* option, const char* maskKey,
                      const char* maskOption) {
        auto value = reader.prefix(key);
        std::optional<Address> mask;
        if (maskKey)
            mask = reader.address(maskKey);
        if (mask && !value)
            reader.fail(maskKey, "needs '" + key + "'");
        if (!value)
            return value;
        family.require(value->addr.family, key);
        if (!mask) {
            text.add(option, formatAddress(value->addr) + "/" + std::to_string(value->length));
            return value;
        }
        const unsigned bits = value->addr.family == AF_INET ? 32 : 128;
        if (mask->family != value->addr.family)
            reader.fail(maskKey, "is not of the family of '" + key + "'");
        if (value->length != bits)
            reader.fail(maskKey, "needs a plain address in '" + key + "', not a prefix");
        text.add(option, formatAddress(value->addr));
        text.add(maskOption, formatAddress(*mask));
        *value = maskedPrefix(value->addr, *mask);
        return value;
    };
    q.src = prefix("src", "-s", "src-mask", "--mask-src");
    q.dst = prefix("dst", "-d", "dst-mask", "--mask-dst");
    q.replySrc = prefix("reply-src", "-r", nullptr, nullptr);
    q.replyDst = prefix("reply-dst", "-q", nullptr, nullptr);

    auto mark = reader.get<uint32_t>("mark");
    auto markMask = reader.get<uint32_t>("mark-mask");
    if (markMask && !mark)
        reader.fail("mark-mask", "needs 'mark'");
    if (mark) {
        q.mark = Masked32{*mark, markMask.value_or(0xffffffff)};
        text.add("-m", markText(*mark, markMask));
    }
    auto status = reader.status("status");
    auto statusClear = reader.status("status-clear");
    if (status && statusClear && (*status & *statusClear))
        reader.fail("status-clear", "'" + statusWords(*status & *statusClear) +
                                        "' is also in 'status': nothing can match");
    std::vector<std::string> statusText;
    if (status && *status) {
        q.status = status;
        statusText.push_back(statusWords(*status));
    }
    if (statusClear && *statusClear) {
        q.statusClear = statusClear;
        // Built piecewise: GCC 12 warns (-Wrestrict, a false positive) on "!" + string.
        for (unsigned bit = 0; bit < 32; ++bit) {
            if (*statusClear & (1u << bit)) {
                std::string word(1, '!');
                word += statusWords(1u << bit);
                statusText.push_back(std::move(word));
            }
        }
    }
    if (!statusText.empty())
        text.add("-u", join(statusText, ','));
    if (auto state = reader.get<std::string>("state")) {
        q.state = stateFor(reader, q.protocol, *state);
        text.add("--state", *state);
    }
    if (auto bitmap = reader.labels("labels", labels)) {
        q.labels = *bitmap;
        text.add("-l", join(labelWords(reader, "labels"), ','));
    }

    auto nat = reader.get<std::string>("nat");
    auto natAddress = reader.get<std::string>("nat-address");
    if (natAddress && !nat)
        reader.fail("nat-address", "needs 'nat'");
    if (nat) {
        NatFilter filter;
        const char* option = nullptr;
        if (*nat == "snat") {
            filter.kind = NatKind::Snat;
            option = "--src-nat";
        } else if (*nat == "dnat") {
            filter.kind = NatKind::Dnat;
            option = "--dst-nat";
        } else if (*nat == "any") {
            filter.kind = NatKind::Any;
            option = "--any-nat";
        } else {
            reader.fail("nat", "must be snat, dnat or any, not '" + *nat + "'");
        }
        if (natAddress) {
            auto parsed = parseHostPort(*natAddress);
            if (!parsed)
                reader.fail("nat-address", "'" + *natAddress + "' is not ADDR or ADDR:PORT");
            family.require(parsed->addr.family, "nat-address");
            filter.addr = parsed->addr;
            filter.port = parsed->port;
        }
        q.nat.push_back(filter);
        text.add(option, natAddress.value_or(""));
    }
    // snat/dnat: one side each, "" or ADDR[:PORT]; together they must both hold, as
    // conntrack 1.4.7's --src-nat with --dst-nat (filter_nat()).
    auto side = [&](const std::string& key, NatKind kind, const char* option) {
        auto value = reader.get<std::string>(key);
        if (!value)
            return;
        NatFilter filter;
        filter.kind = kind;
        if (!value->empty()) {
            auto parsed = parseHostPort(*value);
            if (!parsed)
                reader.fail(key, "'" + *value + "' is not '', ADDR or ADDR:PORT");
            family.require(parsed->addr.family, key);
            filter.addr = parsed->addr;
            filter.port = parsed->port;
        }
        q.nat.push_back(filter);
        text.add(option, *value);
    };
    side("snat", NatKind::Snat, "--src-nat");
    side("dnat", NatKind::Dnat, "--dst-nat");
    if (auto id = reader.get<uint32_t>("id")) {
        q.id = id;
        text.add("--id", std::to_string(*id));
    }
    if (auto secmark = reader.get<uint32_t>("secmark")) {
        q.secmark = secmark;
        text.add("-c", std::to_string(*secmark));
    }
    if (auto zero = reader.get<bool>("zero-counters"); zero && *zero) {
        q.zeroCounters = true;
        text.add("-z");
    }
    if (auto events = reader.get<std::vector<std::string>>("events")) {
        if (events->empty())
            reader.fail("events", "names no event (new, update, destroy)");
        args.events = 0;
        std::vector<std::string> upper;
        for (const auto& word : *events) {
            if (word == "new")
                args.events |= eventMask::New;
            else if (word == "update")
                args.events |= eventMask::Update;
            else if (word == "destroy")
                args.events |= eventMask::Destroy;
            else
                reader.fail("events", "unknown event '" + word + "' (new, update, destroy)");
            std::string w = word;
            std::transform(w.begin(), w.end(), w.begin(), ::toupper);
            upper.push_back(w);
        }
        text.add("-e", join(upper, ','));
    }
    q.family = family.family();
    args.interactive = reader.interactive().value_or(false);
    args.text = text.str();
    return args;
}

EntryArgs decodeEntry(const VariantMap& dict, EntryUse use, const LabelResolver& labels)
{
    DictReader reader(dict, "entry key");
    auto known = withKeys(tupleKeyNames, {"id"});
    if (use == EntryUse::Create) {
        known.insert({"timeout", "status", "state", "mark", "labels", "helper", "snat", "dnat"});
        if (reader.has("id"))
            reader.fail("id", "the kernel assigns ids; Create cannot set one");
    }
    reader.allowOnly(known);

    EntryArgs args;
    Entry& e = args.entry;
    OptionText text;
    FamilyCheck family(reader);
    if (auto f = decodeFamily(reader)) {
        family.require(*f, "family");
        text.add("-f", *f == AF_INET ? "ipv4" : "ipv6");
    }
    auto keys = decodeTupleKeys(reader, family, text);
    auto address = [&](const std::string& key, const char* option) {
        auto value = reader.address(key);
        if (value) {
            family.require(value->family, key);
            text.add(option, formatAddress(*value));
        }
        return value;
    };
    auto src = address("src", "-s");
    auto dst = address("dst", "-d");
    auto replySrc = address("reply-src", "-r");
    auto replyDst = address("reply-dst", "-q");
    auto id = reader.get<uint32_t>("id");
    if (id)
        text.add("--id", std::to_string(*id));

    // Required keys: Get needs a full tuple or an id; Create needs addresses, protocol,
    // timeout, and the layer 4 fields of its protocol (conntrack -I refuses less).
    if (!id) {
        for (const auto& [key, value] : {std::pair{"src", src.has_value()},
                                         std::pair{"dst", dst.has_value()},
                                         std::pair{"protocol", keys.protocol.has_value()}}) {
            if (!value)
                reader.fail(key, use == EntryUse::Get ? "required (or give 'id')" : "required");
        }
        if (hasPorts(*keys.protocol)) {
            if (!keys.sport)
                reader.fail("sport", "required for protocol " + protocolWord(*keys.protocol));
            if (!keys.dport)
                reader.fail("dport", "required for protocol " + protocolWord(*keys.protocol));
        }
        if (isIcmp(*keys.protocol)) {
            for (const auto& [key, value] : {std::pair{"icmp-type", keys.icmpType.has_value()},
                                             std::pair{"icmp-code", keys.icmpCode.has_value()},
                                             std::pair{"icmp-id", keys.icmpId.has_value()}}) {
                if (!value)
                    reader.fail(key, "required for protocol " + protocolWord(*keys.protocol));
            }
        }
    }

    e.family = family.family().value_or(0);
    e.id = id;
    e.zone = keys.zone;
    e.orig = makeTuple(src.value_or(Address{}), dst.value_or(Address{}), keys.protocol,
                       keys.sport, keys.dport);
    e.orig.icmpType = keys.icmpType;
    e.orig.icmpCode = keys.icmpCode;
    e.orig.icmpId = keys.icmpId;
    e.orig.zone = keys.origZone;
    // The kernel wants both tuples; like conntrack, fill what the caller left out of the
    // reply direction by inverting the original one.
    Tuple reply;
    reply.src = replySrc.value_or(e.orig.dst);
    reply.dst = replyDst.value_or(e.orig.src);
    reply.protocol = keys.protocol;
    reply.sport = keys.replySport ? keys.replySport : keys.dport;
    reply.dport = keys.replyDport ? keys.replyDport : keys.sport;
    if (keys.protocol && isIcmp(*keys.protocol) && keys.icmpType) {
        auto inverted = invertIcmpType(*keys.protocol, *keys.icmpType);
        reply.icmpType = inverted ? inverted : keys.icmpType;
        reply.icmpCode = keys.icmpCode;
        reply.icmpId = keys.icmpId;
    }
    reply.zone = keys.replyZone;
    e.reply = reply;

    if (use == EntryUse::Create) {
        auto timeout = reader.get<uint32_t>("timeout");
        if (!timeout)
            reader.fail("timeout", "required");
        e.timeout = timeout;
        text.add("-t", std::to_string(*timeout));
        if (auto status = reader.status("status")) {
            e.status = status;
            text.add("-u", statusWords(*status));
        }
        if (auto state = reader.get<std::string>("state")) {
            uint8_t value = *stateFor(reader, keys.protocol, *state);
            if (*keys.protocol == IPPROTO_TCP)
                e.tcp.emplace().state = value;
            else if (*keys.protocol == IPPROTO_SCTP)
                e.sctp.emplace().state = value;
            else
                e.dccp.emplace().state = value;
            text.add("--state", *state);
        }
        if (auto mark = reader.get<uint32_t>("mark")) {
            e.mark = mark;
            text.add("-m", std::to_string(*mark));
        }
        if (auto bitmap = reader.labels("labels", labels)) {
            e.labels = *bitmap;
            text.add("-l", join(labelWords(reader, "labels"), ','));
        }
        if (auto helper = reader.get<std::string>("helper")) {
            if (helper->empty() || helper->size() > 15) // NF_CT_HELPER_NAME_LEN - 1
                reader.fail("helper", "must be 1 to 15 characters");
            e.helper = helper;
            text.add("--helper", *helper);
        }
        auto nat = [&](const std::string& key, const char* option) -> std::optional<NatRange> {
            auto value = reader.get<std::string>(key);
            if (!value)
                return std::nullopt;
            auto parsed = parseHostPort(*value);
            if (!parsed)
                reader.fail(key, "'" + *value + "' is not ADDR or ADDR:PORT");
            family.require(parsed->addr.family, key);
            text.add(option, *value);
            return NatRange{parsed->addr, parsed->addr, parsed->port, parsed->port};
        };
        e.snat = nat("snat", "--src-nat");
        e.dnat = nat("dnat", "--dst-nat");
    }
    args.interactive = reader.interactive().value_or(false);
    args.text = text.str();
    return args;
}

ExpectationArgs decodeExpectation(const VariantMap& dict, EntryUse use)
{
    DictReader reader(dict, "expectation key");
    std::set<std::string_view> known = {"family", "protocol", "src", "dst", "sport", "dport",
                                        "id", "interactive"};
    if (use == EntryUse::Create) {
        if (reader.has("id"))
            reader.fail("id", "the kernel assigns ids; Create cannot set one");
        known.insert({"master-src", "master-dst", "master-sport", "master-dport",
                      "master-protocol", "mask-src", "mask-dst", "mask-sport", "mask-dport",
                      "timeout", "helper", "zone", "flags", "class", "nat-dir", "nat-src",
                      "nat-dst", "nat-sport", "nat-dport"});
    }
    reader.allowOnly(known);

    ExpectationArgs args;
    Expectation& x = args.expectation;
    OptionText text;
    FamilyCheck family(reader);
    if (auto f = decodeFamily(reader)) {
        family.require(*f, "family");
        text.add("-f", *f == AF_INET ? "ipv4" : "ipv6");
    }
    auto protocol = reader.protocol("protocol");
    if (protocol)
        text.add("-p", protocolWord(*protocol));
    auto masterProtocol = reader.protocol("master-protocol");
    auto address = [&](const std::string& key, const char* option) {
        auto value = reader.address(key);
        if (value) {
            family.require(value->family, key);
            text.add(option, formatAddress(*value));
        }
        return value.value_or(Address{});
    };
    auto port = [&](const std::string& key, const char* option, std::optional<uint8_t> proto) {
        auto value = reader.get<uint16_t>(key);
        if (value) {
            if (!proto)
                reader.fail(key, "needs 'protocol'");
            if (!hasPorts(*proto))
                reader.fail(key, "protocol " + protocolWord(*proto) + " has no ports");
            text.add(option, std::to_string(*value));
        }
        return value;
    };
    auto require = [&](std::initializer_list<const char*> keys) {
        for (const char* key : keys) {
            if (!reader.has(key))
                reader.fail(key, "required");
        }
    };
    x.id = reader.get<uint32_t>("id");
    if (x.id)
        text.add("--id", std::to_string(*x.id));
    if (use == EntryUse::Get && !x.id)
        require({"src", "dst", "protocol"});
    x.tuple = makeTuple(address("src", "--tuple-src"), address("dst", "--tuple-dst"), protocol,
                    port("sport", "--tuple-port-src", protocol),
                    port("dport", "--tuple-port-dst", protocol));
    if (use == EntryUse::Create) {
        require({"master-src", "master-dst", "src", "dst", "protocol", "mask-src", "mask-dst",
                 "timeout"});
        auto masterProto = masterProtocol ? masterProtocol : protocol;
        x.master = makeTuple(address("master-src", "--master-src"),
                         address("master-dst", "--master-dst"), masterProto,
                         port("master-sport", "--master-port-src", masterProto),
                         port("master-dport", "--master-port-dst", masterProto));
        x.mask = makeTuple(address("mask-src", "--mask-src"), address("mask-dst", "--mask-dst"),
                       protocol, port("mask-sport", "--mask-port-src", protocol),
                       port("mask-dport", "--mask-port-dst", protocol));
        x.timeout = reader.get<uint32_t>("timeout");
        text.add("-t", std::to_string(*x.timeout));
        x.helper = reader.get<std::string>("helper");
        if (x.helper)
            text.add("--helper", *x.helper);
        x.zone = reader.get<uint16_t>("zone");
        if (x.zone)
            text.add("--zone", std::to_string(*x.zone));
        if (auto flags = reader.get<std::vector<std::string>>("flags")) {
            // NF_CT_EXPECT_PERMANENT, _INACTIVE, _USERSPACE
            uint32_t bits = 0;
            for (const auto& word : *flags) {
                if (word == "PERMANENT")
                    bits |= 0x1;
                else if (word == "INACTIVE")
                    bits |= 0x2;
                else if (word == "USERSPACE")
                    bits |= 0x4;
                else
                    reader.fail("flags", "unknown flag '" + word + "'");
            }
            x.flags = bits;
            text.add("--flags", join(*flags, ','));
        }
        x.expectClass = reader.get<uint32_t>("class");
        auto natDir = reader.get<uint32_t>("nat-dir");
        if (reader.has("nat-src") || reader.has("nat-dst") || natDir) {
            if (natDir && *natDir > 1)
                reader.fail("nat-dir", "must be 0 (original) or 1 (reply)");
            ExpectationNat nat;
            nat.dir = natDir.value_or(0);
            nat.tuple = makeTuple(address("nat-src", "--nat-src"), address("nat-dst", "--nat-dst"),
                              protocol, port("nat-sport", "--nat-port-src", protocol),
                              port("nat-dport", "--nat-port-dst", protocol));
            x.nat = nat;
        }
    }
    x.family = family.family().value_or(0);
    args.interactive = reader.interactive().value_or(false);
    args.text = text.str();
    return args;
}

Changes decodeChanges(const VariantMap& dict, const LabelResolver& labels)
{
    DictReader reader(dict, "changes key");
    reader.allowOnly({"mark", "mark-mask", "timeout", "status", "labels", "labels-add",
                      "labels-del", "interactive"});
    Changes changes;
    OptionText text;
    auto mark = reader.get<uint32_t>("mark");
    auto markMask = reader.get<uint32_t>("mark-mask");
    if (markMask && !mark)
        reader.fail("mark-mask", "needs 'mark'");
    if (mark) {
        changes.mark = Masked32{*mark, markMask.value_or(0xffffffff)};
        text.add("-m", markText(*mark, markMask));
    }
    if (auto timeout = reader.get<uint32_t>("timeout")) {
        changes.timeout = timeout;
        text.add("-t", std::to_string(*timeout));
    }
    if (auto status = reader.status("status")) {
        changes.status = status;
        text.add("-u", statusWords(*status));
    }
    if (reader.has("labels") && (reader.has("labels-add") || reader.has("labels-del")))
        reader.fail("labels", "replaces the label set; cannot combine with labels-add/labels-del");
    changes.labels = reader.labels("labels", labels);
    if (changes.labels)
        text.add("-l", join(labelWords(reader, "labels"), ','));
    changes.labelsAdd = reader.labels("labels-add", labels);
    if (changes.labelsAdd)
        text.add("--label-add", join(labelWords(reader, "labels-add"), ','));
    changes.labelsDel = reader.labels("labels-del", labels);
    if (changes.labelsDel)
        text.add("--label-del", join(labelWords(reader, "labels-del"), ','));
    changes.interactive = reader.interactive().value_or(false);
    if (!changes.mark && !changes.timeout && !changes.status && !changes.labels &&
        !changes.labelsAdd && !changes.labelsDel)
        throw invalidArgument("changes: nothing to change (give mark, timeout, status or labels)");
    changes.text = text.str();
    return changes;
}

Options decodeOptions(const VariantMap& dict)
{
    DictReader reader(dict, "option");
    reader.allowOnly({"interactive"});
    return Options{reader.interactive().value_or(false)};
}

OutputFormat decodeFormat(std::string_view words)
{
    OutputFormat format;
    if (words.empty())
        return format;
    std::string_view rest = words;
    bool sawModifier = false;
    while (true) {
        auto comma = rest.find(',');
        std::string_view word = rest.substr(0, comma);
        auto setBase = [&](OutputFormat::Base base) {
            if (format.base != OutputFormat::Base::None)
                throw invalidArgument("format: '" + std::string(word) +
                                      "' conflicts with an earlier output format");
            format.base = base;
        };
        if (word == "plain")
            setBase(OutputFormat::Base::Plain);
        else if (word == "extended")
            setBase(OutputFormat::Base::Extended);
        else if (word == "xml")
            setBase(OutputFormat::Base::Xml);
        else if (word == "save")
            setBase(OutputFormat::Base::Save);
        else if (word == "json")
            setBase(OutputFormat::Base::Json);
        else if (word == "id")
            format.id = sawModifier = true;
        else if (word == "timestamp")
            format.timestamp = sawModifier = true;
        else if (word == "ktimestamp")
            format.ktimestamp = sawModifier = true;
        else if (word == "labels")
            format.labels = sawModifier = true;
        else if (word == "userspace")
            format.userspace = sawModifier = true;
        else if (word == "default" || word == "zone")
            throw invalidArgument("format: '" + std::string(word) +
                                  "' is rejected, as conntrack 1.4.7 rejects -o " +
                                  std::string(word));
        else
            throw invalidArgument("format: unknown word '" + std::string(word) + "'");
        if (comma == std::string_view::npos)
            break;
        rest = rest.substr(comma + 1);
    }
    if (format.base == OutputFormat::Base::None && sawModifier)
        format.base = OutputFormat::Base::Plain;
    return format;
}

} // namespace ctd::dbus
