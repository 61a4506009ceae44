// The conntrack 1.4.7 command-line parser: usage errors byte for byte, the request values
// of valid lines, and hostile input. Every expected stderr text in kErrors was printed by
// Debian's conntrack 1.4.7 in a throwaway network namespace without /etc/xtables/
// connlabel.conf (hence the nfct_labelmap_new lines); tests/root/cli runs the same lines
// end to end.
#include "conntrack_cli.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string>
#include <vector>

using namespace ctd::cli;

namespace {

LabelSource noLabels()
{
    LabelSource s;
    s.load = [] { return std::string("No such file or directory"); };
    s.bit = [](const std::string&) { return std::optional<unsigned>(); };
    return s;
}

LabelSource someLabels()
{
    LabelSource s;
    s.load = [] { return std::string(); };
    s.bit = [](const std::string& name) -> std::optional<unsigned> {
        if (name == "web")
            return 1;
        if (name == "db")
            return 70;
        return std::nullopt;
    };
    return s;
}

ParseResult parse(std::vector<std::string> args, const LabelSource& labels = noLabels())
{
    return parseCommandLine(args, labels);
}

// What conntrack prints before talking to the kernel: parse errors, then the checks it
// makes when the command starts.
std::pair<int, std::string> outcome(const std::vector<std::string>& args)
{
    auto r = parse(args);
    if (!r.ok)
        return {r.status, r.diagnostics};
    std::string e = preflight(r.request);
    return {e.empty() ? 0 : 2, r.diagnostics + e};
}

struct ErrorCase {
    std::vector<std::string> args;
    int status;
    const char* stderrText;
};

const ErrorCase kErrors[] = {
    {{"-L", "-l", "foo"}, 2, "nfct_labelmap_new: No such file or directory\nconntrack v1.4.7 (conntrack-tools): unknown label 'foo'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--s", "1.2.3.4"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `--s'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--sr", "1.2.3.4"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `--sr'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "foo"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown type `foo'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--sport", "1"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `--sport'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp", "--sport", "1", "--dport", "2", "-t", "10"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--state' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-R"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `-R'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-R", "x"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `-R'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-C", "-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--protonum' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-E", "-b", "1000", "-e", "XX"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `XX'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-s", "1.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--src' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--protonum' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-o", "xml"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--output' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-f", "ipv4"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--family' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-z"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--zero' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-D", "expect"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--src' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "foo"}, 2, "conntrack v1.4.7 (conntrack-tools): `foo' unsupported protocol\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "300"}, 2, "conntrack v1.4.7 (conntrack-tools): `300' unsupported protocol\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-r", "1.1.1.1/8"}, 2, "conntrack v1.4.7 (conntrack-tools): CIDR notation unavailable for `--reply-src'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--mask-src", "255.0.0.0"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use --mask-src without --src\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s", "1.1.1.1", "-d", "::1"}, 2, "conntrack v1.4.7 (conntrack-tools): mismatched address family\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-f", "ipv5"}, 2, "conntrack v1.4.7 (conntrack-tools): `ipv5' unsupported protocol\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-n", "1.1.1.1:"}, 2, "conntrack v1.4.7 (conntrack-tools): No port specified after `:'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--src-nat", "1.1.1.1", "--any-nat"}, 2, "conntrack v1.4.7 (conntrack-tools): cannot specify `--src-nat' or `--dst-nat' with `--any-nat'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-j", "[]:80"}, 2, "conntrack v1.4.7 (conntrack-tools): No IPv6 address specified\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-j", "[::1:80"}, 2, "conntrack v1.4.7 (conntrack-tools): No closing ']' around IPv6 address\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-n", "1.1.1.1:abc"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid port `abc'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-n", "1.1.1.1:99999"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid port `99999'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-n", "1.1.1.1/24"}, 2, "conntrack v1.4.7 (conntrack-tools): CIDR notation unavailable for `--src-nat'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-o", "xml,save"}, 1, "conntrack v1.4.7 (conntrack-tools): cannot combine save output with any other output type, use -o save only\n"},
    {{"-L", "-o", "foo"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `foo'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-o", "xml,foo,bar"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `foo,bar'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-o", "json"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `json'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-o", "save", "-o", "id"}, 1, "conntrack v1.4.7 (conntrack-tools): cannot combine save output with any other output type, use -o save only\n"},
    {{"-L", "-o", ""}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-o", "xml,"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-u", "FOO"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `FOO'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-u", ","}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `,'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-u", "ASSURED,"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-u", "!"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-e", "NEW"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--event-mask' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--protonum' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--protonum' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--protonum' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "udp"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--timeout' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "udp", "-t", "10"}, 2, "conntrack v1.4.7 (conntrack-tools): you have to specify `--sport' and `--dport'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "udp", "-t", "10", "--sport", "1"}, 2, "conntrack v1.4.7 (conntrack-tools): you have to specify `--sport' and `--dport'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-r", "1.1.1.1", "-p", "udp", "-t", "10", "--sport", "1"}, 2, "conntrack v1.4.7 (conntrack-tools): you have to specify `--reply-src' and `--reply-dst'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1/24", "-d", "2.2.2.2", "-p", "udp", "-t", "10", "--sport", "1", "--dport", "2"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--mask-src' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-G", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): you have to specify `--sport' and `--dport'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-G", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "icmp"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--icmp-type' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-G", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "icmp", "--icmp-type", "8"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--icmp-code' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-G", "-s", "1.1.1.1", "-p", "udp", "--sport", "1", "--dport", "2"}, 2, "conntrack v1.4.7 (conntrack-tools): you have to specify `--src' and `--dst'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-G", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "udp", "--sport", "1", "--dport", "2", "-m", "1"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--mark' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "sctp", "-t", "10", "--sport", "1", "--dport", "2", "--state", "ESTABLISHED"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--orig-vtag' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "dccp", "-t", "10", "--sport", "1", "--dport", "2", "--state", "OPEN"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--role' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp", "-t", "10", "--sport", "1", "--dport", "2", "--state", "FOO"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown TCP state `FOO'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "dccp", "--state", "FOO"}, 2, "conntrack v1.4.7 (conntrack-tools): Unknown DCCP state `FOO'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "dccp", "--role", "x"}, 2, "conntrack v1.4.7 (conntrack-tools): Unknown DCCP role `x'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "gre", "-t", "10", "--srckey", "1"}, 2, "conntrack v1.4.7 (conntrack-tools): you have to specify `--srckey' and `--dstkey'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-L"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-D"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-I"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-U", "expect"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't do --update on expectations\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-A", "expect"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't do --add on expectations\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "dying"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't do that command with tables `dying' and `unconfirmed'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-D", "unconfirmed"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't do that command with tables `dying' and `unconfirmed'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--label-add", "foo"}, 2, "nfct_labelmap_new: No such file or directory\nconntrack v1.4.7 (conntrack-tools): unknown label 'foo'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-U", "--label-add", "a", "--label-del", "b"}, 2, "nfct_labelmap_new: No such file or directory\nconntrack v1.4.7 (conntrack-tools): unknown label 'a'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-t", "10"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--timeout' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-F", "-s", "1.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--src' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-F", "-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--protonum' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-w"}, 2, "conntrack v1.4.7 (conntrack-tools): option `-w' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--zone"}, 2, "conntrack v1.4.7 (conntrack-tools): option `--zone' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--dump=expect", "--foo"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-S", "-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--protonum' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-S", "-s", "1.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--src' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-V", "-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--protonum' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "tcp", "--state", "ESTABLISHED", "--zone", "1", "-z"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use -z with filtering parameters\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s", "1.1.1.1", "-z"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use -z with filtering parameters\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-m", "1", "-z"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use -z with filtering parameters\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-U", "--mask-dst", "255.0.0.0"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use --mask-dst without --dst\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-D", "--mask-src", "255.0.0.0"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use --mask-src without --src\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-E", "-e", "NEW,FOO"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `FOO'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-E", "-e", ""}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-E", "--mask-src", "255.0.0.0"}, 2, "conntrack v1.4.7 (conntrack-tools): Can't use --mask-src without --src\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s", "1.1.1.1/33"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid netmask\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s", "1.1.1.1/-1"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid netmask\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s", "abc"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid IP address `abc'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s", "300.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid IP address `300.1.1.1'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-d", "::1/129"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid netmask\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--mask-src", "1.1.1.1/8", "-s", "1.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): CIDR notation unavailable for `--mask-src'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--tuple-src", "1.1.1.1"}, 2, "conntrack v1.4.7 (conntrack-tools): Illegal option `--tuple-src' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "expect", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--timeout' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "expect", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp", "--tuple-src", "1.1.1.1", "--tuple-dst", "2.2.2.2"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--timeout' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-u", "UNREPLIED,FOO"}, 2, "conntrack v1.4.7 (conntrack-tools): Bad parameter `FOO'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "tcp", "--state", "established"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown TCP state `established'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-p", "tcp", "--state"}, 2, "conntrack v1.4.7 (conntrack-tools): option `--state' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-s"}, 2, "conntrack v1.4.7 (conntrack-tools): option `-s' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--src"}, 2, "conntrack v1.4.7 (conntrack-tools): option `--src' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-a"}, 2, "conntrack v1.4.7 (conntrack-tools): option `-a' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--counter"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-C", "-C"}, 2, "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-G", "-c", "1"}, 2, "conntrack v1.4.7 (conntrack-tools): You need to supply the `--protonum' option for this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "udp", "-t", "10", "--sport", "1", "--dport", "2", "-l", "foo"}, 2, "nfct_labelmap_new: No such file or directory\nconntrack v1.4.7 (conntrack-tools): unknown label 'foo'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-U", "-l", "foo"}, 2, "nfct_labelmap_new: No such file or directory\nconntrack v1.4.7 (conntrack-tools): unknown label 'foo'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-D", "--label-del"}, 2, "nfct_labelmap_new: No such file or directory\nconntrack v1.4.7 (conntrack-tools): Illegal option `--label-del' with this command\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "-x"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `-x'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"-L", "--bogus"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `--bogus'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
    {{"--bogus"}, 2, "conntrack v1.4.7 (conntrack-tools): unknown option `--bogus'\nTry `conntrack -h' or 'conntrack --help' for more information.\n"},
};

