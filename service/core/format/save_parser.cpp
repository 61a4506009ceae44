// The subset of conntrack's command line that save files use, with conntrack 1.4.7's
// tokenizer (add_param_to_argv: blanks separate, "..." quotes with \ escapes) and its
// autocompletion of a missing direction on create.
#include "format/save_parser.hpp"

#include "format/proto_names.hpp"
#include "format/save_completion.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <strings.h>
#include <sys/socket.h>

namespace ctd {

namespace {

constexpr size_t kMaxParam = 1023; // conntrack: "Parameter too long!"
constexpr size_t kMaxArgs = 254;   // conntrack: "too many arguments"
constexpr size_t kMaxLine = 10239; // conntrack reads lines with a 10240-byte fgets

Error fail(std::string message) { return makeError(EINVAL, std::move(message)); }

// Tokens are views: into the line itself where a token has no quote or escape, else into
// scratch, which has room for the whole line. Nothing is allocated unless the line fails.
struct Tokens {
    std::string_view args[2 * kMaxArgs]; // after "--name=value" splitting
    size_t count = 0;
};

Result<void> tokenize(std::string_view line, char* scratch, Tokens& out)
{
    size_t raw = 0; // tokens before --name=value splitting, for conntrack's kMaxArgs
    size_t used = 0; // bytes of scratch taken
    const char* const end = line.data() + line.size();
    const char* c = line.data();
    auto push = [&](std::string_view token) -> Result<void> {
        if (raw >= kMaxArgs)
            return fail("too many arguments");
        ++raw;
        // getopt_long, which conntrack parses with, also takes "--name=value".
        const size_t eq = token.size() > 2 && token[0] == '-' && token[1] == '-' ? token.find('=', 2)
                                                                                 : std::string_view::npos;
        if (eq != std::string_view::npos) {
            out.args[out.count++] = token.substr(0, eq);
            out.args[out.count++] = token.substr(eq + 1);
        } else {
            out.args[out.count++] = token;
        }
        return Ok{};
    };
    while (c < end) {
        const char ch = *c;
        if (ch == ' ' || ch == '\t' || ch == '\n') {
            ++c;
            continue;
        }
        // A plain token (the common case): a view of the line.
        const char* start = c;
        while (c < end && *c != ' ' && *c != '\t' && *c != '\n' && *c != '"' && *c != '\0')
            ++c;
        if (c == end || *c != '"') {
            if (c < end && *c == '\0')
                return fail("NUL byte in line");
            if (static_cast<size_t>(c - start) > kMaxParam)
                return fail("Parameter too long!");
            if (auto r = push(std::string_view(start, static_cast<size_t>(c - start))); !r)
                return r;
            continue;
        }
        // A token with quotes: unescaped into scratch.
        char* param = scratch + used;
        size_t len = static_cast<size_t>(c - start);
        std::memcpy(param, start, len);
        bool quoteOpen = false, escaped = false;
        for (; c < end; ++c) {
            const char q = *c;
            if (q == '\0')
                return fail("NUL byte in line");
            if (quoteOpen) {
                if (escaped) {
                    escaped = false;
                } else if (q == '\\') {
                    escaped = true;
                    continue;
                } else if (q == '"') {
                    quoteOpen = false;
                    continue;
                }
            } else if (q == '"') {
                quoteOpen = true;
                continue;
            } else if (q == ' ' || q == '\t' || q == '\n') {
                break;
            }
            param[len++] = q;
            if (len > kMaxParam)
                return fail("Parameter too long!");
        }
        if (quoteOpen)
            return fail("unterminated quote");
        used += len;
        if (len == 0)
            continue; // "" is no argument
        if (auto r = push(std::string_view(param, len)); !r)
            return r;
    }
    return Ok{};
}

// strtoul(s, &end, 0) with the whole string consumed and the value in [0, max].
std::optional<uint64_t> parseNumber(std::string_view s, uint64_t max)
{
    if (s.empty())
        return std::nullopt;
    unsigned base = 10;
    size_t i = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;
        i = 1;
    }
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a') + 10;
        else if (c >= 'A' && c <= 'F')
            d = static_cast<unsigned>(c - 'A') + 10;
        else
            return std::nullopt;
        if (d >= base)
            return std::nullopt;
        if (v > (max - d) / base)
            return std::nullopt;
        v = v * base + d;
    }
    return v;
}

