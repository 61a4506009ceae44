// The one table between core error codes (positive errno values, see core/result.hpp) and
// the D-Bus error names of docs/dbus-api.md. Everything in service/dbus that answers a
// call with an error goes through here, so a name is spelled in exactly one place.
#pragma once

#include "result.hpp"

#include <sdbus-c++/Error.h>

#include <string>

namespace ctd::dbus {

namespace errorName {
inline constexpr const char* InvalidArgument = "org.netfilter.Conntrack1.Error.InvalidArgument";
inline constexpr const char* NotFound = "org.netfilter.Conntrack1.Error.NotFound";
inline constexpr const char* Exists = "org.netfilter.Conntrack1.Error.Exists";
inline constexpr const char* Busy = "org.netfilter.Conntrack1.Error.Busy";
inline constexpr const char* Kernel = "org.netfilter.Conntrack1.Error.Kernel";
inline constexpr const char* NotConfigured = "org.netfilter.Conntrack1.Error.NotConfigured";
inline constexpr const char* AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
// Standard name, used only while a backend is not bound yet (ENOTSUP/EOPNOTSUPP).
inline constexpr const char* NotSupported = "org.freedesktop.DBus.Error.NotSupported";
} // namespace errorName

// EINVAL → InvalidArgument, ENOENT → NotFound, EEXIST → Exists, EBUSY → Busy,
// ENOTCONN → NotConfigured, EACCES → AccessDenied, ENOTSUP → NotSupported, other → Kernel.
const char* errorNameFor(int code);

sdbus::Error toDbusError(const ctd::Error& error);

inline sdbus::Error invalidArgument(std::string message)
{
    return sdbus::Error(errorName::InvalidArgument, std::move(message));
}

inline sdbus::Error accessDenied(std::string message)
{
    return sdbus::Error(errorName::AccessDenied, std::move(message));
}

} // namespace ctd::dbus
