#include "root_env.hpp"

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

namespace ctd::roottest {

namespace {

const char* kPopulate[] = {
    "-p tcp -s 192.0.2.1 -d 198.18.0.1 --sport 1001 --dport 80 --state ESTABLISHED -u ASSURED -m 7",
    "-p tcp -s 192.0.2.2 -d 198.18.0.1 --sport 1002 --dport 443 --state SYN_SENT -m 0x15",
    "-p udp -s 192.0.2.3 -d 198.18.0.2 --sport 1003 --dport 53 -m 7",
    "-p udp -s 192.0.2.4 -d 198.18.0.2 --sport 1004 --dport 53 -w 5",
    "-p udp -s 192.0.2.5 -d 198.18.0.2 --sport 1005 --dport 123",
    "-p udp -s 192.0.2.6 -d 198.18.0.2 --sport 1006 --dport 53 --src-nat 203.0.113.1",
    "-p sctp -s 192.0.2.7 -d 198.18.0.3 --sport 1007 --dport 2905 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2",
    "-p sctp -s 192.0.2.8 -d 198.18.0.3 --sport 1008 --dport 2906 --state ESTABLISHED --orig-vtag 1 --reply-vtag 2",
    "-p icmp -s 192.0.2.9 -d 198.18.0.4 --icmp-type 8 --icmp-code 0 --icmp-id 9",
    "-p udp -s 192.0.2.10 -d 198.18.0.2 --sport 1010 --dport 53 --orig-zone 7",
    // Replied and NATed both ways, for -u !FLAG / UNREPLIED and --src-nat with --dst-nat.
    "-p udp -s 192.0.2.11 -d 198.18.0.2 --sport 1011 --dport 53 -u SEEN_REPLY",
    "-p tcp -s 192.0.2.12 -d 198.18.0.5 --sport 1012 --dport 80 --state ESTABLISHED -u SEEN_REPLY,ASSURED",
    "-p udp -s 192.0.2.13 -d 198.18.0.6 --sport 1013 --dport 53 --src-nat 203.0.113.13 --dst-nat 10.99.0.13",
    "-p udp -s 192.0.2.14 -d 198.18.0.6 --sport 1014 --dport 53 --dst-nat 10.99.0.14",
    "-p tcp -s 2001:db8::1 -d 2001:db8::100 --sport 2001 --dport 80 --state ESTABLISHED -u ASSURED",
    "-p udp -s 2001:db8::2 -d 2001:db8::100 --sport 2002 --dport 53 -m 7",
    "-p udp -s 2001:db8::3 -d 2001:db8::100 --sport 2003 --dport 53",
    "-p icmpv6 -s 2001:db8::4 -d 2001:db8::100 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 4",
};

} // namespace

Address addr(const std::string& text)
{
    Address a;
    a.family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    inet_pton(a.family, text.c_str(), a.bytes.data());
    return a;
}

std::string run(const std::string& cmd)
{
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p)
        return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    pclose(p);
    return out;
}

std::string conntrack(const std::string& args) { return run("conntrack " + args + " 2>/dev/null"); }

std::string keyOf(const std::string& line)
{
    std::istringstream in(line);
    std::string tok, key;
    in >> tok;
    key = tok; // protocol name
    int srcSeen = 0;
    while (in >> tok) {
        // The first src= starts the original tuple, the second the reply one.
        if (tok.rfind("src=", 0) == 0 && ++srcSeen == 2)
            break;
        for (const char* p : {"src=", "dst=", "sport=", "dport=", "type=", "code=", "id=", "zone-orig="})
            if (tok.rfind(p, 0) == 0)
                key += " " + tok;
    }
    auto zone = line.find(" zone=");
    if (zone != std::string::npos)
        key += line.substr(zone, line.find(' ', zone + 1) - zone);
    return key;
}

std::set<std::string> listKeys(const std::string& listArgs)
{
    std::set<std::string> keys;
    std::istringstream in(conntrack("-L " + listArgs));
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            keys.insert(keyOf(line));
    return keys;
}

void populate()
{
    conntrack("-F");
    for (const char* args : kPopulate)
        conntrack("-I -t 300 " + std::string(args));
}

size_t populatedCount() { return std::size(kPopulate); }

std::unique_ptr<nl::MnlSocket> openSocket(const nl::SocketOptions& o)
{
    auto s = nl::MnlSocket::open(o);
    if (!s) {
        std::fprintf(stderr, "socket: %s\n", s.error().message.c_str());
        std::abort();
    }
    return std::move(*s);
}

nl::TransportFactory socketFactory() { return nl::mnlSocketFactory(); }

} // namespace ctd::roottest