ctd::Address v4(const char* text)
{
    ctd::Address a;
    a.family = AF_INET;
    inet_pton(AF_INET, text, a.bytes.data());
    return a;
}

} // namespace

TEST(ConntrackCliErrors, MatchConntrack147)
{
    for (const auto& c : kErrors) {
        std::string line;
        for (const auto& a : c.args)
            line += a + " ";
        auto [status, text] = outcome(c.args);
        EXPECT_EQ(status, c.status) << line;
        EXPECT_EQ(text, c.stderrText) << line;
    }
}

TEST(ConntrackCli, ListDefaults)
{
    auto r = parse({"-L"});
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_EQ(r.request.command, Command::List);
    EXPECT_EQ(r.request.table, Table::Conntrack);
    EXPECT_EQ(r.request.family, 0); // -L keeps both families
    EXPECT_EQ(r.diagnostics, "");
}

TEST(ConntrackCli, Tables)
{
    EXPECT_EQ(parse({"-L", "expect"}).request.command, Command::ExpList);
    EXPECT_EQ(parse({"-L", "exp"}).request.command, Command::ExpList);
    EXPECT_EQ(parse({"-L", "dying"}).request.table, Table::Dying);
    EXPECT_EQ(parse({"-L", "unconfirmed"}).request.table, Table::Unconfirmed);
    EXPECT_EQ(parse({"-L", "conntrack"}).request.table, Table::Conntrack);
    // An attached table name is ignored, as conntrack's get_optional_arg() does.
    EXPECT_EQ(parse({"-Lexpect"}).request.command, Command::List);
    EXPECT_EQ(parse({"--dump=expect"}).request.command, Command::List);
    EXPECT_EQ(parse({"-F", "expect"}).request.command, Command::ExpFlush);
    EXPECT_EQ(parse({"-S", "expect"}).request.command, Command::ExpStats);
    EXPECT_EQ(parse({"-C", "expect"}).request.command, Command::ExpCount);
    EXPECT_EQ(parse({"-E", "expect"}).request.command, Command::ExpEvent);
    EXPECT_EQ(parse({}).request.command, Command::None);
}

