#!/usr/bin/python3
"""Receive conntrackd sync datagrams and store them as a golden file.

Usage: sync_golden_rx.py OUT.bin BIND_ADDR PORT [MCAST_GROUP]

Runs until SIGTERM/SIGINT. Every datagram received is appended to OUT.bin as a
record: 4-byte big-endian length followed by the datagram bytes (UDP payload
only). The file starts with the 8-byte magic b"CTDSYNC1". Used by
record-sync-golden.sh; not needed by the tests themselves.
"""
import signal
import socket
import struct
import sys

MAGIC = b"CTDSYNC1"


def main():
    out, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    group = sys.argv[4] if len(sys.argv) > 4 else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if group:
        s.bind((group, port))
        mreq = socket.inet_aton(group) + socket.inet_aton(addr)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    else:
        s.bind((addr, port))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    s.settimeout(0.2)
    with open(out, "wb") as f:
        f.write(MAGIC)
        f.flush()
        while not stop:
            try:
                data = s.recv(65535)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            f.write(struct.pack(">I", len(data)) + data)
            f.flush()


if __name__ == "__main__":
    main()
