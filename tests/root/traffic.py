#!/usr/bin/python3
"""Live connections for tests/root/fill-namespace.sh.

Run inside the namespace under test (T) with `ip netns exec T traffic.py --client-ns C`.
Sockets keep the namespace they were created in, so the script creates T's sockets, then
setns()es into C to create C's, then back to T, and drives every exchange from this one
process. Once the table holds every flow it writes "ready" to --ready and sleeps until
SIGTERM; the open sockets keep the ESTABLISHED/CLOSE_WAIT entries alive, and nothing
sends another packet (no keepalives, no retransmissions), so counters stay fixed.

Addresses (see fill-namespace.sh): T vt 192.0.2.1 2001:db8::1, lo 198.18.0.1 2001:db8:1::1;
C vc 192.0.2.2 2001:db8::2. Ports are fixed so the table is the same on every run; only
the client's ephemeral source ports vary, except where this script binds them.

--light: only a few flows (scripts/run.sh).
"""

import argparse
import ctypes
import os
import signal
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (path, os.strerror(err)))
    finally:
        os.close(fd)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


KEEP = []  # sockets that must stay open


def listen(family, addr, port, kind=socket.SOCK_STREAM):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    s.settimeout(5)
    KEEP.append(s)
    return s


def client(family, kind=socket.SOCK_STREAM, bind=None):
    s = socket.socket(family, kind)
    if bind:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(bind)
    s.settimeout(5)
    KEEP.append(s)
    return s


def tcp_exchange(c, lsock, dst, request, answer):
    """Connect c to dst, accept on lsock, send request, answer it. Returns server side."""
    c.connect(dst)
    srv, _ = lsock.accept()
    KEEP.append(srv)
    c.sendall(request)
    got = b""
    while len(got) < len(request):
        got += srv.recv(4096)
    if answer:
        srv.sendall(answer)
        got = b""
        while len(got) < len(answer):
            got += c.recv(4096)
    return srv


def udp_echo(c, server, dst, payload, reply=True):
    c.sendto(payload, dst)
    data, peer = server.recvfrom(4096)
    if reply:
        server.sendto(data.upper(), peer)
        c.recvfrom(4096)


def icmp_echo(family, dst, ident, seq=1):
    if family == socket.AF_INET:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        payload = b"ctd-test-ping"
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload
        want_type = 0
    else:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        payload = b"ctd-test-ping6"
        pkt = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload  # kernel fills csum
        want_type = 129
    s.settimeout(5)
    s.sendto(pkt, (dst, 0))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        data = s.recv(4096)
        if family == socket.AF_INET:
            data = data[(data[0] & 0xF) * 4:]
        if len(data) >= 8 and data[0] == want_type and struct.unpack("!H", data[4:6])[0] == ident:
            s.close()
            return
    raise RuntimeError("no echo reply from %s" % dst)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def sctp_pkt(sport, dport, vtag, chunk):
    """SCTP common header + one chunk; conntrack checks the CRC32c at PREROUTING."""
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    return hdr[:8] + struct.pack("<I", crc32c(hdr + chunk)) + chunk


def sctp_association(c_raw, t_raw, c_addr, t_addr, sport, dport, full=True):
    """Raw SCTP four-way handshake between C (client) and T (no SCTP stack on this kernel:
    both ends are raw sockets; the kernels' ICMP 'protocol unreachable' answers are
    RELATED and change nothing). full=False: the INIT only."""
    a_tag, b_tag, cookie = 0x0A0B0C0D, 0x01020304, b"ctdcooki"
    c_raw.sendto(sctp_pkt(sport, dport, 0,
                          struct.pack("!BBHIIHHI", 1, 0, 20, a_tag, 65536, 10, 10, 1)),
                 (c_addr, 0))
    if not full:
        return
    t_raw.sendto(sctp_pkt(dport, sport, a_tag,
                          struct.pack("!BBHIIHHI", 2, 0, 32, b_tag, 65536, 10, 10, 100)
                          + struct.pack("!HH", 7, 12) + cookie), (t_addr, 0))
    c_raw.sendto(sctp_pkt(sport, dport, b_tag, struct.pack("!BBH", 10, 0, 12) + cookie),
                 (c_addr, 0))
    t_raw.sendto(sctp_pkt(dport, sport, a_tag, struct.pack("!BBH", 11, 0, 4)), (t_addr, 0))