// "a.b.c.d" in plain decimal without leading zeros: what inet_aton reads the same way.
bool parseDottedQuad(std::string_view s, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part) {
            if (i >= s.size() || s[i] != '.')
                return false;
            ++i;
        }
        const size_t first = i;
        unsigned v = 0;
        while (i < s.size() && i - first < 3 && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + static_cast<unsigned>(s[i++] - '0');
        const size_t digits = i - first;
        if (digits == 0 || v > 255 || (digits > 1 && s[first] == '0'))
            return false;
        out[part] = static_cast<uint8_t>(v);
    }
    return i == s.size();
}

std::optional<Address> parseAddress(std::string_view s)
{
    if (s.empty() || s.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    Address a;
    if (uint8_t quad[4]; parseDottedQuad(s, quad)) {
        a.family = AF_INET;
        std::memcpy(a.bytes.data(), quad, 4);
        return a;
    }
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    // conntrack tries inet_aton first, so "10.1" is 10.0.0.1 there too.
    struct in_addr v4;
    if (::inet_aton(buf, &v4)) {
        a.family = AF_INET;
        std::memcpy(a.bytes.data(), &v4, 4);
        return a;
    }
    struct in6_addr v6;
    if (::inet_pton(AF_INET6, buf, &v6) == 1) {
        a.family = AF_INET6;
        std::memcpy(a.bytes.data(), &v6, 16);
        return a;
    }
    return std::nullopt;
}

std::optional<uint8_t> parseProtocol(std::string_view s)
{
    static constexpr std::pair<std::string_view, uint8_t> kNames[] = {
        {"tcp", proto::kTcp},   {"udp", proto::kUdp},     {"udplite", proto::kUdplite},
        {"sctp", proto::kSctp}, {"dccp", proto::kDccp},   {"icmp", proto::kIcmp},
        {"icmpv6", proto::kIcmpv6}, {"ipv6-icmp", proto::kIcmpv6}, {"gre", proto::kGre},
    };
    for (const auto& [name, num] : kNames)
        if (s.size() == name.size() && ::strncasecmp(s.data(), name.data(), s.size()) == 0)
            return num;
    if (auto n = parseNumber(s, 255))
        return static_cast<uint8_t>(*n);
    return std::nullopt;
}

Result<uint32_t> parseStatus(std::string_view list)
{
    static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
        {"ASSURED", ips::kAssured},       {"SEEN_REPLY", ips::kSeenReply}, {"UNSET", 0},
        {"FIXED_TIMEOUT", ips::kFixedTimeout}, {"EXPECTED", ips::kExpected},
        {"OFFLOAD", ips::kOffload},       {"HW_OFFLOAD", ips::kHwOffload},
    };
    uint32_t status = 0;
    size_t pos = 0;
    while (true) {
        size_t comma = list.find(',', pos);
        std::string_view word = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        bool found = false;
        for (const auto& [name, bit] : kNames) {
            if (word.size() == name.size() && ::strncasecmp(word.data(), name.data(), word.size()) == 0) {
                status |= bit;
                found = true;
                break;
            }
        }
        if (!found)
            return fail("Bad parameter `" + std::string(list.substr(pos)) + "'");
        if (comma == std::string_view::npos)
            return status;
        pos = comma + 1;
    }
}

enum class Slot : uint8_t { OrigSrc, OrigDst, ReplySrc, ReplyDst };

// Every option name the parser knows, so that a line costs one table look-up per option
// instead of a chain of string compares.
enum class Opt : uint8_t {
    Unknown,
    // commands
    Add, Create, Update, Delete, Flush,
    // NAT, with an optional argument
    SrcNat, DstNat,
    // the rest take an argument
    OrigSrc, OrigDst, ReplySrc, ReplyDst, Protonum, Timeout, Status, Mark, Secmark, Zone,
    OrigZone, ReplyZone, Family, Label,
    // protocol options (only with -p, and only when the name starts with "--")
    Sport, Dport, OrigPortSrc, OrigPortDst, ReplyPortSrc, ReplyPortDst, SrcKey, DstKey,
    ReplyKeySrc, ReplyKeyDst, State, OrigVtag, ReplyVtag, Role, IcmpType, IcmpCode, IcmpId,
    Icmpv6Type, Icmpv6Code, Icmpv6Id,
};

