#!/bin/bash
# Regenerates tests/data/sync/*.bin: datagrams sent by the real conntrackd 1.4.7, captured
# on the peer side of a throwaway veth pair. See tests/data/sync/README.md.
#
# Usage (root): tests/tools/record-sync-golden.sh [OUT_DIR]   (default: tests/data/sync)
# Needs conntrackd, conntrack, ip and /usr/bin/python3. Exits 77 when it cannot run.
# The timeouts and sequence numbers in the captures depend on the clock: regenerating
# changes those bytes, and tests/unit/sync/wire/ expectations must be reviewed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../data/sync}
rx=$here/sync_golden_rx.py

[ "$(id -u)" = 0 ] || { echo "record-sync-golden: needs root" >&2; exit 77; }
for t in conntrackd conntrack ip /usr/bin/python3; do
    command -v $t >/dev/null || { echo "record-sync-golden: $t missing" >&2; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d /tmp/ctd-sync-golden.XXXXXX)
nsa=ctdgA$$
nsb=ctdgB$$
cpid=
rpid=

stop_daemons() {
    if [ -n "$cpid" ]; then kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; cpid=; fi
    if [ -n "$rpid" ]; then kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rpid=; fi
}
del_ns() {
    ip netns del $nsa 2>/dev/null
    ip netns del $nsb 2>/dev/null
}
cleanup() {
    stop_daemons
    del_ns
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

A() { ip netns exec $nsa "$@"; }

make_ns() {
    del_ns
    ip netns add $nsa || exit 1
    ip netns add $nsb || exit 1
    ip link add va netns $nsa type veth peer name vb netns $nsb || exit 1
    ip -n $nsa addr add 192.0.2.1/24 dev va
    ip -n $nsb addr add 192.0.2.2/24 dev vb
    # second pair of addresses for real test traffic; the sync link's own are ignored
    ip -n $nsa addr add 198.18.50.1/24 dev va
    ip -n $nsb addr add 198.18.50.2/24 dev vb
    for n in $nsa $nsb; do ip -n $n link set lo up; done
    ip -n $nsa link set va up
    ip -n $nsb link set vb up
    # multicast leaves through va (no default route in the namespace)
    ip -n $nsa route add 224.0.0.0/4 dev va
    ip -n $nsb route add 224.0.0.0/4 dev vb
}

# write_conf MODE(FTFW|NOTRACK) CHANNEL(udp|mcast) WSCALE(yes|no)
write_conf() {
    local chan
    if [ "$2" = mcast ]; then
        chan="Multicast {
		IPv4_address 225.0.0.50
		Group 3780
		IPv4_interface 192.0.2.1
		Interface va
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}"
    else
        chan="UDP {
		IPv4_address 192.0.2.1
		IPv4_Destination_Address 192.0.2.2
		Port 3780
		Interface va
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}"
    fi
    cat > "$work/a.conf" <<EOF
Sync {
	Mode $1 {
	}
	$chan
	Options {
		TCPWindowTracking $3
		ExpectationSync on
	}
}
General {
	HashSize 8192
	HashLimit 65536
	LogFile $work/a.log
	Syslog off
	LockFile $work/a.lock
	UNIX {
		Path $work/a.ctl
	}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	Filter From Userspace {
		Address Ignore {
			IPv4_address 192.0.2.1
			IPv4_address 192.0.2.2
		}
	}
}
EOF
}

# start CHANNEL FILE: receiver on the peer, then conntrackd in $nsa
start() {
    if [ "$1" = mcast ]; then
        ip netns exec $nsb /usr/bin/python3 "$rx" "$2" 192.0.2.2 3780 225.0.0.50 &
    else
        ip netns exec $nsb /usr/bin/python3 "$rx" "$2" 192.0.2.2 3780 &
    fi
    rpid=$!
    sleep 0.5
    A conntrackd -C "$work/a.conf" >>"$work/a.out" 2>&1 &
    cpid=$!
    for _ in $(seq 50); do [ -S "$work/a.ctl" ] && break; sleep 0.1; done
    [ -S "$work/a.ctl" ] || { cat "$work/a.out" "$work/a.log" >&2; exit 1; }
    sleep 0.3
}

ctl() { A conntrackd -C "$work/a.conf" "$@"; }
ct() { A conntrack "$@" >/dev/null 2>&1 || echo "record-sync-golden: conntrack $* failed" >&2; sleep 0.2; }

# --- scenarios ---

