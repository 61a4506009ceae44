// Counters of the service itself, as Stats.GetService reports them. One loop, one thread:
// plain integers are enough.
#pragma once

#include <cstdint>

namespace ctd::dbus {

struct ServiceCounters {
    uint64_t calls = 0; // method calls received
    uint64_t errors = 0; // calls answered with an error (denials included)
    uint64_t denied = 0; // calls polkit refused
    uint64_t eventLoss = 0; // kernel event loss (ENOBUFS) seen by watchers
    uint64_t resyncs = 0; // resynchronizations after event loss
    uint64_t streams = 0; // output streams open now
    uint64_t streamLoss = 0; // records dropped for slow readers
};

inline ServiceCounters& serviceCounters()
{
    static ServiceCounters counters;
    return counters;
}

} // namespace ctd::dbus
