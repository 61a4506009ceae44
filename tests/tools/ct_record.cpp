// Records the raw netlink messages of a live table into a golden file for the unit
// tests: every message of the answer, back to back, exactly as the kernel sent them.
//
//   ct-record conntrack|dying|unconfirmed|expect|stats|cpu-stats|exp-cpu-stats [family] OUT
//   ct-record events COUNT OUT         (waits for COUNT conntrack/expectation events)
//
// family: inet, inet6 or any (default). Run it inside the namespace to record.
#include "netlink/ctnl_build.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/socket.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <string>

using namespace ctd;
using namespace ctd::nl;

namespace {

int usage()
{
    std::fprintf(stderr, "usage: ct-record conntrack|dying|unconfirmed|expect|stats|cpu-stats|exp-cpu-stats "
                         "[inet|inet6|any] OUT\n       ct-record events COUNT OUT\n");
    return 2;
}

uint8_t familyOf(const std::string& s)
{
    if (s == "inet")
        return AF_INET;
    if (s == "inet6")
        return AF_INET6;
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3)
        return usage();
    std::string kind = argv[1];
    std::string out = argv[argc - 1];
    std::string arg = argc > 3 ? argv[2] : "any";

    auto sock = MnlSocket::open();
    if (!sock) {
        std::fprintf(stderr, "ct-record: %s\n", sock.error().message.c_str());
        return 1;
    }
    FILE* f = std::fopen(out.c_str(), "wb");
    if (!f) {
        std::perror(out.c_str());
        return 1;
    }
    size_t n = 0;
    auto write = [&](ByteView m) {
        std::fwrite(m.data(), 1, m.size(), f);
        ++n;
        return true;
    };

    Result<void> r{};
    if (kind == "events") {
        size_t want = std::strtoul(arg.c_str(), nullptr, 10);
        if (auto s = (*sock)->subscribe(EventGroup::CtAll | EventGroup::ExpAll); !s)
            r = s;
        while (r && n < want) {
            auto got = (*sock)->receiveEvents(write, 10000);
            if (!got) {
                r = got.error();
                break;
            }
            if (got->messages == 0) {
                r = makeError(ETIMEDOUT, "no event within 10 s");
                break;
            }
        }
    } else {
        NlWriter w;
        KernelFilter filter;
        filter.family = familyOf(arg);
        if (kind == "conntrack")
            r = buildConntrackDump(w, TableKind::Conntrack, filter, false);
        else if (kind == "dying")
            r = buildConntrackDump(w, TableKind::Dying, filter, false);
        else if (kind == "unconfirmed")
            r = buildConntrackDump(w, TableKind::Unconfirmed, filter, false);
        else if (kind == "expect")
            buildExpectationDump(w, filter.family);
        else if (kind == "stats")
            buildConntrackCount(w);
        else if (kind == "cpu-stats")
            buildConntrackCpuStats(w);
        else if (kind == "exp-cpu-stats")
            buildExpectationCpuStats(w);
        else
            return usage();
        if (r)
            r = (*sock)->request(w.bytes(), write);
    }
    std::fclose(f);
    if (!r) {
        std::fprintf(stderr, "ct-record: %s\n", r.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "ct-record: %zu messages -> %s\n", n, out.c_str());
    return 0;
}
