// Operations on the expectation table: dump, get, create, delete, flush.
#pragma once

#include "entry.hpp"
#include "result.hpp"
#include "socket.hpp"

#include <cstdint>
#include <functional>
#include <optional>

namespace ctd::nl {

using ExpectationSink = std::function<bool(const Expectation&)>;

class ExpectationTable {
public:
    explicit ExpectationTable(NetlinkTransport& nl) : nl_(nl) {}

    // family 0 = all families. Returns the number of expectations delivered.
    Result<uint64_t> dump(uint8_t family, const ExpectationSink& sink);
    Result<Expectation> get(uint8_t family, const Tuple& tuple, std::optional<uint16_t> zone = {});
    Result<void> create(const Expectation& x);
    // Deletes by expected tuple (+ zone); with x.id set only that expectation.
    Result<void> remove(const Expectation& x);
    Result<void> flush(uint8_t family = 0);

private:
    NetlinkTransport& nl_;
};

} // namespace ctd::nl
