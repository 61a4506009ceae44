// Socket helpers shared by the link kinds: errors that name the call, and sockaddr from
// the raw addresses of a LinkSpec.
#pragma once

#include "result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <sys/socket.h>

namespace ctd::sync {

// errno's text after what: "bind 192.0.2.1 port 3780: Address already in use".
Error socketError(const std::string& what);

// An AF_INET or AF_INET6 sockaddr for addr:port (scope for IPv6 link-local).
socklen_t makeSockaddr(int family, const std::array<uint8_t, 16>& addr, uint16_t port, unsigned scope,
                       sockaddr_storage& out);

std::string addressText(int family, const std::array<uint8_t, 16>& addr);

} // namespace ctd::sync
