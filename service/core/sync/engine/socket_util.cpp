#include "socket_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>

namespace ctd::sync {

Error socketError(const std::string& what) { return makeError(errno, what + ": " + std::strerror(errno)); }

socklen_t makeSockaddr(int family, const std::array<uint8_t, 16>& addr, uint16_t port, unsigned scope,
                       sockaddr_storage& ss)
{
    std::memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        std::memcpy(&sin->sin_addr, addr.data(), 4);
        return sizeof *sin;
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, addr.data(), 16);
    sin6->sin6_scope_id = scope;
    return sizeof *sin6;
}

std::string addressText(int family, const std::array<uint8_t, 16>& a)
{
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(family, a.data(), text, sizeof text);
    return text;
}

} // namespace ctd::sync
