#!/bin/bash
# Output streams end to end, over the real service with a synthetic table (fake_ctd): List
# through a pipe is complete and byte-exact, a reader that leaves mid-List cancels it,
# 20 concurrent List/Watch clients are served while one never reads, a slow Watch reader
# gets a loss record, SIGTERM during a List exits cleanly and promptly.
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
: "${FAKE_CTD:?FAKE_CTD must point at the built fake_ctd}"
[ -x "$FAKE_CTD" ] || { echo "FAIL: $FAKE_CTD not built"; exit 1; }
start_bus
start_polkit
N=100000
CTD_EXEC="/usr/bin/env CTD_FAKE_ENTRIES=$N $FAKE_CTD" install_activation 30
TABLE=org.netfilter.Conntrack1.Table
bc() { "$BUS_CLIENT" "$@" 2>&1; }
list() { bc $ROOT_PATH/Table $TABLE List dict: "s:${1-plain}" fd:3; }
streams() { call /Stats org.netfilter.Conntrack1.Stats.GetService | grep -Eo "'streams': <?(uint64 )?[0-9]+" | grep -Eo '[0-9]+$'; }
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
start=$(date +%s%N)
out=$(list 3> >(head -c 1000 >/dev/null))
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect "reader leaving mid-List cancels it" "^error .*: the reader closed the stream" "$out"
[ "$ms" -lt 5000 ] && ok "...at once (${ms} ms)" || fail "...after ${ms} ms"
expect "service alive after the cancelled List" "^ok $N$" "$(list 3>/dev/null 3> >(cat >/dev/null))"

# c. 20 clients at once: one never reads (its List stays pending, bounded by the buffer),
# 10 Lists and 9 Watches read normally and are all served.
# The non-reader holds the read end of a fifo and never reads; its pid is ours to kill.
mkfifo "$T/stuck.fifo"
sleep 60 <"$T/stuck.fifo" &
nonreader=$!
list 3>"$T/stuck.fifo" >"$T/stuck.out" &
stuck=$!
sleep 0.5
pids=()
for i in $(seq 10); do
    list 3> >(cat >"$T/c$i.out") >"$T/c$i.reply" &
    pids+=($!)
done
for i in $(seq 9); do
    bc $ROOT_PATH/Table $TABLE Watch dict: s:plain fd:3 3> >(head -n 50 >"$T/w$i.out") >"$T/w$i.reply" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
sleep 0.5
good=0
for i in $(seq 10); do
    grep -q "^ok $N$" "$T/c$i.reply" && cmp -s "$T/expected" "$T/c$i.out" && good=$((good + 1))
done
[ "$good" = 10 ] && ok "10 concurrent Lists complete and exact beside a non-reader" || fail "only $good of 10 Lists were right"
good=0
for i in $(seq 9); do
    grep -q "^ok$" "$T/w$i.reply" && [ "$(grep -c '^\[NEW\]' "$T/w$i.out")" = 50 ] && good=$((good + 1))
done
[ "$good" = 9 ] && ok "9 concurrent Watches returned at once and streamed" || fail "only $good of 9 Watches were right"
kill -0 "$stuck" 2>/dev/null && ok "the non-reader's List is still pending" || fail "the non-reader's List ended: $(cat "$T/stuck.out")"
n=$(streams)
[ "$n" = 1 ] && ok "one stream open (the non-reader's; the Watches were cancelled)" || fail "streams open: $n"
kill "$nonreader"
wait "$stuck"
expect "non-reader's List ends when its reader goes" "^error .*the reader closed the stream" "$(cat "$T/stuck.out")"
sleep 0.2
n=$(streams)
[ "$n" = 0 ] && ok "no stream left open" || fail "streams still open: $n"

# d. A Watch reader that falls behind gets a loss record once it catches up.
out=$(bc $ROOT_PATH/Table $TABLE Watch dict: s:plain fd:3 3> >(sleep 4; exec timeout 3 cat >"$T/slow.out"))
expect "Watch returns at once" "^ok$" "$out"
sleep 8
lossline=$(grep -m1 '^# ctd: lost' "$T/slow.out")
expect "slow Watch reader gets a loss record" "^# ctd: lost [0-9]+ events \(reader too slow\)$" "$lossline"
out=$(call /Stats org.netfilter.Conntrack1.Stats.GetService)
expect "stream_loss is counted" "'stream_loss': <?(uint64 )?[1-9]" "$out"

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
mkfifo "$T/term.fifo"
sleep 30 <"$T/term.fifo" &
nonreader=$!
list 3>"$T/term.fifo" >"$T/term.out" &
client=$!
sleep 0.5
pid=$(ctd_pid)
[ -n "$pid" ] || fail "no ctd to send SIGTERM to"
kill -TERM "$pid"
[ -n "$pid" ] && wait_gone "$pid" 3 && ok "SIGTERM during a List: exited within 3 s" || fail "ctd still running 3 s after SIGTERM"
start=$(date +%s)
wait "$client"
[ $(( $(date +%s) - start )) -lt 5 ] && ok "the List client got an answer at once" || fail "the List client hung"
expect "...an error, not a count" "^error " "$(cat "$T/term.out")"
grep -q "stopping: signal" "$T/bus.log" && ok "ctd logged the signal" || fail "no stop log"
kill "$nonreader"
finish
