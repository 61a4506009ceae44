#include "conntrack_cli.hpp"

#include "conntrack_protos.hpp"
#include "conntrack_values.hpp"
#include "format/label_map.hpp"

#include <getopt.h>
#include <sys/socket.h>
#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ctd::cli {

namespace {

constexpr const char* kPrefix = "conntrack v1.4.7 (conntrack-tools): ";
constexpr const char* kOptString = ":L::I::U::D::G::E::F::A::hVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::"
                                   "g::c:b:C::Sj::w:l:<:>::(:):";

const option kMainOptions[] = {
    {"dump", 2, nullptr, 'L'},        {"create", 2, nullptr, 'I'},
    {"add", 2, nullptr, 'A'},         {"delete", 2, nullptr, 'D'},
    {"update", 2, nullptr, 'U'},      {"get", 2, nullptr, 'G'},
    {"flush", 2, nullptr, 'F'},       {"event", 2, nullptr, 'E'},
    {"counter", 2, nullptr, 'C'},     {"stats", 0, nullptr, 'S'},
    {"version", 0, nullptr, 'V'},     {"help", 0, nullptr, 'h'},
    {"orig-src", 1, nullptr, 's'},    {"src", 1, nullptr, 's'},
    {"orig-dst", 1, nullptr, 'd'},    {"dst", 1, nullptr, 'd'},
    {"reply-src", 1, nullptr, 'r'},   {"reply-dst", 1, nullptr, 'q'},
    {"protonum", 1, nullptr, 'p'},    {"timeout", 1, nullptr, 't'},
    {"status", 1, nullptr, 'u'},      {"zero", 0, nullptr, 'z'},
    {"event-mask", 1, nullptr, 'e'},  {"tuple-src", 1, nullptr, '['},
    {"tuple-dst", 1, nullptr, ']'},   {"mask-src", 1, nullptr, '{'},
    {"mask-dst", 1, nullptr, '}'},    {"nat-range", 1, nullptr, 'a'},
    {"mark", 1, nullptr, 'm'},        {"secmark", 1, nullptr, 'c'},
    {"id", 2, nullptr, 'i'},          {"family", 1, nullptr, 'f'},
    {"src-nat", 2, nullptr, 'n'},     {"dst-nat", 2, nullptr, 'g'},
    {"output", 1, nullptr, 'o'},      {"buffer-size", 1, nullptr, 'b'},
    {"any-nat", 2, nullptr, 'j'},     {"zone", 1, nullptr, 'w'},
    {"label", 1, nullptr, 'l'},       {"label-add", 1, nullptr, '<'},
    {"label-del", 2, nullptr, '>'},   {"orig-zone", 1, nullptr, '('},
    {"reply-zone", 1, nullptr, ')'},
};

const std::vector<const char*> kOptFlags = {
    "src", "dst", "reply-src", "reply-dst", "protonum", "timeout", "status", "zero",
    "event-mask", "tuple-src", "tuple-dst", "mask-src", "mask-dst", "nat-range", "mark", "id",
    "family", "src-nat", "dst-nat", "output", "secmark", "buffer-size", "any-nat", "zone",
    "label", "label-add", "label-del", "orig-zone", "reply-zone",
};

// commands_v_options, one string per command, one digit per option bit (see conntrack.c).
const char* const kMatrix[kNumberOfCommands + 1] = {
    "22222022000220202222202220022", // CT_LIST
    "33331120000002200220000202022", // CT_CREATE
    "22222220000220222222000022200", // CT_UPDATE
    "22222220000220222222000220022", // CT_DELETE
    "33331000000000020002000020000", // CT_GET
    "00000000000000002000000000000", // CT_FLUSH
    "22222000200220202222222220022", // CT_EVENT
    "00000000000000000000000000000", // CT_VERSION
    "00002000000000000000000000000", // CT_HELP
    "00000000000000002002000000000", // EXP_LIST
    "11221120011110000000000000000", // EXP_CREATE
    "11221000000000000000000000000", // EXP_DELETE
    "11221000000000000000000000000", // EXP_GET
    "00000000000000000000000000000", // EXP_FLUSH
    "00000000000000000002000000000", // EXP_EVENT
    "00000000000000000000000000000", // CT_COUNT
    "00000000000000000000000000000", // EXP_COUNT
    "00000000000000000000000000000", // CT_STATS
    "00000000000000000000000000000", // EXP_STATS
    "33331120000002200220000202022", // CT_ADD
    // No command: conntrack reads past its table here; on 1.4.7 every option is illegal.
    "00000000000000000000000000000",
};

constexpr int kOptionOffset = 256;

std::string rest(const char* text) { return text ? text : ""; }

class Parser {
public:
    Parser(const std::vector<std::string>& args, const LabelSource& labels) : labels_(labels)
    {
        storage_.push_back("conntrack");
        storage_.insert(storage_.end(), args.begin(), args.end());
        for (auto& s : storage_)
            argv_.push_back(s.data());
        argv_.push_back(nullptr);
        for (const auto& o : kMainOptions)
            options_.push_back(o);
        options_.push_back(option{nullptr, 0, nullptr, 0});
    }

