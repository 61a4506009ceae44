// Who is calling: the uid behind a bus unique name, asked of the bus asynchronously
// (GetConnectionUnixUser) and cached until the name goes away (NameOwnerChanged).
// sdbus-c++'s Message::getCredsUid() would be a synchronous bus round trip inside a
// handler, which would stall the loop for every client.
#pragma once

#include <sdbus-c++/IProxy.h>

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sdbus {
class IConnection;
}

namespace ctd::dbus {

class CallerCache {
public:
    // uid, or nullopt with the bus's error message.
    using Callback = std::function<void(std::optional<uid_t> uid, const std::string& error)>;

    explicit CallerCache(sdbus::IConnection& bus);

    void lookup(const std::string& sender, Callback callback);
    void forget(const std::string& name);
    size_t size() const { return uids_.size(); }

private:
    void finish(const std::string& sender, std::optional<uid_t> uid, const std::string& error);

    std::unique_ptr<sdbus::IProxy> busProxy_;
    std::map<std::string, uid_t> uids_;
    // Concurrent calls from one new client share one lookup.
    std::map<std::string, std::vector<Callback>> pending_;
};

} // namespace ctd::dbus
