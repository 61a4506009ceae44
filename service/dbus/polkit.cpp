#include "polkit.hpp"

#include "log.hpp"

#include <sdbus-c++/sdbus-c++.h>

namespace ctd::dbus {

namespace {

constexpr const char* polkitName = "org.freedesktop.PolicyKit1";
constexpr const char* authorityInterface = "org.freedesktop.PolicyKit1.Authority";
constexpr uint32_t allowUserInteraction = 1;

bool isUnavailable(const std::string& name)
{
    return name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
        name == "org.freedesktop.DBus.Error.Spawn.ChildExited" ||
        name == "org.freedesktop.DBus.Error.Disconnected";
}

bool isTimeout(const std::string& name)
{
    return name == "org.freedesktop.DBus.Error.NoReply" ||
        name == "org.freedesktop.DBus.Error.Timeout" ||
        name == "org.freedesktop.DBus.Error.TimedOut";
}

} // namespace

std::string deniedMessage(const AuthRequest& request, const std::string& why)
{
    std::string message = request.method + " requires polkit action " + request.action;
    if (!why.empty())
        message += ": " + why;
    return message;
}

Authorizer::Authorizer(sdbus::IConnection& bus, CallerCache& callers,
                       std::chrono::microseconds timeout)
    : callers_(callers),
      polkit_(sdbus::createProxy(bus, polkitName, "/org/freedesktop/PolicyKit1/Authority")),
      timeout_(timeout)
{
}

void Authorizer::check(AuthRequest request, Callback done)
{
    auto shared = std::make_shared<AuthRequest>(std::move(request));
    callers_.lookup(shared->sender, [this, shared, done = std::move(done)](
                                        std::optional<uid_t> uid, const std::string& error) {
        if (!uid) {
            done({false, deniedMessage(*shared, "cannot identify the caller (" + error + ")")});
            return;
        }
        // Root holds CAP_NET_ADMIN anyway; polkit would say yes after a round trip.
        if (*uid == 0) {
            done({true, {}});
            return;
        }
        askPolkit(shared, done);
    });
}

void Authorizer::askPolkit(std::shared_ptr<AuthRequest> request, Callback done)
{
    using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
    Subject subject{"system-bus-name", {{"name", sdbus::Variant(request->sender)}}};
    std::map<std::string, std::string> details{{"method", request->method}};
    if (!request->query.empty())
        details["query"] = request->query;
    const uint32_t flags = request->interactive ? allowUserInteraction : 0;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout_).count();
    try {
        polkit_->callMethodAsync("CheckAuthorization")
            .onInterface(authorityInterface)
            .withTimeout(timeout_)
            .withArguments(subject, request->action, details, flags, std::string())
            .uponReplyInvoke([request, done, seconds](
                                 const sdbus::Error* error,
                                 sdbus::Struct<bool, bool, std::map<std::string, std::string>> result) {
                if (error) {
                    std::string why;
                    if (isUnavailable(error->getName()))
                        why = "polkit (org.freedesktop.PolicyKit1) is not available, so only "
                              "root is authorized";
                    else if (isTimeout(error->getName()))
                        why = "polkit did not answer within " + std::to_string(seconds) + " s";
                    else
                        why = "polkit failed: " + error->getName() + ": " + error->getMessage();
                    log::warning("authorization of " + request->method + " for " +
                                 request->sender + " denied: " + why);
                    done({false, deniedMessage(*request, why)});
                    return;
                }
                const bool authorized = std::get<0>(result);
                const bool challenge = std::get<1>(result);
                if (authorized) {
                    done({true, {}});
                } else if (challenge && !request->interactive) {
                    done({false, deniedMessage(*request, "authentication is required; set "
                                                         "option 'interactive' to allow a "
                                                         "password prompt")});
                } else {
                    done({false, deniedMessage(*request)});
                }
            });
    } catch (const sdbus::Error& e) {
        done({false, deniedMessage(*request, "cannot ask polkit: " + e.getMessage())});
    }
}

} // namespace ctd::dbus
