#include "attr_table.hpp"

#include <cerrno>
#include <linux/netlink.h>
#include <string>

namespace ctd::nl {

Error attrError(const char* nest, const char* name, const char* what)
{
    return makeError(EBADMSG, std::string("malformed netlink attribute ") + nest + "/" + name + ": " + what);
}

Result<void> walkAttrs(ByteView bytes, const char* nest, AttrVisitor visit, void* ctx)
{
    size_t off = 0;
    while (off < bytes.size()) {
        size_t left = bytes.size() - off;
        if (left < NLA_HDRLEN)
            return attrError(nest, "?", "truncated attribute header");
        uint16_t len = loadHost<uint16_t>(bytes.data() + off);
        uint16_t type = loadHost<uint16_t>(bytes.data() + off + 2) & NLA_TYPE_MASK;
        if (len < NLA_HDRLEN || len > left)
            return attrError(nest, "?", "attribute length out of bounds");
        auto r = visit(ctx, type, bytes.subspan(off + NLA_HDRLEN, len - NLA_HDRLEN));
        if (!r)
            return r;
        // The last attribute may lack its padding when a sender trims the message.
        off += std::min<size_t>(NLA_ALIGN(len), left);
    }
    return {};
}

} // namespace ctd::nl
