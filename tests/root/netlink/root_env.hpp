// Shared set-up for the netlink root tests: they run inside a throwaway namespace made by
// run-in-netns.sh and drive the real conntrack 1.4.7 as the reference.
#pragma once

#include "entry.hpp"
#include "netlink/conntrack_table.hpp"
#include "netlink/socket.hpp"

#include <set>
#include <string>
#include <vector>

namespace ctd::roottest {

// Output of a shell command (stdout only).
std::string run(const std::string& cmd);
// conntrack ARGS inside this namespace, stderr dropped.
std::string conntrack(const std::string& args);
// One identity per listed entry (protocol + original tuple + zone), stable across time.
std::set<std::string> listKeys(const std::string& listArgs = "");
std::string keyOf(const std::string& conntrackLine);
// Creates the standard mixed table (both families, several protocols, marks, zones, NAT).
void populate();
size_t populatedCount();

// An IPv4 or IPv6 address by its syntax, for building entries and queries.
Address addr(const std::string& text);

std::unique_ptr<nl::MnlSocket> openSocket(const nl::SocketOptions& o = {});
nl::TransportFactory socketFactory();

} // namespace ctd::roottest
