// On a terminal, ctctl runs pkttyagent for the duration of a call so polkit can ask for a
// password, as systemctl does. Off a terminal (or with --no-ask-password) nothing starts.
#pragma once

#include <sys/types.h>

namespace ctd::ctl {

class PolkitAgent {
public:
    // Starts the agent when stdin is a terminal and ask is true; waits until it is ready.
    explicit PolkitAgent(bool ask);
    ~PolkitAgent();
    PolkitAgent(const PolkitAgent&) = delete;
    PolkitAgent& operator=(const PolkitAgent&) = delete;

    // Whether calls should set "interactive": the agent is up to answer.
    bool interactive() const { return pid_ > 0; }

private:
    pid_t pid_ = -1;
};

} // namespace ctd::ctl