# Events over UDP, FTFW, window tracking on: every entry kind conntrack -I can make.
events() {
    ct -I -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1000 --dport 80 --state ESTABLISHED -t 100 -u ASSURED -m 7
    ct -I -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1001 --dport 80 --state SYN_SENT -t 120
    ct -I -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1002 --dport 80 --state TIME_WAIT -t 60 -m 0xffffffff
    ct -I -p udp -s 198.18.0.1 -d 198.18.0.3 --sport 5353 --dport 53 -t 30
    ct -I -p icmp -s 198.18.0.1 -d 198.18.0.4 --icmp-type 8 --icmp-code 0 --icmp-id 4660 -t 29
    ct -I -p tcp -s 2001:db8::1 -d 2001:db8::2 --sport 40000 --dport 443 --state ESTABLISHED -t 200 -u ASSURED
    ct -I -p icmpv6 -s 2001:db8::1 -d 2001:db8::3 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 77 -t 30
    ct -I -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1003 --dport 80 --state ESTABLISHED -t 100 -w 5
    ct -I -p tcp -s 192.0.2.10 -d 198.18.1.1 --sport 1234 --dport 80 --state ESTABLISHED -t 100 --src-nat 198.18.9.9
    ct -I -p udp -s 198.18.1.2 -d 198.18.9.8 --sport 1234 --dport 53 -t 30 --dst-nat 192.0.2.20
    ct -I -p tcp -s 2001:db8::10 -d 2001:db8:1::1 --sport 1234 --dport 80 --state ESTABLISHED -t 100 --src-nat 2001:db8:9::9
    ct -I -p sctp -s 198.18.0.1 -d 198.18.0.5 --sport 3868 --dport 3868 --state ESTABLISHED --orig-vtag 0x11223344 --reply-vtag 0x55667788 -t 100
    ct -U -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1000 --dport 80 -m 9
    ct -D -p udp -s 198.18.0.1 -d 198.18.0.3 --sport 5353 --dport 53
    sleep 0.5
    ctl -n          # resync request: control message with RESYNC
    sleep 1.5       # at least one ALIVE
}

# Bulk send (-B) of entries that existed before conntrackd started: several messages per
# datagram, up to the channel buffer (MTU - headers).
bulk() {
    ctl -B
    sleep 1.5
}
bulk_prefill() {
    local i
    for i in $(seq 1 60); do
        A conntrack -I -p tcp -s 198.18.2.1 -d 198.18.3.1 --sport $((2000 + i)) --dport 22 \
            --state ESTABLISHED -t 300 -u ASSURED >/dev/null 2>&1
    done
}

# NOTRACK mode, window tracking off: no HELLO flags, no wscale attributes.
notrack() {
    ct -I -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1000 --dport 80 --state ESTABLISHED -t 100 -u ASSURED -m 7
    ct -I -p udp -s 198.18.0.1 -d 198.18.0.3 --sport 5353 --dport 53 -t 30
    ct -D -p udp -s 198.18.0.1 -d 198.18.0.3 --sport 5353 --dport 53
    sleep 0.5
    ctl -n
    sleep 0.5
}

# Multicast channel: the same messages as UDP.
mcast() {
    ct -I -p tcp -s 198.18.0.1 -d 198.18.0.2 --sport 1000 --dport 80 --state ESTABLISHED -t 100 -u ASSURED -m 7
    sleep 1.5
}

# Real traffic between the namespaces (198.18.50.1 -> .2): NAT with port changes (the
# SPAT/DPAT attributes, which conntrack -I cannot make), real TCP window scales, and an
# FTP control connection whose PORT command makes the ftp helper create an expectation
# (helper name attribute, EXP_NEW message).
traffic() {
    A nft -f - <<'EON' || echo "record-sync-golden: nft failed" >&2
table ip nat {
	chain out { type nat hook output priority -100; udp dport 9 dnat to 198.18.50.2:4000; }
	chain post { type nat hook postrouting priority 100; udp dport 4001 snat to 198.18.50.1:5555; tcp dport 4002 snat to 198.18.50.1:6666; }
}
table inet h {
	ct helper ftp-std { type "ftp" protocol tcp; }
	chain out { type filter hook output priority 0; tcp dport 21 ct helper set "ftp-std"; }
}
EON
    ip netns exec $nsb /usr/bin/python3 -c '
import socket, time
ls = []
for p in (4002, 21):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.50.2", p)); s.listen(); s.settimeout(5); ls.append(s)
c1, _ = ls[0].accept()
c2, _ = ls[1].accept(); c2.sendall(b"220 hi\r\n"); c2.recv(100); c2.sendall(b"200 ok\r\n")
time.sleep(1.5)' &
    local spid=$!
    sleep 0.3
    A /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.18.50.1", 3333)); s.sendto(b"x", ("198.18.50.77", 9))
time.sleep(0.2)
s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s2.bind(("198.18.50.1", 3334)); s2.sendto(b"x", ("198.18.50.2", 4001))
time.sleep(0.2)
t = socket.create_connection(("198.18.50.2", 4002)); time.sleep(0.3); t.close()
time.sleep(0.2)
f = socket.create_connection(("198.18.50.2", 21)); f.recv(100)
f.sendall(b"PORT 198,18,50,1,19,137\r\n"); f.recv(100); time.sleep(0.5)'
    wait $spid
    sleep 1
}

record() { # NAME MODE CHANNEL WSCALE [PREFILL]
    local f="$out/$1.bin"
    echo "recording $f"
    make_ns
    rm -f "$work"/a.*
    write_conf "$2" "$3" "$4"
    [ -n "${6:-}" ] && $6
    start "$3" "$f"
    $5
    stop_daemons
    grep -i "error\|fail" "$work/a.log" >&2
    /usr/bin/python3 - "$f" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
i, n = 8, 0
while i < len(d):
    (l,) = struct.unpack('>I', d[i:i + 4]); i += 4 + l; n += 1
print('  %d datagrams' % n)
EOF
}

record udp-ftfw-events FTFW udp yes events
record udp-ftfw-bulk FTFW udp no bulk bulk_prefill
record udp-notrack-events NOTRACK udp no notrack
record mcast-ftfw-events FTFW mcast no mcast
record udp-ftfw-traffic FTFW udp yes traffic
