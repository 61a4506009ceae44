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

// A table names each type once (decodeAttrs' fast slot lookup relies on it); each table
// is checked with a static_assert beside it.
template <typename T, size_t N>
constexpr bool distinctTypes(const std::array<AttrRule<T>, N>& rules)
{
    for (size_t i = 0; i < N; ++i)
        for (size_t j = i + 1; j < N; ++j)
            if (rules[i].type == rules[j].type)
                return false;
    return true;
}

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
        // Most tables list their types in order from 1, so the slot type - 1 is tried
        // first (a dump decodes ~30 attributes per entry); the others are searched.
        const AttrRule<T>* rule = nullptr;
        if (type >= 1 && type <= N && c.rules[type - 1].type == type) {
            rule = &c.rules[type - 1];
        } else {
            for (const auto& r : c.rules)
                if (r.type == type) {
                    rule = &r;
                    break;
                }
        }
        if (!rule)
            return {};
        if (payload.size() < rule->minLen)
            return attrError(c.nest, rule->name, "payload too short");
        return rule->decode(payload, c.out);
    };
    return walkAttrs(bytes, nest, visit, &ctx);
}

} // namespace ctd::nl
