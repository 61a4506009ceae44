#!/bin/bash
# Redundant links: two UDP channels (va/vb Default, vc/vd); the active link's veth goes
# down and sync continues on the other, in both directions of the pair.
#
#   sync-failover.sh [--mode ftfw|notrack] [--impl-a I] [--impl-b I]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=ftfw impl_a=ctd impl_b=ctd
while (($#)); do
    case $1 in
    --mode) mode=$2; shift ;;
    --impl-a) impl_a=$2; shift ;;
    --impl-b) impl_b=$2; shift ;;
    *) ctt_die "unknown argument $1" ;;
    esac
    shift
done
sync_require_or_skip
sync_require_impl "$impl_a" "$impl_b"

pair_up
pair_up_second
node_start a "$SYNC_NS_A" "$impl_a" "$mode" udp2
node_start b "$SYNC_NS_B" "$impl_b" "$mode" udp2

make_entries "$SYNC_NS_A"
n=$SYNC_ENTRY_COUNT
wait_external_count b "$n" 5 || fail "before failover: B has $SYNC_LAST_COUNT of $n entries"
ctt_log "before failover: $n entries on B over the default link"

# The active link loses its carrier on both ends (a veth pair goes down together).
t0=$(sync_now)
link_down "$SYNC_NS_A" va
make_bulk_entries "$SYNC_NS_A" 200
total=$((n + 200))
wait_external_count b "$total" 10 ||
    fail "after failover: B has $SYNC_LAST_COUNT of $total entries"
ctt_log "after the default link went down: all $total entries on B in $(sync_elapsed "$t0") s"
check_external_matches b "$SYNC_NS_A" || fail "B's external cache is not A's table"

# ctd says which link is active (Links/<n> Active); conntrackd's -s link says ACTIVE.
for node in a b; do
    if [[ ${SYNC_NODE_IMPL[$node]} == ctd ]]; then
        node_cmd "$node" -s link | tee "$CTT_TMPDIR/link-$node.txt" >&2
        grep -q 'device=vc status=RUNNING role=ACTIVE\|device=vd status=RUNNING role=ACTIVE' \
            "$CTT_TMPDIR/link-$node.txt" || fail "node $node did not fail over to the second link"
    fi
done
ctt_log "PASS"