Opt lookupOption(std::string_view name)
{
    if (name.size() == 2 && name[0] == '-') {
        switch (name[1]) {
        case 'A': return Opt::Add;
        case 'I': return Opt::Create;
        case 'U': return Opt::Update;
        case 'D': return Opt::Delete;
        case 'F': return Opt::Flush;
        case 'n': return Opt::SrcNat;
        case 'g': return Opt::DstNat;
        case 's': return Opt::OrigSrc;
        case 'd': return Opt::OrigDst;
        case 'r': return Opt::ReplySrc;
        case 'q': return Opt::ReplyDst;
        case 'p': return Opt::Protonum;
        case 't': return Opt::Timeout;
        case 'u': return Opt::Status;
        case 'm': return Opt::Mark;
        case 'c': return Opt::Secmark;
        case 'w': return Opt::Zone;
        case 'f': return Opt::Family;
        case 'l': return Opt::Label;
        default: return Opt::Unknown;
        }
    }
    static constexpr std::pair<std::string_view, Opt> kLong[] = {
        {"--sport", Opt::Sport}, {"--dport", Opt::Dport}, {"--reply-port-src", Opt::ReplyPortSrc},
        {"--reply-port-dst", Opt::ReplyPortDst}, {"--state", Opt::State},
        {"--add", Opt::Add}, {"--create", Opt::Create}, {"--update", Opt::Update},
        {"--delete", Opt::Delete}, {"--flush", Opt::Flush}, {"--src-nat", Opt::SrcNat},
        {"--dst-nat", Opt::DstNat}, {"--src", Opt::OrigSrc}, {"--orig-src", Opt::OrigSrc},
        {"--dst", Opt::OrigDst}, {"--orig-dst", Opt::OrigDst}, {"--reply-src", Opt::ReplySrc},
        {"--reply-dst", Opt::ReplyDst}, {"--protonum", Opt::Protonum}, {"--timeout", Opt::Timeout},
        {"--status", Opt::Status}, {"--mark", Opt::Mark}, {"--secmark", Opt::Secmark},
        {"--zone", Opt::Zone}, {"--orig-zone", Opt::OrigZone}, {"--reply-zone", Opt::ReplyZone},
        {"--family", Opt::Family}, {"--label", Opt::Label}, {"--label-add", Opt::Label},
        {"--orig-port-src", Opt::OrigPortSrc}, {"--orig-port-dst", Opt::OrigPortDst},
        {"--srckey", Opt::SrcKey}, {"--dstkey", Opt::DstKey}, {"--reply-key-src", Opt::ReplyKeySrc},
        {"--reply-key-dst", Opt::ReplyKeyDst}, {"--orig-vtag", Opt::OrigVtag},
        {"--reply-vtag", Opt::ReplyVtag}, {"--role", Opt::Role}, {"--icmp-type", Opt::IcmpType},
        {"--icmp-code", Opt::IcmpCode}, {"--icmp-id", Opt::IcmpId}, {"--icmpv6-type", Opt::Icmpv6Type},
        {"--icmpv6-code", Opt::Icmpv6Code}, {"--icmpv6-id", Opt::Icmpv6Id},
    };
    if (name.size() < 5 || name[0] != '-' || name[1] != '-')
        return Opt::Unknown;
    for (const auto& [n, opt] : kLong)
        if (n.size() == name.size() && n[2] == name[2] && std::memcmp(n.data(), name.data(), n.size()) == 0)
            return opt;
    return Opt::Unknown;
}

struct Parser {
    explicit Parser(const SaveParseOptions& o) : options(o) {}
    const SaveParseOptions& options;
    SaveCommand cmd;
    SaveLineSeen seen;
    bool replyPortGiven = false;
    Entry& e() { return cmd.entry; }

    static std::string str(std::string_view v) { return std::string(v); }

