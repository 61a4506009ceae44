// Declarative attribute decoding: one table per nest says which attribute types exist,
// how long their payload must at least be, and how to store them. The walker checks
// every attribute header against the bytes it was given before a decoder sees it, so a
// decoder may read minLen bytes without further checks. Unknown types are skipped (newer
// kernels add attributes); short or overrunning ones are errors.
#pragma once

#include "bytes.hpp"
#include "result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace ctd::nl {

template <typename T>
struct AttrRule {
    uint16_t type;
    uint16_t minLen;
    const char* name;
    Result<void> (*decode)(ByteView payload, T& out);
};

using AttrVisitor = Result<void> (*)(void* ctx, uint16_t type, ByteView payload);

// Calls visit for each attribute in bytes (type without NLA_F_* bits). Errors on an
// attribute header that is short or runs past the end of bytes.
Result<void> walkAttrs(ByteView bytes, const char* nest, AttrVisitor visit, void* ctx);

Error attrError(const char* nest, const char* name, const char* what);

template <typename T, size_t N>
Result<void> decodeAttrs(ByteView bytes, const std::array<AttrRule<T>, N>& rules, const char* nest,
                         T& out)
{
    struct Ctx {
        const std::array<AttrRule<T>, N>& rules;
        const char* nest;
        T& out;
    } ctx{rules, nest, out};
    auto visit = [](void* raw, uint16_t type, ByteView payload) -> Result<void> {
        auto& c = *static_cast<Ctx*>(raw);
        for (const auto& rule : c.rules) {
            if (rule.type != type)
                continue;
            if (payload.size() < rule.minLen)
                return attrError(c.nest, rule.name, "payload too short");
            return rule.decode(payload, c.out);
        }
        return {};
    };
    return walkAttrs(bytes, nest, visit, &ctx);
}

} // namespace ctd::nl