    void run(ParseResult& result)
    {
        Request& r = result.request;
        uint32_t command = 0;
        Table table = Table::Conntrack;
        const int argc = static_cast<int>(storage_.size());
        opterr = 0;
        optind = 0;
        int c = 0;
        while ((c = getopt_long(argc, argv_.data(), kOptString, options_.data(), nullptr)) != -1) {
            switch (c) {
            case 'L': {
                table = checkType(argc);
                const Command cmd = table == Table::Expect ? Command::ExpList : Command::List;
                addCommand(command, cmd);
                break;
            }
            case 'I': case 'D': case 'G': case 'F': case 'E': case 'V': case 'h': case 'C':
            case 'S': case 'U': case 'A': {
                table = checkType(argc);
                if (table == Table::Dying || table == Table::Unconfirmed)
                    throw CliExit{kParameterProblem,
                                  "Can't do that command with tables `dying' and `unconfirmed'"};
                const auto cmd = commandFor(c, table == Table::Expect);
                if (!cmd)
                    throw CliExit{kParameterProblem,
                                  std::string("Can't do --") + longName(c) + " on " +
                                      (table == Table::Conntrack ? "conntrack" : "expectations")};
                addCommand(command, *cmd);
                break;
            }
            case 's': address(r, c, optarg, r.src, &r.maskSrc, opt::OrigSrc, opt::MaskSrc); break;
            case 'd': address(r, c, optarg, r.dst, &r.maskDst, opt::OrigDst, opt::MaskDst); break;
            case 'r': address(r, c, optarg, r.replySrc, nullptr, opt::ReplSrc, opt::MaskSrc); break;
            case 'q': address(r, c, optarg, r.replyDst, nullptr, opt::ReplDst, opt::MaskDst); break;
            case '[': address(r, c, optarg, r.tupleSrc, &r.maskSrc, opt::ExpSrc, opt::MaskSrc); break;
            case ']': address(r, c, optarg, r.tupleDst, &r.maskDst, opt::ExpDst, opt::MaskDst); break;
            case '{': address(r, c, optarg, r.maskSrc, nullptr, opt::MaskSrc, opt::MaskSrc); break;
            case '}': address(r, c, optarg, r.maskDst, nullptr, opt::MaskDst, opt::MaskDst); break;
            case 'p': protocol(r, optarg); break;
            case 't':
                r.options |= opt::bit(opt::Timeout);
                r.timeout = static_cast<uint32_t>(std::atol(optarg));
                break;
            case 'u': {
                r.options |= opt::bit(opt::Status);
                // As 1.4.7: the mask collects the negated flags over every -u and falls
                // back to the set ones while it is empty.
                uint32_t mask = r.statusMask;
                parseStatus(optarg, r.status, mask, result.diagnostics);
                r.statusMask = mask == 0 ? r.status : mask;
                break;
            }
            case 'e':
                r.options |= opt::bit(opt::EventMask);
                parseEvents(optarg, r.eventMask, result.diagnostics);
                break;
            case 'o': output(r, optarg, result.diagnostics); break;
            case 'z': r.options |= opt::bit(opt::Zero); break;
            case 'n': case 'g': case 'j': nat(r, c, argc); break;
            case 'w': case '(': case ')': {
                const auto value = static_cast<uint16_t>(std::strtoul(optarg, nullptr, 0));
                if (c == 'w') { r.options |= opt::bit(opt::Zone); r.zone = value; }
                if (c == '(') { r.options |= opt::bit(opt::OrigZone); r.origZone = value; }
                if (c == ')') { r.options |= opt::bit(opt::ReplZone); r.replyZone = value; }
                break;
            }
            case 'i': case 'c': {
                // --id takes an optional argument; conntrack 1.4.7 crashes without one.
                const auto value = static_cast<uint32_t>(optarg ? std::strtoul(optarg, nullptr, 0) : 0);
                if (c == 'i') { r.options |= opt::bit(opt::Id); r.id = value; }
                else { r.options |= opt::bit(opt::Secmark); r.secmark = value; }
                break;
            }
            case 'm': {
                r.options |= opt::bit(opt::Mark);
                char* end = nullptr;
                r.mark = static_cast<uint32_t>(std::strtoul(optarg, &end, 0));
                r.markMask = *end == '/' ? static_cast<uint32_t>(std::strtoul(end + 1, nullptr, 0))
                                         : 0xffffffffu;
                break;
            }
            case 'l': case '<': case '>': label(r, c, argc, result.diagnostics); break;
            case 'a':
                result.diagnostics += "WARNING: ignoring -a, deprecated option.\n";
                break;
            case 'f':
                r.options |= opt::bit(opt::Family);
                if (std::strncmp(optarg, "ipv4", 4) == 0)
                    setFamily(r, AF_INET);
                else if (std::strncmp(optarg, "ipv6", 4) == 0)
                    setFamily(r, AF_INET6);
                else
                    throw CliExit{kParameterProblem, "`" + rest(optarg) + "' unsupported protocol"};
                break;
            case 'b':
                r.bufferSize = static_cast<uint64_t>(std::atol(optarg));
                r.options |= opt::bit(opt::BufferSize);
                break;
            case ':':
                throw CliExit{kParameterProblem,
                              "option `" + rest(argv_[optind - 1]) + "' requires an argument"};
            case '?':
                throw CliExit{kParameterProblem, "unknown option `" + rest(argv_[optind - 1]) + "'"};
            default:
                // conntrack hands the extension a char: an option merged by an earlier -p
                // wraps around into the current extension's codes (-p tcp -p udp --sport).
                if (handler_ && handler_->parse)
                    handler_->parse(static_cast<signed char>(c - handlerOffset_), optarg, r.l4);
                break;
            }
        }

        r.table = table;
        r.command = commandFromBits(command);
        if (r.family == 0) {
            switch (r.command) {
            case Command::List: case Command::Update: case Command::Delete: case Command::Get:
            case Command::Flush: case Command::Event: break;
            default: r.family = AF_INET; break;
            }
        }
        if (r.has(opt::AnyNat) && (r.has(opt::SrcNat) || r.has(opt::DstNat)))
            throw CliExit{kParameterProblem,
                          "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'"};
        const int cmd = static_cast<int>(r.command);
        int partial = 0;
        const std::vector<uint32_t> coupled = {
            opt::bit(opt::OrigSrc) | opt::bit(opt::OrigDst),
            opt::bit(opt::ReplSrc) | opt::bit(opt::ReplDst)};
        if (!checkOptions(r.options, kOptFlags, kMatrix[cmd], coupled, partial))
            throw CliExit{kParameterProblem,
                          partial == 1 ? "you have to specify `--reply-src' and `--reply-dst'"
                                       : "you have to specify `--src' and `--dst'"};
        if (r.command != Command::Help && handler_ && handler_->finalCheck)
            handler_->finalCheck(r.l4.flags, cmd);
        result.ok = true;
    }

private:
    static std::optional<Command> commandFor(int c, bool expect)
    {
        switch (c) {
        case 'I': return expect ? Command::ExpCreate : Command::Create;
        case 'D': return expect ? Command::ExpDelete : Command::Delete;
        case 'G': return expect ? Command::ExpGet : Command::Get;
        case 'F': return expect ? Command::ExpFlush : Command::Flush;
        case 'E': return expect ? Command::ExpEvent : Command::Event;
        case 'V': return Command::Version;
        case 'h': return Command::Help;
        case 'C': return expect ? Command::ExpCount : Command::Count;
        case 'S': return expect ? Command::ExpStats : Command::Stats;
        case 'U': if (expect) return std::nullopt; return Command::Update;
        case 'A': if (expect) return std::nullopt; return Command::Add;
        default: return std::nullopt;
        }
    }

