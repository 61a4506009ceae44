#include "sync/config/sync_config.hpp"

namespace ctd::sync {

uint8_t Channel::family() const {
    for (const auto* a : {&address, &destination, &interfaceAddress})
        if (*a)
            return (*a)->family;
    return 0;
}

} // namespace ctd::sync
