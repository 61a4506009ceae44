// ctdump: lists (or deletes) conntrack entries straight through ctcore, printed with
// ctformat. A development and test tool: the differential tests compare its output with
// conntrack 1.4.7's, bench/ times it, scripts/run.sh shows it. Not the drop-in (ctctl is).
//
//   ctdump [-L [conntrack|expect|dying|unconfirmed] | -D] [-o FORMAT] [-f ipv4|ipv6]
//          [-p PROTO] [--sport N] [--dport N] [-s ADDR[/LEN]] [-d ADDR[/LEN]]
//          [-m MARK[/MASK]] [--zone N] [--label-map FILE] [--quiet]
#include "ctd_config.h"
#include "format/formatter.hpp"
#include "format/proto_names.hpp"
#include "netlink/conntrack_table.hpp"
#include "netlink/expectation_table.hpp"
#include "netlink/socket.hpp"

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>

using namespace ctd;

namespace {

[[noreturn]] void usage(const std::string& why)
{
    std::fprintf(stderr, "ctdump: %s\n", why.c_str());
    std::fprintf(stderr,
                 "usage: ctdump [-L [conntrack|expect|dying|unconfirmed] | -D] [-o FORMAT] [-f ipv4|ipv6]\n"
                 "              [-p PROTO] [--sport N] [--dport N] [-s ADDR[/LEN]] [-d ADDR[/LEN]]\n"
                 "              [-m MARK[/MASK]] [--zone N] [--label-map FILE] [--quiet]\n");
    std::exit(2);
}

uint64_t number(std::string_view opt, const char* text, uint64_t max)
{
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(text, &end, 0);
    if (errno || end == text || *end || v > max)
        usage(std::string(opt) + ": bad number '" + text + "'");
    return v;
}

Prefix prefix(std::string_view opt, const std::string& text)
{
    Prefix p;
    std::string addr = text;
    auto slash = text.find('/');
    if (slash != std::string::npos)
        addr = text.substr(0, slash);
    if (inet_pton(AF_INET, addr.c_str(), p.addr.bytes.data()) == 1) {
        p.addr.family = AF_INET;
        p.length = 32;
    } else if (inet_pton(AF_INET6, addr.c_str(), p.addr.bytes.data()) == 1) {
        p.addr.family = AF_INET6;
        p.length = 128;
    } else {
        usage(std::string(opt) + ": bad address '" + text + "'");
    }
    if (slash != std::string::npos)
        p.length = number(opt, text.c_str() + slash + 1, p.length);
    return p;
}

uint8_t protocol(const char* name)
{
    for (unsigned p = 0; p < 256; ++p)
        if (l4ProtoName(p) == name)
            return p;
    return number("-p", name, 255);
}

struct Options {
    bool remove = false;
    bool quiet = false; // -D without printing: lets the kernel flush the matches itself
    std::string table = "conntrack";
    std::string format;
    std::string labelMap = CTD_LABEL_MAP;
    Query query;
};

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                usage(std::string(a) + " needs a value");
            return argv[++i];
        };
        if (a == "-L") {
            if (i + 1 < argc && argv[i + 1][0] != '-')
                o.table = argv[++i];
        } else if (a == "-D") {
            o.remove = true;
        } else if (a == "--quiet") {
            o.quiet = true;
        } else if (a == "-o") {
            o.format = value();
        } else if (a == "-f") {
            std::string_view f = value();
            if (f == "ipv4")
                o.query.family = AF_INET;
            else if (f == "ipv6")
                o.query.family = AF_INET6;
            else
                usage("-f: ipv4 or ipv6");
        } else if (a == "-p") {
            o.query.protocol = protocol(value());
        } else if (a == "--sport") {
            o.query.sport = number(a, value(), 65535);
        } else if (a == "--dport") {
            o.query.dport = number(a, value(), 65535);
        } else if (a == "-s") {
            o.query.src = prefix(a, value());
        } else if (a == "-d") {
            o.query.dst = prefix(a, value());
        } else if (a == "-m") {
            std::string m = value();
            Masked32 mark;
            auto slash = m.find('/');
            mark.value = number(a, m.substr(0, slash).c_str(), 0xffffffff);
            if (slash != std::string::npos)
                mark.mask = number(a, m.c_str() + slash + 1, 0xffffffff);
            o.query.mark = mark;
        } else if (a == "--zone") {
            o.query.zone = number(a, value(), 65535);
        } else if (a == "--label-map") {
            o.labelMap = value();
        } else {
            usage("unknown option '" + std::string(a) + "'");
        }
    }
    if (o.table == "dying")
        o.query.table = TableKind::Dying;
    else if (o.table == "unconfirmed")
        o.query.table = TableKind::Unconfirmed;
    else if (o.table != "conntrack" && o.table != "expect")
        usage("unknown table '" + o.table + "'");
    return o;
}

void flushOrDie(TextBuffer& out)
{
    if (auto r = out.flushTo(STDOUT_FILENO); !r) {
        std::fprintf(stderr, "ctdump: write: %s\n", r.error().message.c_str());
        std::exit(1);
    }
}

[[noreturn]] void fail(const Error& e)
{
    std::fprintf(stderr, "ctdump: %s\n", e.message.c_str());
    std::exit(1);
}

} // namespace

int main(int argc, char** argv)
{
    Options o = parse(argc, argv);
    auto spec = parseFormatSpec(o.format);
    if (!spec)
        usage(spec.error().message);
    auto labels = LabelMap::load(o.labelMap);
    auto socket = nl::MnlSocket::open();
    if (!socket)
        fail(socket.error());

    TextBuffer out;
    Command command = o.remove ? Command::Delete : Command::List;
    Formatter fmt(*spec, command, out, labels ? &*labels : nullptr);
    fmt.begin();
    uint64_t shown = 0;

    if (o.table == "expect") {
        nl::ExpectationTable table(**socket);
        auto r = table.dump(o.query.family.value_or(0), [&](const Expectation& x) {
            fmt.expectation(x);
            if (out.wantsFlush())
                flushOrDie(out);
            return true;
        });
        if (!r)
            fail(r.error());
        shown = *r;
    } else {
        nl::TransportFactory extra = [] () -> Result<std::unique_ptr<nl::NetlinkTransport>> {
            auto s = nl::MnlSocket::open();
            if (!s)
                return s.error();
            return std::unique_ptr<nl::NetlinkTransport>(std::move(*s));
        };
        nl::ConntrackTable table(**socket, extra);
        auto sink = [&](const Entry& e) {
            fmt.entry(e);
            ++shown;
            if (out.wantsFlush())
                flushOrDie(out);
            return true;
        };
        if (o.remove) {
            auto r = table.removeMatching(o.query, o.quiet ? nl::EntrySink{} : nl::EntrySink(sink));
            if (!r)
                fail(r.error());
            shown = r->done;
        } else if (auto r = table.dump(o.query, sink); !r) {
            fail(r.error());
        }
    }
    fmt.end();
    flushOrDie(out);
    std::fprintf(stderr, "ctdump: %llu %s been %s.\n", static_cast<unsigned long long>(shown),
                 o.table == "expect" ? "expectations have" : "flow entries have",
                 o.remove ? "deleted" : "shown");
    return 0;
}
