#include "conntrack_protos.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ctd::cli {

bool checkOptions(uint32_t given, const std::vector<const char*>& optflags,
                  const std::string& row, const std::vector<uint32_t>& coupled, int& partial)
{
    bool special = false;
    for (size_t i = 0; i < row.size(); ++i) {
        const char* name = i < optflags.size() && optflags[i] ? optflags[i] : "(null)";
        const bool set = (given & (1u << i)) != 0;
        if (!set && row[i] == '1')
            throw CliExit{kParameterProblem,
                          std::string("You need to supply the `--") + name +
                              "' option for this command"};
        if (set && row[i] == '0')
            throw CliExit{kParameterProblem,
                          std::string("Illegal option `--") + name + "' with this command"};
        if (row[i] == '3')
            special = true;
    }
    if (!special || coupled.empty())
        return true;
    partial = -1;
    for (size_t i = 0; i < coupled.size(); ++i) {
        if ((given & coupled[i]) == coupled[i])
            return true;
        if ((given & coupled[i]) && partial < 0)
            partial = static_cast<int>(i);
    }
    return false;
}

namespace {

// atoi() into the u16/u8 attribute, truncating like conntrack's htons(atoi(optarg)).
uint16_t atoi16(const char* arg) { return static_cast<uint16_t>(std::atoi(arg)); }
uint8_t atoi8(const char* arg) { return static_cast<uint8_t>(std::atoi(arg)); }

// The rows of one extension's matrix for command indexes 0..14 (CT_LIST ... EXP_EVENT);
// conntrack's tables stop there (later commands either reject -p or, for -A, reuse -I's).
using Matrix = std::vector<std::string>;

std::string rowFor(const Matrix& m, int cmd, size_t width)
{
    if (cmd == static_cast<int>(Command::Add))
        cmd = static_cast<int>(Command::Create);
    std::string row = cmd >= 0 && cmd < static_cast<int>(m.size()) ? m[cmd] : std::string();
    row.resize(width, '0');
    return row;
}

void portsFinal(uint32_t flags, int cmd, const Matrix& m, const std::vector<const char*>& names,
                size_t width, const char* msg0, const char* msg1)
{
    int partial = 0;
    const std::vector<uint32_t> coupled = {0x3, 0xc};
    if (!checkOptions(flags, names, rowFor(m, cmd, width), coupled, partial))
        throw CliExit{kParameterProblem, partial == 1 ? msg1 : msg0};
}

// --- tcp ---
const std::vector<const char*> tcpNames = {"sport", "dport", "reply-port-src", "reply-port-dst",
                                           "mask-port-src", "mask-port-dst", "state",
                                           "tuple-port-src", "tuple-port-dst"};
const Matrix tcpMatrix = {"222200200", "333300100", "222200200", "222200200", "333300200",
                          "000000000", "222200200", "000000000", "000000000", "000000000",
                          "110011011", "111100000", "111100000", "000000000", "000000000"};
const char* const tcpStates[] = {"NONE",       "SYN_SENT",   "SYN_RECV", "ESTABLISHED",
                                 "FIN_WAIT",   "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
                                 "CLOSE",      "SYN_SENT2"};

// Ports shared by the port protocols: codes 1-6 (orig, reply, mask).
bool parseCommonPort(int code, const char* arg, L4Args& a)
{
    switch (code) {
    case 1: a.sport = atoi16(arg); break;
    case 2: a.dport = atoi16(arg); break;
    case 3: a.replySport = atoi16(arg); break;
    case 4: a.replyDport = atoi16(arg); break;
    case 5: a.maskSport = atoi16(arg); break;
    case 6: a.maskDport = atoi16(arg); break;
    default: return false;
    }
    a.flags |= 1u << (code - 1);
    return true;
}

void tcpParse(int code, const char* arg, L4Args& a)
{
    code -= '0';
    if (parseCommonPort(code, arg, a))
        return;
    if (code == 7) {
        int i = 0;
        for (; i < 10; ++i) {
            if (std::strcmp(arg, tcpStates[i]) == 0) {
                a.state = static_cast<uint8_t>(i);
                break;
            }
        }
        // conntrack keeps LISTEN, the pre-2.6.31 name of state 9.
        if (std::strcmp(arg, "LISTEN") == 0)
            a.state = 9;
        else if (i == 10)
            throw CliExit{kParameterProblem,
                          std::string("unknown TCP state `") + arg + "'"};
        a.flags |= 1u << 6;
    } else if (code == 8) {
        a.tupleSport = atoi16(arg);
        a.flags |= 1u << 7;
    } else if (code == 9) {
        a.tupleDport = atoi16(arg);
        a.flags |= 1u << 8;
    }
}

void tcpFinal(uint32_t flags, int cmd)
{
    portsFinal(flags, cmd, tcpMatrix, tcpNames, 10, "you have to specify `--sport' and `--dport'",
               "you have to specify `--reply-src-port' and `--reply-dst-port'");
}

// --- udp, udplite ---
const std::vector<const char*> udpNames = {"sport", "dport", "reply-port-src", "reply-port-dst",
                                           "mask-port-src", "mask-port-dst", "tuple-port-src",
                                           "tuple-port-dst"};
const Matrix udpMatrix = {"22220000", "33330000", "22220000", "22220000", "33330000",
                          "00000000", "22220000", "00000000", "00000000", "00000000",
                          "11001111", "11110000", "11110000", "00000000", "00000000"};

void udpParse(int code, const char* arg, L4Args& a)
{
    code -= '0';
    if (parseCommonPort(code, arg, a))
        return;
    if (code == 7) {
        a.tupleSport = atoi16(arg);
        a.flags |= 1u << 6;
    } else if (code == 8) {
        a.tupleDport = atoi16(arg);
        a.flags |= 1u << 7;
    }
}

void udpFinal(uint32_t flags, int cmd)
{
    portsFinal(flags, cmd, udpMatrix, udpNames, 9, "you have to specify `--sport' and `--dport'",
               "you have to specify `--reply-src-port' and `--reply-dst-port'");
}

// --- sctp ---
const std::vector<const char*> sctpNames = {"sport", "dport", "reply-port-src", "reply-port-dst",
                                            "mask-port-src", "mask-port-dst", "state",
                                            "tuple-port-src", "tuple-port-dst", "orig-vtag",
                                            "reply-vtag"};
const Matrix sctpMatrix = {"22220020000", "33330010011", "22220020022", "22220020000",
                           "33330020022", "00000000000", "22220020000", "00000000000",
                           "00000000000", "00000000000", "11001101111", "11110000000",
                           "11110000000", "00000000000", "00000000000"};
const char* const sctpStates[] = {"NONE",        "CLOSED",        "COOKIE_WAIT",
                                  "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT",
                                  "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT"};

void sctpParse(int code, const char* arg, L4Args& a)
{
    if (parseCommonPort(code, arg, a))
        return;
    switch (code) {
    case 7: {
        int i = 0;
        for (; i < 8; ++i) {
            if (std::strcmp(arg, sctpStates[i]) == 0)
                break;
        }
        if (i == 8)
            throw CliExit{kParameterProblem,
                          std::string("unknown SCTP state `") + arg + "'"};
        a.state = static_cast<uint8_t>(i);
        break;
    }
    case 8: a.tupleSport = atoi16(arg); break;
    case 9: a.tupleDport = atoi16(arg); break;
    case 10: a.origVtag = static_cast<uint32_t>(std::atoi(arg)); break;
    case 11: a.replyVtag = static_cast<uint32_t>(std::atoi(arg)); break;
    default: return;
    }
    a.flags |= 1u << (code - 1);
}

void sctpFinal(uint32_t flags, int cmd)
{
    portsFinal(flags, cmd, sctpMatrix, sctpNames, 14, "you have to specify `--sport' and `--dport'",
               "you have to specify `--reply-src-port' and `--reply-dst-port'");
}

// --- dccp ---
const std::vector<const char*> dccpNames = {"sport", "dport", "reply-port-src", "reply-port-dst",
                                            "mask-port-src", "mask-port-dst", "state",
                                            "tuple-port-src", "tuple-port-dst", "role"};
const Matrix dccpMatrix = {"2222002000", "3333001001", "2222002000", "2222002000", "3333002000",
                           "0000000000", "2222002000", "0000000000", "0000000000", "0000000000",
                           "1100110111", "1111000000", "1111000000", "0000000000", "0000000000"};
const char* const dccpStates[] = {"NONE",     "REQUEST", "RESPOND",  "PARTOPEN", "OPEN",
                                  "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE",   "INVALID"};

void dccpParse(int code, const char* arg, L4Args& a)
{
    if (parseCommonPort(code, arg, a))
        return;
    switch (code) {
    case 7: {
        int i = 0;
        for (; i < 10; ++i) {
            if (std::strcmp(arg, dccpStates[i]) == 0)
                break;
        }
        if (i == 10)
            throw CliExit{kParameterProblem,
                          std::string("Unknown DCCP state `") + arg + "'"};
        a.state = static_cast<uint8_t>(i);
        break;
    }
    case 8: a.tupleSport = atoi16(arg); break;
    case 9: a.tupleDport = atoi16(arg); break;
    case 10: {
        // strncasecmp over the argument's length: any prefix, even an empty one, matches.
        const size_t n = std::strlen(arg);
        if (strncasecmp(arg, "client", n) == 0)
            a.dccpRole = 0;
        else if (strncasecmp(arg, "server", n) == 0)
            a.dccpRole = 1;
        else
            throw CliExit{kParameterProblem,
                          std::string("Unknown DCCP role `") + arg + "'"};
        break;
    }
    default: return;
    }
    a.flags |= 1u << (code - 1);
}

void dccpFinal(uint32_t flags, int cmd)
{
    portsFinal(flags, cmd, dccpMatrix, dccpNames, 13, "you have to specify `--sport' and `--dport'",
               "you have to specify `--reply-port-src' and `--report-port-dst'");
}

// --- gre ---
const std::vector<const char*> greNames = {"srckey", "dstkey", "reply-key-src", "reply-key-dst",
                                           "mask-key-src", "mask-key-dst", "tuple-key-src",
                                           "tuple-key-dst"};

void greParse(int code, const char* arg, L4Args& a)
{
    code -= '0';
    const auto key = static_cast<uint16_t>(std::strtoul(arg, nullptr, 0));
    switch (code) {
    case 1: a.sport = key; break;
    case 2: a.dport = key; break;
    case 3: a.replySport = key; break;
    case 4: a.replyDport = key; break;
    case 5: a.maskSport = key; break;
    case 6: a.maskDport = key; break;
    case 7: a.tupleSport = key; break;
    case 8: a.tupleDport = key; break;
    default: return;
    }
    a.flags |= 1u << (code - 1);
}

void greFinal(uint32_t flags, int cmd)
{
    const Matrix m = {"22220000", "33330000", "22220000", "22220000", "33330000",
                      "00000000", "22220000", "00000000", "00000000", "00000000",
                      "11111111", "11110000", "11110000", "00000000", "00000000"};
    portsFinal(flags, cmd, m, greNames, 11, "you have to specify `--srckey' and `--dstkey'",
               "you have to specify `--reply-src-key' and `--reply-dst-key'");
}

// --- icmp, icmpv6 ---
const Matrix icmpMatrix = {"222", "112", "222", "222", "112", "000", "222", "000",
                           "000", "000", "000", "000", "000", "000", "000"};

void icmpParse(int code, const char* arg, L4Args& a)
{
    code -= '0';
    switch (code) {
    case 1: a.icmpType = atoi8(arg); break;
    case 2: a.icmpCode = atoi8(arg); break;
    case 3: a.icmpId = atoi16(arg); break;
    default: return;
    }
    a.flags |= 1u << (code - 1);
}

void icmpFinal(uint32_t flags, int cmd)
{
    int partial = 0;
    checkOptions(flags, {"icmp-type", "icmp-code", "icmp-id"}, rowFor(icmpMatrix, cmd, 4), {},
                 partial);
}

void icmpv6Final(uint32_t flags, int cmd)
{
    int partial = 0;
    checkOptions(flags, {"icmpv6-type", "icmpv6-code", "icmpv6-id"},
                 rowFor(icmpMatrix, cmd, 4), {}, partial);
}

constexpr const char* kPortHelp =
    "  --orig-port-src\t\toriginal source port\n"
    "  --orig-port-dst\t\toriginal destination port\n"
    "  --reply-port-src\t\treply source port\n"
    "  --reply-port-dst\t\treply destination port\n"
    "  --mask-port-src\t\tmask source port\n"
    "  --mask-port-dst\t\tmask destination port\n"
    "  --tuple-port-src\t\texpectation tuple src port\n"
    "  --tuple-port-src\t\texpectation tuple dst port\n";

const std::string tcpHelp = std::string(kPortHelp) + "  --state\t\t\tTCP state, fe. ESTABLISHED\n";
const std::string sctpHelp = std::string(kPortHelp) +
    "  --state\t\t\tSCTP state, fe. ESTABLISHED\n"
    "  --orig-vtag\t\toriginal verification tag\n"
    "  --reply-vtag\t\treply verification tag\n";
const std::string dccpHelp = std::string(kPortHelp) + "  --state\t\t\tDCCP state, fe. RESPOND\n";

const std::vector<ProtoOption> tcpOptions = {
    {"orig-port-src", '1'}, {"sport", '1'}, {"orig-port-dst", '2'}, {"dport", '2'},
    {"reply-port-src", '3'}, {"reply-port-dst", '4'}, {"mask-port-src", '5'},
    {"mask-port-dst", '6'}, {"state", '7'}, {"tuple-port-src", '8'}, {"tuple-port-dst", '9'}};
const std::vector<ProtoOption> udpOptions = {
    {"orig-port-src", '1'}, {"sport", '1'}, {"orig-port-dst", '2'}, {"dport", '2'},
    {"reply-port-src", '3'}, {"reply-port-dst", '4'}, {"mask-port-src", '5'},
    {"mask-port-dst", '6'}, {"tuple-port-src", '7'}, {"tuple-port-dst", '8'}};

// In conntrack's list order: register_proto() inserts at the head, so the last registered
// extension is searched first.
const ProtoHandler kHandlers[] = {
    {"gre", IPPROTO_GRE,
     {{"orig-key-src", '1'}, {"srckey", '1'}, {"orig-key-dst", '2'}, {"dstkey", '2'},
      {"reply-key-src", '3'}, {"reply-key-dst", '4'}, {"mask-key-src", '5'},
      {"mask-key-dst", '6'}, {"tuple-key-src", '7'}, {"tuple-key-dst", '8'}},
     greParse, greFinal,
     "  --orig-key-src\t\toriginal source key\n"
     "  --orig-key-dst\t\toriginal destination key\n"
     "  --reply-key-src\t\treply source key\n"
     "  --reply-key-dst\t\treply destination key\n"
     "  --mask-key-src\t\tmask source key\n"
     "  --mask-key-dst\t\tmask destination key\n"
     "  --tuple-key-src\t\texpectation tuple src key\n"
     "  --tuple-key-src\t\texpectation tuple dst key\n"},
    {"icmpv6", IPPROTO_ICMPV6,
     {{"icmpv6-type", '1'}, {"icmpv6-code", '2'}, {"icmpv6-id", '3'}},
     icmpParse, icmpv6Final,
     "  --icmpv6-type\t\t\ticmpv6 type\n"
     "  --icmpv6-code\t\t\ticmpv6 code\n"
     "  --icmpv6-id\t\t\ticmpv6 id\n"},
    {"icmp", IPPROTO_ICMP,
     {{"icmp-type", '1'}, {"icmp-code", '2'}, {"icmp-id", '3'}},
     icmpParse, icmpFinal,
     "  --icmp-type\t\t\ticmp type\n"
     "  --icmp-code\t\t\ticmp code\n"
     "  --icmp-id\t\t\ticmp id\n"},
    {"dccp", IPPROTO_DCCP,
     {{"orig-port-src", 1}, {"orig-port-dst", 2}, {"reply-port-src", 3}, {"reply-port-dst", 4},
      {"mask-port-src", 5}, {"mask-port-dst", 6}, {"state", 7}, {"tuple-port-src", 8},
      {"tuple-port-dst", 9}, {"sport", 1}, {"dport", 2}, {"role", 10}},
     dccpParse, dccpFinal, dccpHelp.c_str()},
    {"sctp", IPPROTO_SCTP,
     {{"orig-port-src", 1}, {"orig-port-dst", 2}, {"reply-port-src", 3}, {"reply-port-dst", 4},
      {"mask-port-src", 5}, {"mask-port-dst", 6}, {"state", 7}, {"tuple-port-src", 8},
      {"tuple-port-dst", 9}, {"orig-vtag", 10}, {"reply-vtag", 11}, {"sport", 1},
      {"dport", 2}},
     sctpParse, sctpFinal, sctpHelp.c_str()},
    {"udplite", IPPROTO_UDPLITE, udpOptions, udpParse, udpFinal, kPortHelp},
    {"udp", IPPROTO_UDP, udpOptions, udpParse, udpFinal, kPortHelp},
    {"tcp", IPPROTO_TCP, tcpOptions, tcpParse, tcpFinal, tcpHelp.c_str()},
};

const ProtoHandler kUnknown = {"unknown", 0, {}, nullptr, nullptr, "  no options (unsupported)\n"};

} // namespace

const ProtoHandler* findProto(const std::string& name, uint8_t& protonum)
{
    for (const auto& h : kHandlers) {
        if (strcasecmp(h.name, name.c_str()) == 0) {
            protonum = h.protonum;
            return &h;
        }
    }
    if (const protoent* p = getprotobyname(name.c_str())) {
        protonum = static_cast<uint8_t>(p->p_proto);
        return &kUnknown;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long value = std::strtoul(name.c_str(), &end, 0);
    if (value > IPPROTO_RAW || end == name.c_str() || *end != '\0')
        return nullptr;
    protonum = static_cast<uint8_t>(value);
    for (const auto& h : kHandlers) {
        if (h.protonum == protonum)
            return &h;
    }
    return &kUnknown;
}

} // namespace ctd::cli
