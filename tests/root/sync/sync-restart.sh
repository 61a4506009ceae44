#!/bin/bash
# A peer restarted in the middle of a stream of changes comes back with the whole state:
# B is restarted while A's entries are being synced; once B is up again (empty caches), it
# must hold every entry of A's table without anyone running -n or -B (ctd answers a peer's
# first HELLO with its whole internal cache; docs/compat.md).
#
#   sync-restart.sh [--impl-a I] [--impl-b I]      (FTFW over UDP)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sync_impl_args "$@"
sync_require_or_skip
sync_require_impl "$impl_a" "$impl_b"

pair_up
node_start a "$SYNC_NS_A" "$impl_a" ftfw udp
node_start b "$SYNC_NS_B" "$impl_b" ftfw udp
make_bulk_entries "$SYNC_NS_A" 1000
make_bulk_entries "$SYNC_NS_A" 1000 1000 &
loader=$!
node_restart b
wait "$loader"
make_bulk_entries "$SYNC_NS_A" 500 2000
total=$(ct_count "$SYNC_NS_A")
((total == 2500)) || ctt_die "A holds $total entries, not 2500"
t0=$(sync_now)
wait_external_count b "$total" 10 || fail "restarted B has $SYNC_LAST_COUNT of $total entries"
ctt_log "restarted B holds all $total entries $(sync_elapsed "$t0") s after the last insert"
check_external_matches b "$SYNC_NS_A" || fail "B's external cache is not A's table"
ctt_log "PASS"
