// Carrier of the sync interfaces, from rtnetlink (RTMGRP_LINK): the one owner of the
// NETLINK_ROUTE socket. The engine fails over when the active link's interface loses its
// carrier (IFF_RUNNING), as conntrackd's multichannel does on link events.
#pragma once

#include "result.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;

namespace ctd::sync {

struct LinkState {
    unsigned index = 0;
    std::string name;
    bool running = false; // IFF_UP and IFF_RUNNING
};

class LinkWatcher {
public:
    using Sink = std::function<void(const LinkState&)>;

    static Result<std::unique_ptr<LinkWatcher>> open();
    ~LinkWatcher();
    LinkWatcher(const LinkWatcher&) = delete;
    LinkWatcher& operator=(const LinkWatcher&) = delete;

    // Every interface as it is now (RTM_GETLINK dump).
    Result<void> dump(const Sink& sink);
    // What changed since: reads what is queued, without waiting.
    Result<void> process(const Sink& sink);
    int fd() const;

    // Parses one RTM_NEWLINK / RTM_DELLINK message (exposed for tests with recorded bytes).
    static bool parse(const void* message, size_t length, LinkState& out);

private:
    LinkWatcher() = default;
    Result<void> readMessages(const Sink& sink, bool untilDone, uint32_t seq);

    mnl_socket* nl_ = nullptr;
    uint32_t portId_ = 0;
    uint32_t seq_ = 0;
};

} // namespace ctd::sync
