#include "caller_cache.hpp"

#include "log.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>

namespace ctd::dbus {

namespace {

constexpr const char* busName = "org.freedesktop.DBus";
// A lost client must not grow the cache without bound if its NameOwnerChanged was missed.
constexpr size_t maxCachedCallers = 4096;

} // namespace

CallerCache::CallerCache(sdbus::IConnection& bus)
    : busProxy_(sdbus::createProxy(bus, busName, "/org/freedesktop/DBus"))
{
    busProxy_->uponSignal("NameOwnerChanged")
        .onInterface(busName)
        .call([this](const std::string& name, const std::string&, const std::string& newOwner) {
            if (newOwner.empty() && !name.empty() && name[0] == ':')
                forget(name);
        });
    busProxy_->finishRegistration();
}

void CallerCache::lookup(const std::string& sender, Callback callback)
{
    if (auto it = uids_.find(sender); it != uids_.end()) {
        callback(it->second, {});
        return;
    }
    auto& waiting = pending_[sender];
    waiting.push_back(std::move(callback));
    if (waiting.size() > 1)
        return;
    busProxy_->callMethodAsync("GetConnectionUnixUser")
        .onInterface(busName)
        .withTimeout(std::chrono::seconds(10))
        .withArguments(sender)
        .uponReplyInvoke([this, sender](const sdbus::Error* error, uint32_t uid) {
            if (error)
                finish(sender, std::nullopt, error->getName() + ": " + error->getMessage());
            else
                finish(sender, uid, {});
        });
}

void CallerCache::finish(const std::string& sender, std::optional<uid_t> uid,
                         const std::string& error)
{
    if (uid) {
        if (uids_.size() >= maxCachedCallers)
            uids_.clear();
        uids_[sender] = *uid;
    }
    auto node = pending_.extract(sender);
    if (node.empty())
        return;
    for (auto& callback : node.mapped())
        callback(uid, error);
}

void CallerCache::forget(const std::string& name)
{
    uids_.erase(name);
}

} // namespace ctd::dbus