    static Command commandFromBits(uint32_t bits)
    {
        for (int i = 0; i < kNumberOfCommands; ++i) {
            if (bits & (1u << i))
                return static_cast<Command>(i);
        }
        return Command::None;
    }

    static void addCommand(uint32_t& command, Command cmd)
    {
        if (command)
            throw CliExit{kParameterProblem, "Invalid commands combination"};
        command |= 1u << static_cast<int>(cmd);
    }

    // get_optional_arg(): an attached argument is ignored (a quirk of conntrack); otherwise
    // the next word is taken when it does not start with '-' or '!'.
    const char* optionalArg(int argc)
    {
        if (optarg)
            return nullptr;
        if (optind < argc && argv_[optind][0] != '-' && argv_[optind][0] != '!')
            return argv_[optind++];
        return nullptr;
    }

    Table checkType(int argc)
    {
        const char* table = optionalArg(argc);
        if (!table)
            return Table::Conntrack;
        const size_t n = std::strlen(table);
        if (std::strncmp("expect", table, n) == 0)
            return Table::Expect;
        if (std::strncmp("conntrack", table, n) == 0)
            return Table::Conntrack;
        if (std::strncmp("dying", table, n) == 0)
            return Table::Dying;
        if (std::strncmp("unconfirmed", table, n) == 0)
            return Table::Unconfirmed;
        throw CliExit{kParameterProblem, std::string("unknown type `") + table + "'"};
    }

