// The save-line parser as it was before it was rewritten for speed (string tokens, a chain
// of string compares per option), kept as the oracle of test_save_fast.cpp: the fast
// parser must accept, reject (with the same message) and fill exactly what this one does.
// What both do once the options are read is one function (format/save_completion.cpp),
// checked against conntrack 1.4.7 itself by the save corpus and the differential tests.
// (Original header:) The subset of conntrack's command line that save files use, with conntrack 1.4.7's
// tokenizer (add_param_to_argv: blanks separate, "..." quotes with \ escapes) and its
// autocompletion of a missing direction on create.
#include "save_parser_reference.hpp"

#include "format/proto_names.hpp"
#include "format/save_completion.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <strings.h>
#include <sys/socket.h>

namespace ctd::reference {

namespace {

constexpr size_t kMaxParam = 1023; // conntrack: "Parameter too long!"
constexpr size_t kMaxArgs = 254;   // conntrack: "too many arguments"
constexpr size_t kMaxLine = 10239; // conntrack reads lines with a 10240-byte fgets

Error fail(std::string message) { return makeError(EINVAL, std::move(message)); }

Result<std::vector<std::string>> tokenize(std::string_view line)
{
    std::vector<std::string> args;
    std::string param;
    bool quoteOpen = false, escaped = false;
    for (char c : line) {
        if (c == '\0')
            return fail("NUL byte in line");
        if (quoteOpen) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
                continue;
            } else if (c == '"') {
                quoteOpen = false;
                continue;
            }
            param += c;
        } else if (c == '"') {
            quoteOpen = true;
            continue;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (param.empty())
                continue;
            if (args.size() >= kMaxArgs)
                return fail("too many arguments");
            args.push_back(std::move(param));
            param.clear();
            continue;
        } else {
            param += c;
        }
        if (param.size() > kMaxParam)
            return fail("Parameter too long!");
    }
    if (quoteOpen)
        return fail("unterminated quote");
    if (!param.empty()) {
        if (args.size() >= kMaxArgs)
            return fail("too many arguments");
        args.push_back(std::move(param));
    }
    return args;
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

std::optional<Address> parseAddress(std::string_view s)
{
    if (s.empty() || s.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    Address a;
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

struct Parser {
    explicit Parser(const SaveParseOptions& o) : options(o) {}
    const SaveParseOptions& options;
    SaveCommand cmd;
    SaveLineSeen seen;
    bool replyPortGiven = false;
    Entry& e() { return cmd.entry; }

    Result<void> setFamily(uint8_t f)
    {
        if (seen.family && *seen.family != f)
            return fail("mismatched address family");
        seen.family = f;
        return Ok{};
    }

    Result<void> setAddress(Slot slot, std::string_view value, const std::string& opt)
    {
        auto a = parseAddress(value);
        if (!a)
            return fail("Invalid IP address `" + std::string(value) + "' for `" + opt + "'");
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
    Result<void> setNat(bool dst, std::string_view value, const std::string& opt)
    {
        std::string_view host = value;
        std::optional<uint16_t> port;
        size_t colon = std::string_view::npos;
        if (!value.empty() && value.front() == '[') {
            size_t close = value.find(']');
            if (close == std::string_view::npos || close == 1)
                return fail("Invalid NAT address `" + std::string(value) + "' for `" + opt + "'");
            host = value.substr(1, close - 1);
            if (close + 1 < value.size()) {
                if (value[close + 1] != ':')
                    return fail("Invalid NAT address `" + std::string(value) + "' for `" + opt + "'");
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
                return fail("Invalid port `" + std::string(value.substr(colon + 1)) + "'");
            port = static_cast<uint16_t>(*p);
        }
        auto a = parseAddress(host);
        if (!a)
            return fail("Invalid IP address `" + std::string(host) + "' for `" + opt + "'");
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
                return fail("unknown label '" + std::string(name) + "'");
            setLabelBit(e().labels, *bit);
            if (comma == std::string_view::npos)
                return Ok{};
            pos = comma + 1;
        }
    }

    template <typename T>
    Result<void> number(std::string_view value, const std::string& opt, uint64_t max, std::optional<T>& out)
    {
        auto v = parseNumber(value, max);
        if (!v)
            return fail("Invalid value `" + std::string(value) + "' for `" + opt + "'");
        out = static_cast<T>(*v);
        return Ok{};
    }

    static Result<void> swappedVtag(Result<void> parsed, std::optional<uint32_t>& vtag)
    {
        if (parsed && vtag)
            vtag = htonl(*vtag);
        return parsed;
    }

    Result<void> protoOption(const std::string& opt, std::string_view value);
    Result<void> option(const std::string& opt, const std::vector<std::string>& args, size_t& i);
    Result<void> finish();
};

Result<void> Parser::protoOption(const std::string& opt, std::string_view value)
{
    const uint8_t p = e().orig.protocol.value_or(0);
    auto unknown = [&]() { return fail("unknown option `" + opt + "' for protocol " + std::string(l4ProtoName(p))); };
    if (hasPorts(p) || p == proto::kGre) {
        const bool gre = p == proto::kGre;
        if (opt == (gre ? "--srckey" : "--sport") || (!gre && opt == "--orig-port-src"))
            return number(value, opt, 65535, e().orig.sport);
        if (opt == (gre ? "--dstkey" : "--dport") || (!gre && opt == "--orig-port-dst"))
            return number(value, opt, 65535, e().orig.dport);
        if (opt == (gre ? "--reply-key-src" : "--reply-port-src")) {
            replyPortGiven = true;
            return number(value, opt, 65535, e().reply.sport);
        }
        if (opt == (gre ? "--reply-key-dst" : "--reply-port-dst")) {
            replyPortGiven = true;
            return number(value, opt, 65535, e().reply.dport);
        }
    }
    if (p == proto::kTcp && opt == "--state") {
        auto s = tcpStateFromName(value);
        if (!s)
            return fail("unknown TCP state `" + std::string(value) + "'");
        if (!e().tcp)
            e().tcp.emplace();
        e().tcp->state = *s;
        return Ok{};
    }
    if (p == proto::kSctp) {
        if (!e().sctp)
            e().sctp.emplace();
        if (opt == "--state") {
            auto s = sctpStateFromName(value);
            if (!s)
                return fail("unknown SCTP state `" + std::string(value) + "'");
            e().sctp->state = *s;
            return Ok{};
        }
        // Save files hold conntrack 1.4.7's byte-swapped vtags (see save_writer.cpp).
        if (opt == "--orig-vtag")
            return swappedVtag(number(value, opt, 0xffffffffu, e().sctp->vtagOrig), e().sctp->vtagOrig);
        if (opt == "--reply-vtag")
            return swappedVtag(number(value, opt, 0xffffffffu, e().sctp->vtagReply), e().sctp->vtagReply);
    }
    if (p == proto::kDccp) {
        if (!e().dccp)
            e().dccp.emplace();
        if (opt == "--state") {
            auto s = dccpStateFromName(value);
            if (!s)
                return fail("unknown DCCP state `" + std::string(value) + "'");
            e().dccp->state = *s;
            return Ok{};
        }
        if (opt == "--role") {
            auto r = dccpRoleFromName(value);
            if (!r)
                return fail("unknown DCCP role `" + std::string(value) + "'");
            e().dccp->role = *r;
            return Ok{};
        }
    }
    if (isIcmp(p)) {
        const std::string pre = p == proto::kIcmp ? "--icmp-" : "--icmpv6-";
        if (opt == pre + "type")
            return number(value, opt, 255, e().orig.icmpType);
        if (opt == pre + "code")
            return number(value, opt, 255, e().orig.icmpCode);
        if (opt == pre + "id")
            return number(value, opt, 65535, e().orig.icmpId);
    }
    return unknown();
}

bool isCommand(const std::string& a, char& c)
{
    static constexpr std::pair<std::string_view, char> kCommands[] = {
        {"-A", 'A'}, {"--add", 'A'},    {"-I", 'I'}, {"--create", 'I'}, {"-U", 'U'},
        {"--update", 'U'}, {"-D", 'D'}, {"--delete", 'D'}, {"-F", 'F'}, {"--flush", 'F'},
    };
    for (const auto& [name, cmd] : kCommands)
        if (a == name) {
            c = cmd;
            return true;
        }
    return false;
}

Result<void> Parser::option(const std::string& opt, const std::vector<std::string>& args, size_t& i)
{
    char c;
    if (isCommand(opt, c)) {
        if (seen.command)
            return fail("Invalid commands combination");
        seen.command = true;
        cmd.command = c;
        // "-D conntrack": the optional table argument.
        if (i + 1 < args.size() && args[i + 1] == "conntrack")
            ++i;
        return Ok{};
    }
    // Options with an optional argument (conntrack's -n/-g without address = any NAT).
    const bool natOpt = opt == "-n" || opt == "--src-nat" || opt == "-g" || opt == "--dst-nat";
    if (natOpt) {
        if (i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-')
            return setNat(opt == "-g" || opt == "--dst-nat", args[++i], opt);
        return Ok{};
    }
    if (i + 1 >= args.size())
        return fail("option `" + opt + "' requires an argument");
    const std::string& value = args[++i];

    if (opt == "-s" || opt == "--src" || opt == "--orig-src")
        return setAddress(Slot::OrigSrc, value, opt);
    if (opt == "-d" || opt == "--dst" || opt == "--orig-dst")
        return setAddress(Slot::OrigDst, value, opt);
    if (opt == "-r" || opt == "--reply-src")
        return setAddress(Slot::ReplySrc, value, opt);
    if (opt == "-q" || opt == "--reply-dst")
        return setAddress(Slot::ReplyDst, value, opt);
    if (opt == "-p" || opt == "--protonum") {
        if (seen.protocol)
            return fail("protocol given twice");
        auto p = parseProtocol(value);
        if (!p)
            return fail("`" + value + "' unsupported protocol");
        seen.protocol = true;
        e().orig.protocol = *p;
        e().reply.protocol = *p;
        return Ok{};
    }
    if (opt == "-t" || opt == "--timeout") {
        seen.timeout = true;
        return number(value, opt, 0xffffffffu, e().timeout);
    }
    if (opt == "-u" || opt == "--status") {
        auto s = parseStatus(value);
        if (!s)
            return s.error();
        e().status = *s;
        return Ok{};
    }
    if (opt == "-m" || opt == "--mark") {
        size_t slash = value.find('/');
        if (auto r = number(std::string_view(value).substr(0, slash), opt, 0xffffffffu, e().mark); !r)
            return r;
        if (slash != std::string::npos)
            return number(std::string_view(value).substr(slash + 1), opt, 0xffffffffu, cmd.markMask);
        return Ok{};
    }
    if (opt == "-c" || opt == "--secmark")
        return number(value, opt, 0xffffffffu, e().secmark);
    if (opt == "-w" || opt == "--zone")
        return number(value, opt, 65535, e().zone);
    if (opt == "--orig-zone")
        return number(value, opt, 65535, e().orig.zone);
    if (opt == "--reply-zone")
        return number(value, opt, 65535, e().reply.zone);
    if (opt == "-f" || opt == "--family") {
        if (value == "ipv4")
            return setFamily(AF_INET);
        if (value == "ipv6")
            return setFamily(AF_INET6);
        return fail("`" + value + "' unsupported protocol");
    }
    if (opt == "-l" || opt == "--label" || opt == "--label-add")
        return setLabels(value);
    if (opt.size() > 2 && opt[0] == '-' && opt[1] == '-' && seen.protocol)
        return protoOption(opt, value);
    return fail("unknown option `" + opt + "'");
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

    auto args = tokenize(line);
    if (!args)
        return args.error();
    if (args->empty())
        return std::optional<SaveCommand>{};

    // getopt_long, which conntrack parses with, also takes "--name=value".
    std::vector<std::string> expanded;
    expanded.reserve(args->size());
    for (std::string& a : *args) {
        const size_t eq = a.find('=');
        if (a.size() > 2 && a[0] == '-' && a[1] == '-' && eq != std::string::npos) {
            expanded.push_back(a.substr(0, eq));
            expanded.push_back(a.substr(eq + 1));
        } else {
            expanded.push_back(std::move(a));
        }
    }
    *args = std::move(expanded);

    Parser p(options);
    for (size_t i = 0; i < args->size(); ++i) {
        const std::string& a = (*args)[i];
        if (a.size() < 2 || a[0] != '-')
            return fail("unexpected argument `" + a + "'");
        if (auto r = p.option(a, *args, i); !r)
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
        auto r = reference::parseSaveLine(line, options);
        if (!r)
            return makeError(r.error().code, "line " + std::to_string(lineNo) + ": " + r.error().message);
        if (*r)
            out.push_back(std::move(**r));
    }
    return out;
}

} // namespace ctd::reference