    Result<void> setFamily(uint8_t f)
    {
        if (seen.family && *seen.family != f)
            return fail("mismatched address family");
        seen.family = f;
        return Ok{};
    }

    Result<void> setAddress(Slot slot, std::string_view value, std::string_view opt)
    {
        auto a = parseAddress(value);
        if (!a)
            return fail("Invalid IP address `" + str(value) + "' for `" + str(opt) + "'");
        if (auto r = setFamily(a->family); !r)
            return r;
        switch (slot) {
        case Slot::OrigSrc: e().orig.src = *a; break;
        case Slot::OrigDst: e().orig.dst = *a; break;
        case Slot::ReplySrc: e().reply.src = *a; break;
        case Slot::ReplyDst: e().reply.dst = *a; break;
        }
        seen.addr[static_cast<int>(slot)] = true;
        return Ok{};
    }

    // -n/-g ADDR[:PORT] (IPv6 with a port as [ADDR]:PORT).
    Result<void> setNat(bool dst, std::string_view value, std::string_view opt)
    {
        std::string_view host = value;
        std::optional<uint16_t> port;
        size_t colon = std::string_view::npos;
        if (!value.empty() && value.front() == '[') {
            size_t close = value.find(']');
            if (close == std::string_view::npos || close == 1)
                return fail("Invalid NAT address `" + str(value) + "' for `" + str(opt) + "'");
            host = value.substr(1, close - 1);
            if (close + 1 < value.size()) {
                if (value[close + 1] != ':')
                    return fail("Invalid NAT address `" + str(value) + "' for `" + str(opt) + "'");
                colon = close + 1;
            }
        } else if ((colon = value.find(':')) != std::string_view::npos &&
                   value.find(':', colon + 1) == std::string_view::npos) {
            host = value.substr(0, colon);
        } else {
            colon = std::string_view::npos;
        }
        if (colon != std::string_view::npos) {
            auto p = parseNumber(value.substr(colon + 1), 65535);
            if (!p || *p == 0)
                return fail("Invalid port `" + str(value.substr(colon + 1)) + "'");
            port = static_cast<uint16_t>(*p);
        }
        auto a = parseAddress(host);
        if (!a)
            return fail("Invalid IP address `" + str(host) + "' for `" + str(opt) + "'");
        if (auto r = setFamily(a->family); !r)
            return r;
        NatRange range{*a, *a, port, port};
        // In save output -g/-n stand where -r/-q would: they are the reply tuple's address.
        if (dst) {
            e().dnat = range;
            e().reply.src = *a;
            seen.addr[static_cast<int>(Slot::ReplySrc)] = true;
            if (port)
                e().reply.sport = *port;
        } else {
            e().snat = range;
            e().reply.dst = *a;
            seen.addr[static_cast<int>(Slot::ReplyDst)] = true;
            if (port)
                e().reply.dport = *port;
        }
        return Ok{};
    }

    Result<void> setLabels(std::string_view list)
    {
        if (!options.labels)
            return fail("labels need a connlabel.conf map");
        size_t pos = 0;
        while (true) {
            size_t comma = list.find(',', pos);
            std::string_view name = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
            auto bit = options.labels->bit(name);
            if (!bit)
                return fail("unknown label '" + str(name) + "'");
            setLabelBit(e().labels, *bit);
            if (comma == std::string_view::npos)
                return Ok{};
            pos = comma + 1;
        }
    }

    template <typename T>
    Result<void> number(std::string_view value, std::string_view opt, uint64_t max, std::optional<T>& out)
    {
        auto v = parseNumber(value, max);
        if (!v)
            return fail("Invalid value `" + str(value) + "' for `" + str(opt) + "'");
        out = static_cast<T>(*v);
        return Ok{};
    }

    static Result<void> swappedVtag(Result<void> parsed, std::optional<uint32_t>& vtag)
    {
        if (parsed && vtag)
            vtag = htonl(*vtag);
        return parsed;
    }

    Result<void> protoOption(Opt o, std::string_view opt, std::string_view value);
    Result<void> option(std::string_view opt, const Tokens& args, size_t& i);
    Result<void> finish();
};

