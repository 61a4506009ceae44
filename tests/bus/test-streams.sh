#!/bin/bash
# Output streams end to end, over the real service with a synthetic table (fake_ctd): List
# through a pipe is complete and byte-exact, a reader that leaves mid-List cancels it,
# 20 concurrent List/Watch clients are served while one never reads, a slow Watch reader
# gets a loss record, SIGTERM during a List exits cleanly and promptly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/streams-lib.sh"
bus_setup "$@"
: "${FAKE_CTD:?FAKE_CTD must point at the built fake_ctd}"
[ -x "$FAKE_CTD" ] || { echo "FAIL: $FAKE_CTD not built"; exit 1; }
start_bus
start_polkit
N=100000
CTD_EXEC="/usr/bin/env CTD_FAKE_ENTRIES=$N $FAKE_CTD" install_activation 30
TABLE=org.netfilter.Conntrack1.Table
bc() { "$BUS_CLIENT" "$@" 2>&1; }
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "tcp      6 100 ESTABLISHED src=192.0.2.1 dst=198.18.0.2 sport=%d dport=22 id=%d\n", 1024 + i % 60000, i }' >"$T/expected"

# a. A complete List through a pipe; the reply comes once the reader has everything.
out=$(list 3> >(cat >"$T/list.out"))
expect "List replies with the count" "^ok $N$" "$out"
sleep 0.2
cmp -s "$T/expected" "$T/list.out" && ok "List output is complete and byte-exact ($(wc -l <"$T/list.out") lines)" ||
    fail "List output differs: $(wc -c <"$T/list.out") bytes, want $(wc -c <"$T/expected")"
out=$(list "" 3> >(cat >"$T/empty.out"))
sleep 0.2
expect "empty format counts but writes nothing" "^ok $N$" "$out"
[ ! -s "$T/empty.out" ] && ok "...and the pipe stays empty" || fail "empty format wrote $(wc -c <"$T/empty.out") bytes"

# b. A reader that leaves after 1000 bytes cancels the List; the service carries on.
check_reader_leaves_mid_list

# c. 20 clients at once: one never reads (its List stays pending, bounded by the buffer),
# 10 Lists and 9 Watches read normally and are all served.
start_stuck_list
sleep 0.5
PIDS=()
for i in $(seq 10); do
    list 3> >(cat >"$T/c$i.out") >"$T/c$i.reply" &
    PIDS+=($!)
done
start_watches 9
for p in "${PIDS[@]}"; do wait "$p"; done
sleep 0.5
good=0
for i in $(seq 10); do
    grep -q "^ok $N$" "$T/c$i.reply" && cmp -s "$T/expected" "$T/c$i.out" && good=$((good + 1))
done
[ "$good" = 10 ] && ok "10 concurrent Lists complete and exact beside a non-reader" || fail "only $good of 10 Lists were right"
check_watches 9 '^\[NEW\]'
check_stuck_pending
end_stuck_list

# d. A Watch reader that falls behind gets a loss record once it catches up.
out=$(bc $ROOT_PATH/Table $TABLE Watch dict: s:plain fd:3 3> >(sleep 4; exec timeout 3 cat >"$T/slow.out"))
expect "Watch returns at once" "^ok$" "$out"
sleep 8
lossline=$(grep -m1 '^# ctd: lost' "$T/slow.out")
expect "slow Watch reader gets a loss record" "^# ctd: lost [0-9]+ events \(reader too slow\)$" "$lossline"
expect "stream_loss is counted" "^[1-9]" "$(service_counter stream_loss)"

# Core errors reach the caller under the D-Bus names of docs/dbus-api.md.
sink() { bc $ROOT_PATH/Table $TABLE "$@" 3> >(cat >/dev/null); }
expect "ENOENT is NotFound" "^error org\.netfilter\.Conntrack1\.Error\.NotFound: no such entry" \
    "$(sink Get "dict:id=u:7" s:plain fd:3)"
expect "EEXIST is Exists" "^error org\.netfilter\.Conntrack1\.Error\.Exists: entry exists" \
    "$(sink Create "dict:protocol=s:udp;src=s:192.0.2.1;dst=s:192.0.2.2;sport=q:1;dport=q:2;timeout=u:30" s: fd:3)"
expect "EINVAL from core is InvalidArgument" "^error org\.netfilter\.Conntrack1\.Error\.InvalidArgument: line 1: bad save line" \
    "$(bc $ROOT_PATH/Table $TABLE Load fd:0 s:save dict: </dev/null)"
expect "CountMatching answers from the backend" "^ok $N$" "$(bc $ROOT_PATH/Table $TABLE CountMatching "dict:protocol=s:tcp")"

# e. SIGTERM during a List with a reader that never reads: clean exit, client not left hanging.
check_sigterm_during_list 0.5
finish