TEST(ConntrackCli, LongOptionAbbreviations)
{
    auto r = parse({"--dum", "--proto", "tcp", "--dp", "80", "--orig-s", "10.0.0.1"});
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_EQ(r.request.command, Command::List);
    EXPECT_EQ(r.request.l4.handler, "tcp");
    EXPECT_EQ(r.request.l4.dport, 80);
    EXPECT_TRUE(r.request.has(opt::OrigSrc));
    EXPECT_EQ(r.request.src.addr, v4("10.0.0.1"));
    EXPECT_EQ(r.request.family, AF_INET);
}

TEST(ConntrackCli, AddressesAndMasks)
{
    auto r = parse({"-L", "-s", "10.0.0.7/24", "-d", "10.1.2.3", "--mask-dst", "255.255.0.0"});
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_TRUE(r.request.has(opt::MaskSrc));
    EXPECT_TRUE(r.request.has(opt::MaskDst));
    EXPECT_EQ(r.request.maskSrc.addr, v4("255.255.255.0"));
    EXPECT_EQ(r.request.maskDst.addr, v4("255.255.0.0"));
    // /32 is no mask at all.
    EXPECT_FALSE(parse({"-L", "-s", "10.0.0.7/32"}).request.has(opt::MaskSrc));
    // inet_aton() forms are IPv4, as in conntrack.
    EXPECT_EQ(parse({"-L", "-s", "127.1"}).request.src.addr, v4("127.0.0.1"));
    EXPECT_EQ(parse({"-L", "-s", "2001:db8::1"}).request.family, AF_INET6);
}