Result<void> Parser::protoOption(Opt o, std::string_view opt, std::string_view value)
{
    const uint8_t p = e().orig.protocol.value_or(0);
    auto unknown = [&]() { return fail("unknown option `" + str(opt) + "' for protocol " + str(l4ProtoName(p))); };
    if (hasPorts(p)) {
        switch (o) {
        case Opt::Sport:
        case Opt::OrigPortSrc: return number(value, opt, 65535, e().orig.sport);
        case Opt::Dport:
        case Opt::OrigPortDst: return number(value, opt, 65535, e().orig.dport);
        case Opt::ReplyPortSrc: replyPortGiven = true; return number(value, opt, 65535, e().reply.sport);
        case Opt::ReplyPortDst: replyPortGiven = true; return number(value, opt, 65535, e().reply.dport);
        default: break;
        }
    } else if (p == proto::kGre) {
        switch (o) {
        case Opt::SrcKey: return number(value, opt, 65535, e().orig.sport);
        case Opt::DstKey: return number(value, opt, 65535, e().orig.dport);
        case Opt::ReplyKeySrc: replyPortGiven = true; return number(value, opt, 65535, e().reply.sport);
        case Opt::ReplyKeyDst: replyPortGiven = true; return number(value, opt, 65535, e().reply.dport);
        default: break;
        }
    }
    if (p == proto::kTcp && o == Opt::State) {
        auto s = tcpStateFromName(value);
        if (!s)
            return fail("unknown TCP state `" + str(value) + "'");
        if (!e().tcp)
            e().tcp.emplace();
        e().tcp->state = *s;
        return Ok{};
    }
    if (p == proto::kSctp) {
        if (!e().sctp)
            e().sctp.emplace();
        if (o == Opt::State) {
            auto s = sctpStateFromName(value);
            if (!s)
                return fail("unknown SCTP state `" + str(value) + "'");
            e().sctp->state = *s;
            return Ok{};
        }
        // Save files hold conntrack 1.4.7's byte-swapped vtags (see save_writer.cpp).
        if (o == Opt::OrigVtag)
            return swappedVtag(number(value, opt, 0xffffffffu, e().sctp->vtagOrig), e().sctp->vtagOrig);
        if (o == Opt::ReplyVtag)
            return swappedVtag(number(value, opt, 0xffffffffu, e().sctp->vtagReply), e().sctp->vtagReply);
    }
    if (p == proto::kDccp) {
        if (!e().dccp)
            e().dccp.emplace();
        if (o == Opt::State) {
            auto s = dccpStateFromName(value);
            if (!s)
                return fail("unknown DCCP state `" + str(value) + "'");
            e().dccp->state = *s;
            return Ok{};
        }
        if (o == Opt::Role) {
            auto r = dccpRoleFromName(value);
            if (!r)
                return fail("unknown DCCP role `" + str(value) + "'");
            e().dccp->role = *r;
            return Ok{};
        }
    }
    if (isIcmp(p)) {
        const bool v4 = p == proto::kIcmp;
        if (o == (v4 ? Opt::IcmpType : Opt::Icmpv6Type))
            return number(value, opt, 255, e().orig.icmpType);
        if (o == (v4 ? Opt::IcmpCode : Opt::Icmpv6Code))
            return number(value, opt, 255, e().orig.icmpCode);
        if (o == (v4 ? Opt::IcmpId : Opt::Icmpv6Id))
            return number(value, opt, 65535, e().orig.icmpId);
    }
    return unknown();
}