    const char* longName(int c) const
    {
        for (const auto& o : options_) {
            if (o.name && o.val == c)
                return o.name;
        }
        return "unknown";
    }

    static void setFamily(Request& r, uint8_t family)
    {
        if (r.family == 0)
            r.family = family;
        else if (r.family != family)
            throw CliExit{kParameterProblem, "mismatched address family"};
    }

    // nfct_parse_addr_from_opt(): mask is where a CIDR suffix goes (null: CIDR refused).
    void address(Request& r, int c, const char* arg, AddressArg& into, AddressArg* mask,
                 opt::Bit bit, opt::Bit maskBit)
    {
        const ParsedAddress parsed = parseAddress(arg, true);
        if (parsed.family == 0)
            throw CliExit{kParameterProblem, "Invalid IP address `" + rest(arg) + "'"};
        setFamily(r, parsed.family);
        if (parsed.mask != -1 && !mask)
            throw CliExit{kParameterProblem,
                          std::string("CIDR notation unavailable for `--") + longName(c) + "'"};
        if (parsed.mask == -2)
            throw CliExit{kParameterProblem, "Invalid netmask"};
        r.options |= opt::bit(bit);
        into.addr = parsed.addr;
        if (parsed.mask == -1 || !mask)
            return;
        if (parsed.mask == (parsed.family == AF_INET ? 32 : 128))
            return;
        r.options |= opt::bit(maskBit);
        mask->addr = prefixMask(parsed.family, parsed.mask);
    }

