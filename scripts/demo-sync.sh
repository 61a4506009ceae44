#!/bin/bash
# The sync engine for real, as scripts/run.sh shows it: two throwaway namespaces joined by
# a veth pair, ctd on node A and Debian's conntrackd 1.4.7 on node B, both reading the same
# conntrackd.conf template and speaking FTFW over UDP. Entries made on A reach B's external
# cache; B commits them into its kernel; then the roles swap (conntrackd on A, ctd on B).
# Everything is torn down on exit (tests/root/sync/lib.sh's trap).
#
#   CTD=build/service/ctd CTCTL=build/ctl/ctctl scripts/demo-sync.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export CTD_SYNC_ENABLED=1
# shellcheck source=../tests/root/sync/lib.sh
. "$top/tests/root/sync/lib.sh"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pair_up
for direction in "ctd conntrackd" "conntrackd ctd"; do
    read -r impl_a impl_b <<<"$direction"
    say "node A: $impl_a in $SYNC_NS_A, node B: $impl_b in $SYNC_NS_B (FTFW over UDP, veth va <-> vb)"
    node_start a "$SYNC_NS_A" "$impl_a" ftfw udp
    node_start b "$SYNC_NS_B" "$impl_b" ftfw udp
    make_entries "$SYNC_NS_A"
    wait_external_count b "$SYNC_ENTRY_COUNT" 5 || true
    say "B's external cache ($impl_b: conntrackd -e), first 5 of $SYNC_LAST_COUNT"
    node_cmd b -e | head -n 5
    say "B commits (conntrackd -c) and B's kernel now holds A's connections"
    node_cmd b -c
    sleep 0.5
    compare_tables "$SYNC_NS_A" "$SYNC_NS_B" || true
    node=a
    [[ $impl_b == ctd ]] && node=b
    say "the ctd node's view: ctctl sync status and conntrackd -s (the drop-in)"
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=${SYNC_NODE_DIR[$node]}/bus.sock" \
        nsenter --net="/run/netns/${SYNC_NODE_NS[$node]}" "$CTCTL" --no-pager sync status || true
    node_cmd "$node" -s | head -n 18
    node_stop a
    node_stop b
    unset 'SYNC_NODE_NS[a]' 'SYNC_NODE_NS[b]'
    ip netns exec "$SYNC_NS_A" conntrack -F >/dev/null 2>&1
    ip netns exec "$SYNC_NS_B" conntrack -F >/dev/null 2>&1
done
say "sync demo done"
