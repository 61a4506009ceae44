#!/bin/bash
# Bulk sync under packet loss: COUNT entries made on A at once while PCT % of the sync
# datagrams arriving at B are dropped; how many reach B's external cache, from the events
# alone and after a `-B` bulk send from A.
#
#   sync-loss.sh [--mode ftfw|notrack|alarm] [--channel udp|udp6|mcast] [--impl-a I]
#                [--impl-b I] [--count N] [--loss PCT] [--settle S] [--stall S]
#                [--require-all]
# --require-all: B must hold every entry from the events alone, and after the bulk.
# --settle: longest wait per phase; --stall: a phase ends when the count has not grown for
# that long (default 3 s: conntrackd's FTFW resends within about a second, or never).
#
# The figures are printed as a "RESULT" line (the reference for ctd). conntrackd's own
# losses are reported, not failed on; --require-all (for ctd) fails unless B converges to
# every entry. Harness errors always fail: A's table or internal cache not holding COUNT
# entries, no datagram dropped (loss not injected), an entry in B's cache that A lacks.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=ftfw channel=udp impl_a=conntrackd impl_b=conntrackd count=2000 loss=30 settle=15 stall=3
require_all=0
while (($#)); do
    case $1 in
    --mode) mode=$2; shift ;;
    --channel) channel=$2; shift ;;
    --impl-a) impl_a=$2; shift ;;
    --impl-b) impl_b=$2; shift ;;
    --count) count=$2; shift ;;
    --loss) loss=$2; shift ;;
    --settle) settle=$2; shift ;;
    --stall) stall=$2; shift ;;
    --require-all) require_all=1 ;;
    *) ctt_die "unknown argument $1" ;;
    esac
    shift
done
[[ $channel != tcp ]] || ctt_die "loss is injected on UDP only"
sync_require_or_skip
sync_require_impl "$impl_a" "$impl_b"


# wait_stable_count NAME MAX_S: poll B's external cache until it holds $count entries or
# has not grown for $stall s, at most MAX_S; prints the curve.
wait_stable_count() {
    local name=$1 max=$2 t0 last=-1 since n el
    t0=$(sync_now)
    since=$SECONDS
    while :; do
        n=$(node_external_count "$name")
        el=$(sync_elapsed "$t0")
        if ((n != last)); then
            ctt_log "  t+${el} s: $n entries"
            last=$n
            since=$SECONDS
        fi
        ((n >= count)) && break
        ((SECONDS - since >= stall)) && break
        awk -v e="$el" -v m="$max" 'BEGIN { exit !(e >= m) }' && break
        sleep 0.25
    done
    SYNC_LAST_COUNT=$n
    SYNC_LAST_ELAPSED=$el
}

ctt_log "A=$impl_a B=$impl_b mode=$mode channel=$channel count=$count loss=$loss %"
pair_up
node_start a "$SYNC_NS_A" "$impl_a" "$mode" "$channel"
node_start b "$SYNC_NS_B" "$impl_b" "$mode" "$channel"
port=$SYNC_PORT
[[ $channel == mcast ]] && port=$SYNC_MCAST_PORT
inject_loss "$SYNC_NS_B" "$loss" "$port"

t0=$(sync_now)
make_bulk_entries "$SYNC_NS_A" "$count"
ctt_log "$count entries made on A in $(sync_elapsed "$t0") s (conntrack -R)"
have=$(ct_count "$SYNC_NS_A")
((have == count)) || fail "A's table has $have entries, not $count"

ctt_log "B's external cache after the events:"
wait_stable_count b "$settle"
events_count=$SYNC_LAST_COUNT events_time=$SYNC_LAST_ELAPSED
internal=$(node_internal_count a)
((internal == count)) || ctt_log "warning: A's internal cache has $internal of $count"

bulk_count=$events_count bulk_time=0
if ((events_count < count)); then
    ctt_log "B's external cache after \`-B\` (bulk send) on A:"
    node_cmd a -B >/dev/null || fail "-B on A failed"
    wait_stable_count b "$settle"
    bulk_count=$SYNC_LAST_COUNT bulk_time=$SYNC_LAST_ELAPSED
fi
dropped=$(loss_dropped "$SYNC_NS_B")
((loss == 0 || ${dropped:-0} > 0)) || fail "no datagram dropped: loss not injected"
check_external_matches b "$SYNC_NS_A" --subset || fail "B's cache holds entries A lacks"

echo "RESULT impl=$impl_a->$impl_b mode=$mode channel=$channel loss=$loss% count=$count" \
    "events=$events_count/$count (${events_time}s) after_bulk=$bulk_count/$count" \
    "(${bulk_time}s) dropped_datagrams=$dropped"
node_cmd a -s network 2>/dev/null | sed -n '/traffic/,$p' | sed 's/^/  A: /' >&2 || true
node_cmd b -s network 2>/dev/null | sed -n '/sequence tracking/,$p' | sed 's/^/  B: /' >&2 || true
if ((require_all && events_count < count)); then
    fail "FTFW recovered $events_count of $count entries from the events alone (no -B)"
fi
if ((require_all && bulk_count < count)); then
    fail "B converged to $bulk_count of $count entries"
fi
ctt_log "PASS"