    void protocol(Request& r, const char* arg)
    {
        r.options |= opt::bit(opt::Proto);
        uint8_t protonum = 0;
        const ProtoHandler* h = findProto(arg, protonum);
        if (!h)
            throw CliExit{kParameterProblem, "`" + rest(arg) + "' unsupported protocol"};
        // merge_options(): the extension's options join the table with a fresh offset.
        handlerOffset_ += kOptionOffset;
        options_.pop_back();
        for (const auto& o : h->options)
            options_.push_back(option{o.name, 1, nullptr, o.val + handlerOffset_});
        options_.push_back(option{nullptr, 0, nullptr, 0});
        handler_ = h;
        r.l4.handler = h->name;
        r.l4.protonum = protonum;
    }

    void output(Request& r, const char* arg, std::string& diag)
    {
        r.options |= opt::bit(opt::Output);
        // parse_parameter(): word by word, the error names the rest of the argument. "json"
        // is ctd's own word and unknown to conntrack.
        const std::string text = arg;
        size_t pos = 0;
        while (true) {
            const size_t comma = text.find(',', pos);
            const std::string word = text.substr(pos, comma == std::string::npos ? std::string::npos
                                                                                  : comma - pos);
            bool good = !word.empty() && word[0] != 'j' && word[0] != 'J';
            if (good) {
                auto one = parseFormatSpec(word);
                good = one.ok();
                if (good) {
                    for (const auto& w : one->warnings)
                        diag += w + "\n";
                }
            }
            if (!good)
                throw CliExit{kParameterProblem, "Bad parameter `" + text.substr(pos) + "'"};
            if (comma == std::string::npos)
                break;
            pos = comma + 1;
        }
        r.outputSpec += r.outputSpec.empty() ? text : "," + text;
        auto all = parseFormatSpec(r.outputSpec);
        if (all.ok()) {
            r.output = *all;
            r.output.warnings.clear();
        }
        if (r.output.labels)
            labelInit(diag);
        if (!all.ok())
            throw CliExit{kOtherProblem, all.error().message};
    }

    void nat(Request& r, int c, int argc)
    {
        const opt::Bit bit = c == 'n' ? opt::SrcNat : c == 'g' ? opt::DstNat : opt::AnyNat;
        r.options |= opt::bit(bit);
        const char* arg = optionalArg(argc);
        if (!arg)
            return;
        std::string natAddress;
        std::optional<std::string> port;
        splitAddressAndPort(arg, natAddress, port);
        AddressArg parsed;
        address(r, c, natAddress.c_str(), parsed, nullptr, bit, bit);
        NatArg value{parsed.addr, std::nullopt};
        if (port)
            value.port = static_cast<uint16_t>(std::atoi(port->c_str()));
        if (c == 'n' || c == 'j')
            r.srcNat = value;
        if (c == 'g' || c == 'j')
            r.dstNat = value;
    }

    // labelmap_init(): conntrack retries (and perror()s again) while it has no map.
    void labelInit(std::string& diag)
    {
        if (labelsLoaded_ || !labels_.load)
            return;
        const std::string error = labels_.load();
        if (error.empty())
            labelsLoaded_ = true;
        else
            diag += "nfct_labelmap_new: " + error + "\n";
    }

