#include "errors.hpp"

#include <cerrno>
#include <cstring>

namespace ctd::dbus {

namespace {

struct ErrorMapping {
    int code;
    const char* name;
};

// ENOTCONN stands for "no sync engine configured": the core has no better errno for it and
// nothing in ctnetlink returns ENOTCONN, so it cannot be confused with a kernel refusal.
constexpr ErrorMapping errorTable[] = {
    {EINVAL, errorName::InvalidArgument},
    {ENOENT, errorName::NotFound},
    {EEXIST, errorName::Exists},
    {EBUSY, errorName::Busy},
    {ENOTCONN, errorName::NotConfigured},
    {EACCES, errorName::AccessDenied},
    {ENOTSUP, errorName::NotSupported},
#if EOPNOTSUPP != ENOTSUP
    {EOPNOTSUPP, errorName::NotSupported},
#endif
};

} // namespace

const char* errorNameFor(int code)
{
    for (const auto& mapping : errorTable) {
        if (mapping.code == code)
            return mapping.name;
    }
    return errorName::Kernel;
}

sdbus::Error toDbusError(const ctd::Error& error)
{
    std::string message = error.message;
    if (message.empty())
        message = error.code > 0 ? std::strerror(error.code) : "unknown error";
    return sdbus::Error(errorNameFor(error.code), std::move(message));
}

} // namespace ctd::dbus
