// "conntrack -L expect" lines and <flow> elements: libnetfilter_conntrack 1.0.9's
// __snprintf_expect_default and __snprintf_expect_xml.
#include "format/proto_names.hpp"
#include "format/writers.hpp"

namespace ctd {

namespace {

// NF_CT_EXPECT_* (include/uapi/linux/netfilter/nf_conntrack_common.h).
constexpr uint32_t kPermanent = 0x1;
constexpr uint32_t kInactive = 0x2;
constexpr uint32_t kUserspace = 0x4;

void appendXmlGroup(TextBuffer& out, std::string_view tag, uint8_t family, const Tuple& t,
                    bool layer3)
{
    out.append('<');
    out.append(tag);
    out.append('>');
    if (layer3)
        appendXmlAddresses(out, family, t);
    else
        appendXmlProto(out, t);
    out.append("</");
    out.append(tag);
    out.append('>');
}

} // namespace

void writeExpectationText(TextBuffer& out, const Expectation& x, const WriteContext& ctx)
{
    appendEventPrefix(out, ctx.type);
    if (x.timeout) {
        out.appendDecimal(*x.timeout);
        out.append(' ');
    }
    out.append("proto=");
    out.appendDecimal(x.tuple.protocol.value_or(0));
    out.append(' ');
    appendTupleAddresses(out, x.family, x.tuple, "src", "dst");
    appendTupleProto(out, x.tuple);
    appendTupleAddresses(out, x.family, x.mask, "mask-src", "mask-dst");
    appendTupleProto(out, x.mask);
    appendTupleAddresses(out, x.family, x.master, "master-src", "master-dst");
    appendTupleProto(out, x.master);
    if (x.zone) {
        out.append("zone=");
        out.appendDecimal(*x.zone);
        out.append(' ');
    }
    const uint32_t flags = x.flags.value_or(0);
    std::string_view delim;
    if (flags & kPermanent) {
        out.append("PERMANENT");
        delim = ",";
    }
    if (flags & kInactive) {
        out.append(delim);
        out.append("INACTIVE");
        delim = ",";
    }
    if (flags & kUserspace) {
        out.append(delim);
        out.append("USERSPACE");
        delim = ",";
    }
    if (!delim.empty())
        out.append(' ');
    if (x.expectClass) {
        out.append("class=");
        out.appendDecimal(*x.expectClass);
        out.append(' ');
    }
    if (x.helper) {
        out.append("helper=");
        out.append(helperName(*x.helper));
        out.append(' ');
    }
    if (out.last() == ' ')
        out.dropLast(1);
}

void writeExpectationXml(TextBuffer& out, const Expectation& x, const WriteContext& ctx)
{
    appendXmlFlowOpen(out, ctx.type);
    out.append("<layer3 protonum=\"");
    out.appendDecimal(x.family);
    out.append("\" protoname=\"");
    out.append(l3ProtoName(x.family));
    out.append("\">");
    appendXmlGroup(out, "expected", x.family, x.tuple, true);
    appendXmlGroup(out, "mask", x.family, x.mask, true);
    appendXmlGroup(out, "master", x.family, x.master, true);
    out.append("</layer3><layer4 protonum=\"");
    const uint8_t p = x.tuple.protocol.value_or(0);
    out.appendDecimal(p);
    out.append("\" protoname=\"");
    out.append(l4ProtoName(p));
    out.append("\">");
    appendXmlGroup(out, "expected", x.family, x.tuple, false);
    appendXmlGroup(out, "mask", x.family, x.mask, false);
    appendXmlGroup(out, "master", x.family, x.master, false);
    out.append("</layer4><meta>");
    if (x.helper) {
        out.append("<helper-name>");
        out.append(helperName(*x.helper));
        out.append("</helper-name>");
    }
    if (x.timeout) {
        out.append("<timeout>");
        out.appendDecimal(*x.timeout);
        out.append("</timeout>");
    }
    if (x.expectClass) {
        out.append("<class>");
        out.appendDecimal(*x.expectClass);
        out.append("</class>");
    }
    if (x.zone) {
        out.append("<zone>");
        out.appendDecimal(*x.zone);
        out.append("</zone>");
    }
    if (ctx.when) {
        out.append("<when>");
        appendXmlLocalTime(out, ctx.whenSec);
        out.append("</when>");
    }
    const uint32_t flags = x.flags.value_or(0);
    if (flags & kPermanent)
        out.append("<permanent/>");
    if (flags & kInactive)
        out.append("<inactive/>");
    if (flags & kUserspace)
        out.append("<userspace/>");
    out.append("</meta></flow>");
}

} // namespace ctd