    void label(Request& r, int c, int argc, std::string& diag)
    {
        r.options |= opt::bit(c == 'l' ? opt::Label : c == '<' ? opt::AddLabel : opt::DelLabel);
        labelInit(diag);
        if (r.has(opt::AddLabel) && r.has(opt::DelLabel))
            throw CliExit{kOtherProblem, "cannot use --label-add and --label-del at the same time"};
        const char* arg = optarg;
        if (c == '>') {
            arg = optionalArg(argc);
            if (!arg) {
                r.labelDelAll = true;
                return;
            }
        }
        std::vector<unsigned> bits;
        const std::string text = arg;
        size_t pos = 0;
        while (true) {
            const size_t comma = text.find(',', pos);
            const std::string name = text.substr(pos, comma == std::string::npos ? std::string::npos
                                                                                  : comma - pos);
            std::optional<unsigned> b;
            if (labelsLoaded_ && labels_.bit)
                b = labels_.bit(name);
            if (!b)
                throw CliExit{kParameterProblem, "unknown label '" + name + "'"};
            bits.push_back(*b);
            if (comma == std::string::npos)
                break;
            pos = comma + 1;
        }
        auto& into = c == 'l' ? r.labels : r.labelsModify;
        for (unsigned b : bits) {
            if (std::find(into.begin(), into.end(), b) == into.end())
                into.push_back(b);
        }
    }

    const LabelSource& labels_;
    bool labelsLoaded_ = false;
    std::vector<std::string> storage_;
    std::vector<char*> argv_;
    std::vector<option> options_;
    const ProtoHandler* handler_ = nullptr;
    int handlerOffset_ = 0;
};

} // namespace

std::string errorText(int status, const std::string& message)
{
    std::string text = kPrefix + message + "\n";
    if (status == kParameterProblem)
        text += "Try `conntrack -h' or 'conntrack --help' for more information.\n";
    return text;
}

ParseResult parseCommandLine(const std::vector<std::string>& args, const LabelSource& labels)
{
    ParseResult result;
    try {
        Parser(args, labels).run(result);
    } catch (const CliExit& e) {
        result.ok = false;
        result.status = e.status;
        result.diagnostics += errorText(e.status, e.message);
    }
    return result;
}

std::string preflight(const Request& r)
{
    const bool filterInit = r.command == Command::List || r.command == Command::Update ||
        r.command == Command::Delete || r.command == Command::Event;
    if (r.command == Command::List && (r.table == Table::Dying || r.table == Table::Unconfirmed))
        return {};
    // CT_COMPARISON: the options that make conntrack compare entries.
    const uint32_t comparison = opt::bit(opt::Proto) | opt::bit(opt::OrigSrc) |
        opt::bit(opt::OrigDst) | opt::bit(opt::ReplSrc) | opt::bit(opt::ReplDst) |
        opt::bit(opt::Mark) | opt::bit(opt::Secmark) | opt::bit(opt::Status) |
        opt::bit(opt::Id) | opt::bit(opt::Zone) | opt::bit(opt::Label) |
        opt::bit(opt::OrigZone) | opt::bit(opt::ReplZone);
    if (r.command == Command::List && (r.options & comparison) && r.has(opt::Zero))
        return errorText(kParameterProblem, "Can't use -z with filtering parameters");
    if (filterInit) {
        if (r.has(opt::MaskSrc) && !r.has(opt::OrigSrc))
            return errorText(kParameterProblem, "Can't use --mask-src without --src");
        if (r.has(opt::MaskDst) && !r.has(opt::OrigDst))
            return errorText(kParameterProblem, "Can't use --mask-dst without --dst");
    }
    return {};
}

LabelSource defaultLabelSource()
{
    auto map = std::make_shared<std::optional<LabelMap>>();
    LabelSource source;
    source.load = [map]() -> std::string {
        auto loaded = LabelMap::loadDefault();
        if (!loaded.ok())
            return std::strerror(loaded.error().code > 0 ? loaded.error().code : ENOENT);
        *map = std::move(*loaded);
        return {};
    };
    source.bit = [map](const std::string& name) -> std::optional<unsigned> {
        if (!*map)
            return std::nullopt;
        return (*map)->bit(name);
    };
    return source;
}

} // namespace ctd::cli
