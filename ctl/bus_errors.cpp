#include "bus_errors.hpp"

#include <cerrno>
#include <cstdlib>

namespace ctd::ctl {

namespace {

bool endsWith(const std::string& s, const std::string& tail)
{
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

CallError classify(const sdbus::Error& e)
{
    CallError out;
    out.name = e.getName();
    out.message = e.getMessage();
    const std::string& n = out.name;
    if (endsWith(n, "Conntrack1.Error.NotFound")) {
        out.kind = Failure::NotFound;
        out.errnoValue = ENOENT;
    } else if (endsWith(n, "Conntrack1.Error.Exists")) {
        out.kind = Failure::Exists;
        out.errnoValue = EEXIST;
    } else if (endsWith(n, "Conntrack1.Error.InvalidArgument")) {
        out.kind = Failure::InvalidArgument;
        out.errnoValue = EINVAL;
        out.hint = "Hint: see docs/dbus-api.md for the keys and values ctd accepts.";
    } else if (endsWith(n, "Conntrack1.Error.Busy")) {
        out.kind = Failure::Busy;
        out.errnoValue = EBUSY;
        out.hint = "Hint: too many streams or a conflicting operation; try again later.";
    } else if (endsWith(n, "Conntrack1.Error.Kernel")) {
        out.kind = Failure::Kernel;
        out.errnoValue = EIO;
    } else if (endsWith(n, "Conntrack1.Error.NotConfigured")) {
        out.kind = Failure::NotConfigured;
        out.errnoValue = EOPNOTSUPP;
        out.hint = "Hint: this needs a sync configuration in ctd.";
    } else if (n == "org.freedesktop.DBus.Error.AccessDenied" ||
               n == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") {
        out.kind = Failure::AccessDenied;
        out.errnoValue = EPERM;
        out.hint = "Hint: run as root, or ask for the polkit action named above "
                   "(on a terminal ctctl asks for a password unless --no-ask-password).";
    } else if (n == "org.freedesktop.DBus.Error.ServiceUnknown" ||
               n == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
               n == "org.freedesktop.DBus.Error.NoServer" ||
               n == "org.freedesktop.DBus.Error.Spawn.ServiceNotFound" ||
               n == "org.freedesktop.DBus.Error.FileNotFound" ||
               n == "org.freedesktop.DBus.Error.Disconnected" ||
               n.rfind("org.freedesktop.DBus.Error.Spawn", 0) == 0 ||
               n.rfind("System.Error.", 0) == 0 || n == "sdbus.Error") {
        out.kind = Failure::NoService;
        out.errnoValue = ECONNREFUSED;
        out.hint = "Hint: start it with 'systemctl start ctd' (or check that ctd's D-Bus "
                   "activation file is installed).";
    }
    return out;
}

bool withoutSyncEngine(const sdbus::Error& e)
{
    const std::string& n = e.getName();
    return n == "org.freedesktop.DBus.Error.UnknownObject" ||
        n == "org.freedesktop.DBus.Error.UnknownInterface" ||
        n == "org.freedesktop.DBus.Error.UnknownMethod" ||
        n == "org.freedesktop.DBus.Error.UnknownProperty" ||
        endsWith(n, "Conntrack1.Error.NotConfigured");
}

int exitCodeFor(Failure kind)
{
    switch (kind) {
    case Failure::NotFound: return 3;
    case Failure::AccessDenied: return 4;
    default: return 1;
    }
}

} // namespace ctd::ctl