def gre_packets(c_raw, dst):
    """GRE version 0 with a key (tracked with keys 0) and version 1 / PPTP (call id 0x4321
    becomes dstkey)."""
    c_raw.sendto(struct.pack("!HHI", 0x2000, 0x0800, 0x11223344) + b"\x45" + b"\0" * 19,
                 (dst, 0))
    c_raw.sendto(struct.pack("!HHHHI", 0x3001, 0x880B, 0, 0x4321, 1), (dst, 0))


def raw_syn(src, dst, sport, dport):
    """One SYN the local TCP stack knows nothing about: no retransmission ever follows."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    seq = 0x43544431
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
    hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
    s.bind((src, 0))
    s.sendto(hdr, (dst, 0))
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client-ns", required=True, help="name of the client namespace")
    ap.add_argument("--ready", required=True, help="file to write when done")
    ap.add_argument("--light", action="store_true")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    A4, A6 = socket.AF_INET, socket.AF_INET6
    U = socket.SOCK_DGRAM
    here = "/proc/self/ns/net"
    t_ns_fd = os.open(here, os.O_RDONLY)
    c_ns = "/run/netns/" + args.client_ns

    # ---- sockets in T (the namespace under test) --------------------------------
    l_est = listen(A4, "192.0.2.1", 5001)          # ESTABLISHED + data, mark 0x2a, label
    l_dnat = listen(A4, "198.18.0.1", 8080)        # DNAT target of 192.0.2.1:80
    u_dns = listen(A4, "198.18.0.1", 5353, U)      # DNAT target of 192.0.2.1:53 (replied)
    if not args.light:
        l_tw = listen(A4, "192.0.2.1", 5003)       # TIME_WAIT
        l_close = listen(A4, "192.0.2.1", 5004)    # CLOSE (client RST)
        l_half = listen(A4, "192.0.2.1", 5005)     # CLOSE_WAIT (client half-closed)
        l_ftp = listen(A4, "192.0.2.1", 21)        # ftp helper -> expectation
        l6_est = listen(A6, "2001:db8::1", 5001)   # IPv6 ESTABLISHED
        l6_dnat = listen(A6, "2001:db8:1::1", 8080)  # IPv6 DNAT target of [2001:db8::1]:80
        u_silent = listen(A4, "192.0.2.1", 5354, U)  # UDP unreplied (reads, never answers)
        u_zone = listen(A4, "192.0.2.1", 5355, U)    # UDP in zone 3
        u6 = listen(A6, "2001:db8::1", 5353, U)      # IPv6 UDP replied
    # T-originated clients (source 198.18.0.1: masquerade / snat to 192.0.2.1)
    t_masq = client(A4, bind=("198.18.0.1", 0))
    t_snat = client(A4, U, bind=("198.18.0.1", 6000))
    if not args.light:
        t_sctp4 = socket.socket(A4, socket.SOCK_RAW, 132)
        t_sctp6 = socket.socket(A6, socket.SOCK_RAW, 132)

    # ---- sockets in C (the client namespace) --------------------------------------
    setns(c_ns)
    c_est = client(A4)
    c_dnat = client(A4)
    cu_dns = client(A4, U)
    c_srv_masq = listen(A4, "192.0.2.2", 7001)
    c_srv_udp = listen(A4, "192.0.2.2", 7002, U)
    if not args.light:
        c_tw = client(A4)
        c_close = client(A4)
        c_half = client(A4)
        c_ftp = client(A4)
        c6_est = client(A6)
        c6_dnat = client(A6)
        cu_silent = client(A4, U, bind=("192.0.2.2", 41000))
        cu_zone = client(A4, U, bind=("192.0.2.2", 41001))
        cu6 = client(A6, U, bind=("2001:db8::2", 41002))
        c_sctp4 = socket.socket(A4, socket.SOCK_RAW, 132)
        c_sctp6 = socket.socket(A6, socket.SOCK_RAW, 132)
        c_gre = socket.socket(A4, socket.SOCK_RAW, 47)
        icmp_echo(A4, "192.0.2.1", 0x4354)      # ICMP echo, replied
        icmp_echo(A6, "2001:db8::1", 0x4336)    # ICMPv6 echo, replied
    if _libc.setns(t_ns_fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns back")
    os.close(t_ns_fd)

    # ---- the exchanges ---------------------------------------------------------
    tcp_exchange(c_est, l_est, ("192.0.2.1", 5001), b"hello ctd\n", b"hello client, 28 bytes back\n")
    tcp_exchange(c_dnat, l_dnat, ("192.0.2.1", 80), b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 204 No Content\r\n\r\n")
    udp_echo(cu_dns, u_dns, ("192.0.2.1", 53), b"dns-ish query")
    tcp_exchange(t_masq, c_srv_masq, ("192.0.2.2", 7001), b"masqueraded\n", b"ok\n")
    udp_echo(t_snat, c_srv_udp, ("192.0.2.2", 7002), b"snat udp")
    if not args.light:
        srv = tcp_exchange(c_tw, l_tw, ("192.0.2.1", 5003), b"bye\n", b"bye\n")
        c_tw.close()                 # client FIN first ...
        srv.recv(16)
        srv.close()                  # ... then the server's: conntrack TIME_WAIT
        KEEP.remove(c_tw)
        KEEP.remove(srv)
        # A refused SYN would make the kernel drop the entry at once (RST before any
        # reply): establish, then reset from the client (SO_LINGER 0): conntrack CLOSE.
        srv = tcp_exchange(c_close, l_close, ("192.0.2.1", 5004), b"reset me\n", b"ok\n")
        c_close.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c_close.close()
        KEEP.remove(c_close)
        srv = tcp_exchange(c_half, l_half, ("192.0.2.1", 5005), b"half\n", None)
        c_half.shutdown(socket.SHUT_WR)  # FIN + ACK: conntrack CLOSE_WAIT, both kept open
        srv.recv(16)
        srv = tcp_exchange(c_ftp, l_ftp, ("192.0.2.1", 21), b"USER anonymous\r\n", b"331 ok\r\n")
        # The ftp helper reads the PORT command and expects 192.0.2.1 -> 192.0.2.2:30001.
        c_ftp.sendall(b"PORT 192,0,2,2,117,49\r\n")
        srv.recv(64)
        srv.sendall(b"200 PORT ok\r\n")
        c_ftp.recv(64)
        tcp_exchange(c6_est, l6_est, ("2001:db8::1", 5001), b"hello v6\n", b"hello v6 client\n")
        tcp_exchange(c6_dnat, l6_dnat, ("2001:db8::1", 80), b"GET6\r\n", b"204\r\n")
        udp_echo(cu_silent, u_silent, ("192.0.2.1", 5354), b"nobody answers", reply=False)
        udp_echo(cu_zone, u_zone, ("192.0.2.1", 5355), b"zone three")
        udp_echo(cu6, u6, ("2001:db8::1", 5353), b"udp over v6")
        raw_syn("192.0.2.1", "198.18.9.9", 40002, 5002)  # SYN_SENT: C drops it (no forwarding)
        sctp_association(c_sctp4, t_sctp4, "192.0.2.1", "192.0.2.2", 40132, 3868)
        sctp_association(c_sctp4, t_sctp4, "192.0.2.1", "192.0.2.2", 40133, 2905, full=False)
        sctp_association(c_sctp6, t_sctp6, "2001:db8::1", "2001:db8::2", 40136, 3868)
        gre_packets(c_gre, "192.0.2.1")

    with open(args.ready + ".tmp", "w") as f:
        f.write("ready %d\n" % os.getpid())
    os.rename(args.ready + ".tmp", args.ready)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
