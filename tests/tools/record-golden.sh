#!/bin/bash
# Regenerates the netlink golden files in tests/data from the real kernel, in a throwaway
# network namespace. Review the diff of the expectations in tests/unit/netlink when the
# kernel changes what it sends.
#   tests/tools/record-golden.sh BUILD_DIR [DATA_DIR]
set -euo pipefail
build=$(realpath "$1")
data=$(realpath "${2:-$(dirname "$0")/../data}")
rec=$build/tests/tools/ct-record
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
for t in ip conntrack nft python3; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 77; }; done

ns=ctrec$$
tmp=$(mktemp -d)
pypid=
cleanup() { [ -n "$pypid" ] && kill "$pypid" 2>/dev/null; wait 2>/dev/null || true; ip netns del $ns 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add $ns
ip -n $ns link set lo up
X="ip netns exec $ns"
$X sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1

# Entries made through ctnetlink: one of each tuple shape the parser must know.
I="$X conntrack -I -t 100"
$I -p tcp -s 192.0.2.1 -d 198.18.0.1 --sport 1001 --dport 80 --state ESTABLISHED -u ASSURED -m 42 -w 5
$I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 1002 --dport 53 -m 7
$I -p udplite -s 192.0.2.2 -d 198.18.0.1 --sport 1003 --dport 5000
$I -p sctp -s 192.0.2.3 -d 198.18.0.1 --sport 1004 --dport 2905 --state ESTABLISHED --orig-vtag 11 --reply-vtag 12
$I -p icmp -s 192.0.2.4 -d 198.18.0.1 --icmp-type 8 --icmp-code 0 --icmp-id 77
$I -p icmpv6 -s 2001:db8::3 -d 2001:db8::2 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 78
$I -p gre -s 192.0.2.5 -d 198.18.0.1 --srckey 0x10 --dstkey 0x20
$I -p 253 -s 192.0.2.6 -d 198.18.0.1
$I -p udp -s 192.0.2.7 -d 198.18.0.1 --sport 1007 --dport 53 --orig-zone 7
$I -p udp -s 192.0.2.8 -d 198.18.0.1 --sport 1008 --dport 53 --src-nat 203.0.113.1
$I -p tcp -s 192.0.2.9 -d 198.18.0.1 --sport 1009 --dport 80 --state SYN_SENT --dst-nat 203.0.113.2:8080
$X "$rec" conntrack any "$data/ct-mixed.bin"
$X "$rec" conntrack inet6 "$data/ct-inet6.bin"
$X conntrack -F 2>/dev/null

# Real traffic on loopback: counters, timestamps, TCP window scaling, labels, the FTP
# helper, an expectation and a RELATED entry with a master tuple.
$X nft -f - <<'NFT'
table inet rec {
  ct helper ftp-std { type "ftp" protocol tcp; }
  chain out {
    type filter hook output priority 0;
    ct state new ct label set 1
    tcp dport 21 ct helper set "ftp-std"
  }
}
NFT
$X python3 - "$tmp" <<'PY' &
import socket, sys, time, os
d = sys.argv[1]
def wait(name):
    while not os.path.exists(os.path.join(d, name)):
        time.sleep(0.05)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 21)); srv.listen()
data = socket.socket(); data.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
data.bind(('127.0.0.1', 51210)); data.listen()
c = socket.create_connection(('127.0.0.1', 21)); s, _ = srv.accept()
s.sendall(b'220 ready\r\n'); c.recv(100)
# The helper only parses lines after a newline it has seen in that direction.
c.sendall(b'USER a\r\n'); s.recv(100); s.sendall(b'331 ok\r\n'); c.recv(100)
c.sendall(b'PORT 127,0,0,1,200,10\r\n'); s.recv(100); s.sendall(b'200 ok\r\n'); c.recv(100)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'x' * 100, ('127.0.0.1', 9999))
open(os.path.join(d, 'expect'), 'w').close()
wait('go')
ds = socket.socket(); ds.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ds.bind(('127.0.0.1', 20)); ds.connect(('127.0.0.1', 51210)); dc, _ = data.accept()
ds.sendall(b'file'); dc.recv(10)
open(os.path.join(d, 'related'), 'w').close()
wait('done')
PY
pypid=$!
while [ ! -e "$tmp/expect" ]; do sleep 0.05; done
$X "$rec" expect any "$data/exp-ftp.bin"
touch "$tmp/go"
while [ ! -e "$tmp/related" ]; do sleep 0.05; done
$X "$rec" conntrack any "$data/ct-traffic.bin"
touch "$tmp/done"
wait $pypid || true
pypid=

# Events of a create, an update and a delete, plus the counters.
$X "$rec" events 3 "$data/events.bin" &
recpid=$!
sleep 0.3
$I -p udp -s 192.0.2.10 -d 198.18.0.1 --sport 1010 --dport 53
$X conntrack -U -p udp -s 192.0.2.10 -d 198.18.0.1 --sport 1010 --dport 53 -m 9 >/dev/null
$X conntrack -D -p udp -s 192.0.2.10 -d 198.18.0.1 --sport 1010 --dport 53 >/dev/null
wait $recpid
$X "$rec" stats "$data/stats.bin"
$X "$rec" cpu-stats "$data/cpu-stats.bin"
$X "$rec" exp-cpu-stats "$data/exp-cpu-stats.bin"
