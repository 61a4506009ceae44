#!/bin/bash
# Hostile input on the sync port: truncated, oversized, random, bit-flipped and replayed
# datagrams sent to B are counted and dropped; B's external cache stays exactly A's table,
# and B keeps syncing afterwards.
#
#   sync-hostile.sh [--mode ftfw|notrack] [--impl-b I]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=ftfw impl_b=ctd
while (($#)); do
    case $1 in
    --mode) mode=$2; shift ;;
    --impl-b) impl_b=$2; shift ;;
    *) ctt_die "unknown argument $1" ;;
    esac
    shift
done
sync_require_or_skip
sync_require_impl conntrackd "$impl_b"

pair_up
node_start a "$SYNC_NS_A" conntrackd "$mode" udp
node_start b "$SYNC_NS_B" "$impl_b" "$mode" udp
make_entries "$SYNC_NS_A"
n=$SYNC_ENTRY_COUNT
wait_external_count b "$n" 5 || fail "B has $SYNC_LAST_COUNT of $n entries"
node_external b | sort >"$CTT_TMPDIR/before.txt"

# Sent from A's address to B's sync port, as a forged or broken peer would.
ip netns exec "$SYNC_NS_A" "$CTT_PYTHON" - "$SYNC_PORT" <<'PY'
import os, random, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 0))
dst = ("192.0.2.2", port)
rng = random.Random(7)
def send(b):
    try:
        s.sendto(b, dst)
    except OSError:
        pass
# a plausible CT_NEW header claiming more bytes than sent, and the reverse
send(struct.pack("!BBHI", 0x10, 0, 200, 1) + b"\0" * 20)
send(struct.pack("!BBHI", 0x10, 0, 4, 1))
# wrong version, unknown type, zero length
send(struct.pack("!BBHI", 0x20, 0, 8, 1))
send(struct.pack("!BBHI", 0x17, 0, 8, 1))
send(struct.pack("!BBHI", 0x10, 0, 0, 1) + b"\xff" * 12)
# oversized
send(os.urandom(65000))
# random junk and mutated headers with random payloads
for i in range(3000):
    n = rng.randrange(0, 1500)
    b = bytearray(rng.getrandbits(8) for _ in range(n))
    if n >= 8 and i % 2:
        b[0] = 0x10 | rng.randrange(0, 3)  # version 1, a ct type
        struct.pack_into("!H", b, 2, n)
    send(bytes(b))
PY
sleep 1
node_external b | sort >"$CTT_TMPDIR/after.txt"
diff -u "$CTT_TMPDIR/before.txt" "$CTT_TMPDIR/after.txt" >&2 || fail "B's external cache changed"
node_cmd b -s network | tee "$CTT_TMPDIR/net.txt" >&2
malformed=$(awk '/Malformed messages:/ { print $3; exit }' "$CTT_TMPDIR/net.txt")
((malformed > 0)) || fail "no malformed message counted"
ctt_log "$malformed malformed messages counted and dropped; cache intact"

# Still in sync after the storm.
make_bulk_entries "$SYNC_NS_A" 100
wait_external_count b $((n + 100)) 10 || fail "after the storm: B has $SYNC_LAST_COUNT of $((n + 100))"
check_external_matches b "$SYNC_NS_A" || fail "B's external cache is not A's table"
ctt_log "PASS"
