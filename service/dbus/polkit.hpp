// polkit authorization, asynchronous from end to end: caller uid (cached), root passes,
// everyone else goes through org.freedesktop.PolicyKit1.Authority.CheckAuthorization with
// the caller's bus name as subject. No answer, no polkitd, or an error all mean "denied"
// with a message that says why, after at most the timeout (shorter than clients' 25 s).
#pragma once

#include "caller_cache.hpp"

#include <sdbus-c++/IProxy.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace ctd::dbus {

inline constexpr const char* actionPrefix = "org.netfilter.conntrack1.";

struct AuthRequest {
    std::string sender; // unique bus name of the caller
    std::string action; // full action id
    std::string method; // e.g. "Table.Delete", for the details and the messages
    std::string query; // conntrack options rendering of the query, may be empty
    bool interactive = false;
};

struct AuthResult {
    bool allowed = false;
    std::string message; // why not, for AccessDenied
};

class Authorizer {
public:
    using Callback = std::function<void(const AuthResult&)>;

    Authorizer(sdbus::IConnection& bus, CallerCache& callers,
               std::chrono::microseconds timeout = std::chrono::seconds(20));

    void check(AuthRequest request, Callback done);

private:
    void askPolkit(std::shared_ptr<AuthRequest> request, Callback done);

    CallerCache& callers_;
    std::unique_ptr<sdbus::IProxy> polkit_;
    std::chrono::microseconds timeout_;
};

// "Table.Delete requires polkit action org.netfilter.conntrack1.modify-entries"
std::string deniedMessage(const AuthRequest& request, const std::string& why = {});

} // namespace ctd::dbus
