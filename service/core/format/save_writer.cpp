// "conntrack -o save" lines (conntrack-tools 1.4.7 ct_save_snprintf): the command-line
// options that recreate the entry with "conntrack -R". Mark, labels, counters and
// timestamps are not part of it, exactly as in conntrack.
#include "format/proto_names.hpp"
#include "format/writers.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <sys/socket.h>

namespace ctd {

namespace {

void option(TextBuffer& out, std::string_view name, uint64_t value)
{
    out.append(name);
    out.append(' ');
    out.appendDecimal(value);
    out.append(' ');
}

void option(TextBuffer& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out.append(' ');
    out.append(value);
    out.append(' ');
}

void addressOption(TextBuffer& out, std::string_view name, uint8_t family, const Address& a)
{
    if (a.family == 0)
        return;
    out.append(name);
    out.append(' ');
    if (family == AF_INET)
        out.appendIpv4(a.bytes.data());
    else
        out.appendIpv6(a.bytes.data());
    out.append(' ');
}

bool sameAddress(uint8_t family, const Address& a, const Address& b)
{
    return std::memcmp(a.bytes.data(), b.bytes.data(), family == AF_INET6 ? 16 : 4) == 0;
}

void portOptions(TextBuffer& out, const Entry& e, std::string_view s, std::string_view d,
                 std::string_view rs, std::string_view rd)
{
    if (e.orig.sport)
        option(out, s, *e.orig.sport);
    if (e.orig.dport)
        option(out, d, *e.orig.dport);
    if (e.reply.sport)
        option(out, rs, *e.reply.sport);
    if (e.reply.dport)
        option(out, rd, *e.reply.dport);
}

void icmpOptions(TextBuffer& out, const Tuple& t, std::string_view type, std::string_view code,
                 std::string_view id)
{
    if (t.icmpType)
        option(out, type, *t.icmpType);
    if (t.icmpCode)
        option(out, code, *t.icmpCode);
    if (t.icmpId)
        option(out, id, *t.icmpId);
}

void protoOptions(TextBuffer& out, const Entry& e, uint8_t p)
{
    switch (p) {
    case proto::kTcp:
    case proto::kUdp:
    case proto::kUdplite:
    case proto::kSctp:
    case proto::kDccp:
        portOptions(out, e, "--sport", "--dport", "--reply-port-src", "--reply-port-dst");
        break;
    case proto::kGre:
        portOptions(out, e, "--srckey", "--dstkey", "--reply-key-src", "--reply-key-dst");
        break;
    case proto::kIcmp:
        icmpOptions(out, e.orig, "--icmp-type", "--icmp-code", "--icmp-id");
        break;
    case proto::kIcmpv6:
        icmpOptions(out, e.orig, "--icmpv6-type", "--icmpv6-code", "--icmpv6-id");
        break;
    default:
        break;
    }
    // A state outside conntrack's name table is left out: conntrack itself would print
    // garbage there, and -R could not read it back either way.
    if (p == proto::kTcp && e.tcp && e.tcp->state)
        if (auto name = tcpStateName(*e.tcp->state))
            option(out, "--state", *name);
    if (p == proto::kSctp && e.sctp) {
        if (e.sctp->state)
            if (auto name = sctpStateName(*e.sctp->state))
                option(out, "--state", *name);
        // conntrack 1.4.7 byte-swaps vtags once more than it should on output and on
        // input (-I/-R), so its save files hold ntohl(vtag). Interchange needs the same.
        if (e.sctp->vtagOrig)
            option(out, "--orig-vtag", ntohl(*e.sctp->vtagOrig));
        if (e.sctp->vtagReply)
            option(out, "--reply-vtag", ntohl(*e.sctp->vtagReply));
    }
    if (p == proto::kDccp && e.dccp) {
        if (e.dccp->state)
            if (auto name = dccpStateName(*e.dccp->state))
                option(out, "--state", *name);
        if (e.dccp->role)
            if (auto name = dccpRoleName(*e.dccp->role))
                option(out, "--role", *name);
    }
}

} // namespace

void writeConntrackSave(TextBuffer& out, const Entry& e, char command)
{
    const size_t lineStart = out.size();
    if (command != 0) {
        out.append('-');
        out.append(command);
        out.append(' ');
    }
    if (e.timeout)
        option(out, "-t", *e.timeout);
    if (e.status) {
        out.append("-u ");
        bool any = false;
        for (const auto& s : kSaveStatusNames) {
            if (*e.status & s.bit) {
                if (any)
                    out.append(',');
                out.append(s.name);
                any = true;
            }
        }
        out.append(any ? " " : "UNSET ");
    }
    if (e.secmark)
        option(out, "-c", *e.secmark);
    if (e.zone)
        option(out, "-w", *e.zone);
    if (e.orig.zone)
        option(out, "--orig-zone", *e.orig.zone);
    if (e.reply.zone)
        option(out, "--reply-zone", *e.reply.zone);

    const uint8_t family = entryFamily(e);
    if (family != AF_INET && family != AF_INET6) {
        // conntrack warns on stderr and prints what it had so far, untrimmed.
        return;
    }
    // NFCT_GOPT_IS_DNAT / IS_SNAT of libnetfilter_conntrack 1.0.9: both families.
    const uint32_t status = e.status.value_or(0);
    const bool isDnat = e.status && (status & ips::kDstNatDone) &&
                        !sameAddress(family, e.reply.src, e.orig.dst);
    const bool isSnat = e.status && (status & ips::kSrcNatDone) &&
                        !sameAddress(family, e.reply.dst, e.orig.src);
    addressOption(out, "-s", family, e.orig.src);
    addressOption(out, "-d", family, e.orig.dst);
    addressOption(out, isDnat ? "-g" : "-r", family, e.reply.src);
    addressOption(out, isSnat ? "-n" : "-q", family, e.reply.dst);

    const uint8_t p = e.orig.protocol.value_or(0);
    std::string_view name = l4ProtoName(p);
    if (name == "unknown")
        option(out, "-p", p);
    else
        option(out, "-p", name);
    protoOptions(out, e, p);

    while (out.size() > lineStart && out.last() == ' ')
        out.dropLast(1);
}

} // namespace ctd