TEST(ConntrackCli, ProtocolOptions)
{
    auto r = parse({"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp", "--sport", "1",
                    "--dport", "2", "--state", "LISTEN", "-t", "10", "-u", "ASSURED,SEEN"});
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_EQ(r.request.family, AF_INET);
    EXPECT_EQ(r.request.l4.protonum, 6);
    EXPECT_EQ(r.request.l4.state, 9);
    EXPECT_EQ(r.request.timeout, 10u);
    EXPECT_EQ(r.request.status, 0x6u); // ASSURED | SEEN_REPLY
    auto icmp = parse({"-L", "-p", "icmp", "--icmp-type", "8", "--icmp-id", "70000"});
    ASSERT_TRUE(icmp.ok);
    EXPECT_EQ(icmp.request.l4.icmpType, 8);
    EXPECT_EQ(icmp.request.l4.icmpId, static_cast<uint16_t>(70000)); // atoi, truncated
    auto gre = parse({"-L", "-p", "gre", "--srckey", "0x10"});
    EXPECT_EQ(gre.request.l4.sport, 16);
    // An option merged by an earlier -p reaches the last protocol (conntrack passes a char).
    auto twice = parse({"-L", "-p", "tcp", "-p", "udp", "--sport", "7"});
    ASSERT_TRUE(twice.ok);
    EXPECT_EQ(twice.request.l4.handler, "udp");
    EXPECT_EQ(twice.request.l4.sport, 7);
    EXPECT_EQ(twice.request.l4.flags, 0x1u);
    // Protocols known only to /etc/protocols use the "unknown" extension.
    EXPECT_EQ(parse({"-L", "-p", "esp"}).request.l4.handler, "unknown");
    EXPECT_EQ(parse({"-L", "-p", "0x6"}).request.l4.handler, "tcp");
}

TEST(ConntrackCli, MarkZoneIdValues)
{
    auto r = parse({"-L", "-m", "0x10/0xf0", "-w", "70000", "--orig-zone", "1"});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.request.mark, 0x10u);
    EXPECT_EQ(r.request.markMask, 0xf0u);
    EXPECT_EQ(r.request.zone, static_cast<uint16_t>(70000)); // strtoul into a u16
    EXPECT_EQ(r.request.origZone, 1);
    EXPECT_EQ(parse({"-L", "-m", "7"}).request.markMask, 0xffffffffu);
    // conntrack 1.4.7 does not validate marks: garbage is 0.
    EXPECT_EQ(parse({"-L", "-m", "abc"}).request.mark, 0u);
    EXPECT_EQ(parse({"-D", "-i", "42"}).request.id, 42u);
}

TEST(ConntrackCli, StatusWords)
{
    auto r = parse({"-L", "-u", "!ASSURED"});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.request.status, 0u);
    EXPECT_EQ(r.request.statusMask, 0x4u);
    auto u = parse({"-L", "-u", "UNREPLIED"});
    EXPECT_EQ(u.request.statusMask, 0x2u);
    // 1.4.7 accumulates over several -u: the mask takes the set flags while it is empty.
    auto two = parse({"-L", "-u", "ASSURED", "-u", "!SEEN_REPLY"});
    EXPECT_EQ(two.request.status, 0x4u);
    EXPECT_EQ(two.request.statusMask, 0x6u);
    auto mixed = parse({"-L", "-u", "ASSURED,!SEEN_REPLY"});
    EXPECT_EQ(mixed.request.status, 0x4u);
    EXPECT_EQ(mixed.request.statusMask, 0x2u);
    auto w = parse({"-L", "-u", "SRC_NAT"});
    ASSERT_TRUE(w.ok);
    EXPECT_EQ(w.diagnostics, "WARNING: ignoring SRC_NAT, use --src-nat instead\n");
    EXPECT_EQ(parse({"-L", "-u", "hw"}).request.status, 1u << 15);
}

