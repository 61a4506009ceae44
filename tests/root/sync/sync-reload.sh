#!/bin/bash
# SIGHUP on a ctd sync node: the file is read again; an unchanged (or only re-commented)
# file is reported unchanged, a changed one is reported for the next restart, a broken one
# never replaces the running configuration, and the node keeps syncing throughout.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sync_require_or_skip
sync_require_impl ctd

pair_up
node_start a "$SYNC_NS_A" ctd ftfw udp
node_start b "$SYNC_NS_B" conntrackd ftfw udp
conf=${SYNC_NODE_CONF[a]} log=$(node_log a) pid=${SYNC_NODE_PID[a]}

hup_and_expect() {
    local what=$1 n
    n=$(grep -c "SIGHUP" "$log" || true)
    kill -HUP "$pid"
    wait_until 5 eval "(( \$(grep -c SIGHUP '$log') > $n ))" || fail "no SIGHUP line in the log"
    grep "SIGHUP" "$log" | tail -n 1 | grep -q "$what" || fail "SIGHUP: expected '$what', got: $(grep SIGHUP "$log" | tail -n 1)"
    ctt_log "SIGHUP: $what"
}

printf '# a comment changes nothing\n' >>"$conf"
hup_and_expect "is unchanged"
sed -i 's/HashLimit 262144/HashLimit 131072/' "$conf"
hup_and_expect "changed; the running sync engine keeps its configuration"
printf 'Sync {\n' >>"$conf"
hup_and_expect "keeping the running configuration"
kill -0 "$pid" || fail "ctd died on SIGHUP"

make_entries "$SYNC_NS_A"
wait_external_count b "$SYNC_ENTRY_COUNT" 5 || fail "B has $SYNC_LAST_COUNT of $SYNC_ENTRY_COUNT after the reloads"
ctt_log "PASS"