Result<void> Parser::option(std::string_view opt, const Tokens& args, size_t& i)
{
    const Opt o = lookupOption(opt);
    switch (o) {
    case Opt::Add:
    case Opt::Create:
    case Opt::Update:
    case Opt::Delete:
    case Opt::Flush:
        if (seen.command)
            return fail("Invalid commands combination");
        seen.command = true;
        cmd.command = o == Opt::Add ? 'A' : o == Opt::Create ? 'I' : o == Opt::Update ? 'U' : o == Opt::Delete ? 'D' : 'F';
        // "-D conntrack": the optional table argument.
        if (i + 1 < args.count && args.args[i + 1] == "conntrack")
            ++i;
        return Ok{};
    case Opt::SrcNat:
    case Opt::DstNat:
        // Options with an optional argument (conntrack's -n/-g without address = any NAT).
        if (i + 1 < args.count && !args.args[i + 1].empty() && args.args[i + 1][0] != '-')
            return setNat(o == Opt::DstNat, args.args[++i], opt);
        return Ok{};
    default:
        break;
    }
    if (i + 1 >= args.count)
        return fail("option `" + str(opt) + "' requires an argument");
    const std::string_view value = args.args[++i];

    switch (o) {
    case Opt::OrigSrc: return setAddress(Slot::OrigSrc, value, opt);
    case Opt::OrigDst: return setAddress(Slot::OrigDst, value, opt);
    case Opt::ReplySrc: return setAddress(Slot::ReplySrc, value, opt);
    case Opt::ReplyDst: return setAddress(Slot::ReplyDst, value, opt);
    case Opt::Protonum: {
        if (seen.protocol)
            return fail("protocol given twice");
        auto p = parseProtocol(value);
        if (!p)
            return fail("`" + str(value) + "' unsupported protocol");
        seen.protocol = true;
        e().orig.protocol = *p;
        e().reply.protocol = *p;
        return Ok{};
    }
    case Opt::Timeout:
        seen.timeout = true;
        return number(value, opt, 0xffffffffu, e().timeout);
    case Opt::Status: {
        auto s = parseStatus(value);
        if (!s)
            return s.error();
        e().status = *s;
        return Ok{};
    }
    case Opt::Mark: {
        size_t slash = value.find('/');
        if (auto r = number(value.substr(0, slash), opt, 0xffffffffu, e().mark); !r)
            return r;
        if (slash != std::string_view::npos)
            return number(value.substr(slash + 1), opt, 0xffffffffu, cmd.markMask);
        return Ok{};
    }
    case Opt::Secmark: return number(value, opt, 0xffffffffu, e().secmark);
    case Opt::Zone: return number(value, opt, 65535, e().zone);
    case Opt::OrigZone: return number(value, opt, 65535, e().orig.zone);
    case Opt::ReplyZone: return number(value, opt, 65535, e().reply.zone);
    case Opt::Family:
        if (value == "ipv4")
            return setFamily(AF_INET);
        if (value == "ipv6")
            return setFamily(AF_INET6);
        return fail("`" + str(value) + "' unsupported protocol");
    case Opt::Label: return setLabels(value);
    default: break;
    }
    if (opt.size() > 2 && opt[0] == '-' && opt[1] == '-' && seen.protocol)
        return protoOption(o, opt, value);
    return fail("unknown option `" + str(opt) + "'");
}

Result<void> Parser::finish() { return completeSaveCommand(cmd, seen); }

} // namespace

Result<std::optional<SaveCommand>> parseSaveLine(std::string_view line, const SaveParseOptions& options)
{
    if (line.size() > kMaxLine)
        return fail("line too long");
    size_t start = 0;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t'))
        ++start;
    line.remove_prefix(start);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.empty() || line[0] == '\n' || line[0] == '#')
        return std::optional<SaveCommand>{};

    char scratch[kMaxLine + 1];
    Tokens args;
    if (auto r = tokenize(line, scratch, args); !r)
        return r.error();
    if (args.count == 0)
        return std::optional<SaveCommand>{};

    Parser p(options);
    for (size_t i = 0; i < args.count; ++i) {
        const std::string_view a = args.args[i];
        if (a.size() < 2 || a[0] != '-')
            return fail("unexpected argument `" + std::string(a) + "'");
        if (auto r = p.option(a, args, i); !r)
            return r.error();
    }
    if (auto r = p.finish(); !r)
        return r.error();
    return std::optional<SaveCommand>{std::move(p.cmd)};
}

Result<std::vector<SaveCommand>> parseSaveText(std::string_view text, const SaveParseOptions& options)
{
    std::vector<SaveCommand> out;
    size_t lineNo = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        ++lineNo;
        size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        auto r = parseSaveLine(line, options);
        if (!r)
            return makeError(r.error().code, "line " + std::to_string(lineNo) + ": " + r.error().message);
        if (*r)
            out.push_back(std::move(**r));
    }
    return out;
}

} // namespace ctd