TEST(ConntrackCli, EventsAndOutput)
{
    auto r = parse({"-E", "-e", "NEW,DESTROY", "-o", "xml,id", "-b", "212992"});
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_EQ(r.request.eventMask, event::New | event::Destroy);
    EXPECT_EQ(r.request.output.kind, ctd::OutputKind::Xml);
    EXPECT_TRUE(r.request.output.id);
    EXPECT_EQ(r.request.bufferSize, 212992u);
    auto o = parse({"-L", "-o", "ext", "-o", "id"});
    EXPECT_TRUE(o.request.output.extended);
    EXPECT_TRUE(o.request.output.id);
    EXPECT_EQ(parse({"-L", "-o", "d"}).diagnostics,
              "WARNING: ignoring DST_NAT, use --dst-nat instead\n");
}

TEST(ConntrackCli, Nat)
{
    auto r = parse({"-L", "--src-nat", "192.0.2.1:80"});
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_EQ(*r.request.srcNat.addr, v4("192.0.2.1"));
    EXPECT_EQ(*r.request.srcNat.port, 80);
    auto any = parse({"-L", "-j", "[2001:db8::1]:443"});
    ASSERT_TRUE(any.ok) << any.diagnostics;
    EXPECT_EQ(any.request.srcNat, any.request.dstNat);
    EXPECT_EQ(any.request.family, AF_INET6);
    auto bare = parse({"-L", "-n"});
    EXPECT_TRUE(bare.request.has(opt::SrcNat));
    EXPECT_FALSE(bare.request.srcNat.addr);
}

TEST(ConntrackCli, Labels)
{
    auto r = parse({"-L", "-l", "web,db", "-l", "web"}, someLabels());
    ASSERT_TRUE(r.ok) << r.diagnostics;
    EXPECT_EQ(r.request.labels, (std::vector<unsigned>{1, 70}));
    auto add = parse({"-U", "--label-add", "db"}, someLabels());
    EXPECT_EQ(add.request.labelsModify, (std::vector<unsigned>{70}));
    auto del = parse({"-U", "--label-del"}, someLabels());
    EXPECT_TRUE(del.request.labelDelAll);
    auto bad = parse({"-L", "-l", "web,nope"}, someLabels());
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.diagnostics, "conntrack v1.4.7 (conntrack-tools): unknown label 'nope'\n"
                               "Try `conntrack -h' or 'conntrack --help' for more information.\n");
}

TEST(ConntrackCli, Usage)
{
    auto r = parse({"-h", "-p", "tcp"});
    ASSERT_TRUE(r.ok);
    const std::string text = usageText("conntrack", r.request);
    EXPECT_EQ(text.rfind("Command line interface for the connection tracking system. "
                         "Version 1.4.7\nUsage: conntrack [commands] [options]\n", 0), 0u);
    EXPECT_NE(text.find("Proto `tcp' help:\n  --orig-port-src\t\toriginal source port\n"),
              std::string::npos);
    EXPECT_NE(text.find("Source addres from reply direction"), std::string::npos);
}

// Hostile input: nothing crashes, everything ends in a clear message or a request.
TEST(ConntrackCli, HostileInput)
{
    const std::string huge(100000, 'A');
    const std::vector<std::vector<std::string>> lines = {
        {"-L", "-s", huge},
        {"-L", "-o", huge},
        {"-L", "-u", huge},
        {"-L", "-p", huge},
        {"-L", "-n", huge},
        {"-L", "-n", "[" + huge},
        {"-L", "-j", "1.1.1.1:" + huge},
        {"-L", "-m", "99999999999999999999999/99999999999999999999"},
        {"-L", "-w", "-1"},
        {"-L", "-e", ",,,"},
        {"-L", "-u", "!!,!"},
        {"-L", "-p", "tcp", "--state", ""},
        {"-L", "-p", "dccp", "--role", ""},
        {"-L", "-s", "1.1.1.1/99999999999999999999"},
        {"-L", "-o", ",,"},
        {std::string("\xff\xfe"), "-L"},
        {"-L", "-p", "tcp", "-p", "tcp", "-p", "tcp", "--sport", "1"},
        {"-I", "-r", "1.1.1.1", "-q", "2.2.2.2", "-p", "sctp", "--reply-port-src", "1",
         "--reply-port-dst", "2", "--state", "ESTABLISHED", "-t", "1"},
    };
    for (const auto& l : lines) {
        auto r = parse(l);
        if (!r.ok) {
            EXPECT_NE(r.status, 0);
            EXPECT_NE(r.diagnostics.find("conntrack v1.4.7 (conntrack-tools): "), std::string::npos);
        }
    }
    std::vector<std::string> many(300, "-z");
    many.insert(many.begin(), "-L");
    EXPECT_TRUE(parse(many).ok);
}
