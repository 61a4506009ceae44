// A sync link to the peers: conntrackd's "channel". The engine only sees this interface,
// so FTFW's ack/nack/resync logic is tested with an in-memory pair of channels, and the
// socket kinds (UDP, multicast, TCP) stay in their own files.
#pragma once

#include "result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <vector>

namespace ctd::sync {

enum class LinkKind : uint8_t { Udp, Multicast, Tcp };

// What one channel block of conntrackd.conf says, in socket terms.
struct LinkSpec {
    LinkKind kind = LinkKind::Udp;
    int family = 0; // AF_INET or AF_INET6
    // UDP/TCP: the local address to bind (IPv4_address); multicast: the group address.
    std::array<uint8_t, 16> address{};
    // UDP/TCP: the peer (IPv4_Destination_Address); multicast: the local interface
    // address (IPv4_interface), all zero for "any".
    std::array<uint8_t, 16> peer{};
    bool peerSet = false;
    uint16_t port = 3780; // Port (UDP/TCP) or Group (multicast)
    std::string interface; // Interface: also what the link watcher follows
    unsigned interfaceIndex = 0; // resolved at open
    int sndBuf = 0; // 0 = system default
    int rcvBuf = 0;
    bool checksum = true;
    bool isDefault = false;
};

struct LinkCounters {
    uint64_t bytesSent = 0;
    uint64_t bytesReceived = 0;
    uint64_t datagramsSent = 0;
    uint64_t datagramsReceived = 0;
    uint64_t sendErrors = 0;
    uint64_t receiveErrors = 0;
};

class Link {
public:
    virtual ~Link() = default;
    // Sends one datagram (or one framed message stream chunk for TCP). A full socket
    // buffer is an error the caller counts; FTFW recovers it with NACKs.
    virtual Result<void> send(std::span<const uint8_t> datagram) = 0;
    // Receives one datagram into buf (resized to what arrived); an empty buf means
    // nothing is pending.
    virtual Result<void> receive(std::vector<uint8_t>& buf) = 0;
    // The fds to poll for input (a TCP channel has a listening and a connected socket).
    virtual std::vector<int> pollFds() const = 0;
    // Largest datagram the engine may hand to send().
    virtual size_t mtu() const = 0;
    virtual const LinkSpec& spec() const = 0;
    virtual std::string describe() const = 0;
    // TCP links: whether the accepted (server) and the outgoing (client) connection are
    // up, as conntrackd -s shows them; nothing for datagram links.
    virtual std::optional<std::pair<bool, bool>> tcpConnected() const { return std::nullopt; }
    LinkCounters& counters() { return counters_; }
    const LinkCounters& counters() const { return counters_; }

protected:
    LinkCounters counters_;
};

// Opens the sockets of one link; errors name the address and the system call.
Result<std::unique_ptr<Link>> openLink(const LinkSpec& spec);

} // namespace ctd::sync
