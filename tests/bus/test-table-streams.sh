#!/bin/bash
# Streams of the real ctd over a 200k-entry table (made by ctfill-bus, bench/ctfill.cpp):
# a List through a pipe is complete and matches ctdump; a reader that leaves mid-List
# cancels it at once; 20 concurrent List/Watch clients are served while one never reads,
# and ctd's memory stays bounded meanwhile; SIGTERM during a List exits promptly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/table-lib.sh"
: "${CTFILL:?CTFILL must point at the built ctfill}"
table_setup "$@"
N=200000
"$CTFILL" --count $N --timeout 3000 >/dev/null 2>&1 || { fail "ctfill: could not make $N entries"; finish; }
[ "$(conntrack -C)" = $N ] || { fail "table has $(conntrack -C) entries, not $N"; finish; }
start_bus
start_polkit
install_activation --idle-timeout 0
list() { bc $ROOT_PATH/Table $TABLE List dict: "s:${1-plain}" fd:3; }
streams() { call /Stats org.netfilter.Conntrack1.Stats.GetService | grep -Eo "'streams': <?(uint64 )?[0-9]+" | grep -Eo '[0-9]+$'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$(ctd_pid)/status"; }

# a. A complete List of the whole table.
out=$(list 3> >(cat >"$T/list.out"))
settle
expect "List of $N replies with the count" "^ok $N$" "$out"
"$CTDUMP" >"$T/ctdump.out" 2>/dev/null
# A walk of 200k takes a moment: the timeouts may have ticked by 2 in between.
if diff=$(python3 "$CTCOMPARE" --tick 3 --label list "$T/ctdump.out" "$T/list.out"); then
    ok "List of $N = ctdump"
else
    fail "List of $N differs from ctdump: $(printf '%s\n' "$diff" | head -10)"
fi

# b. A reader that leaves after 1000 bytes cancels the List at once; ctd carries on.
start=$(date +%s%N)
out=$(list 3> >(head -c 1000 >/dev/null))
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect "reader leaving mid-List cancels it" "^error .*: the reader closed the stream" "$out"
[ "$ms" -lt 5000 ] && ok "...at once (${ms} ms)" || fail "...after ${ms} ms"
expect "service alive after the cancelled List" "^ok $N$" "$(list "" 3> >(cat >/dev/null))"
sleep 0.3
[ "$(streams)" = 0 ] && ok "the cancelled List left no stream" || fail "streams open: $(streams)"

# c. 20 clients at once: one never reads, 10 Lists and 9 Watches read and are served.
mkfifo "$T/stuck.fifo"
sleep 120 <"$T/stuck.fifo" &
nonreader=$!
list 3>"$T/stuck.fifo" >"$T/stuck.out" &
stuck=$!
sleep 1
rss=$(rss_kib)
[ "$rss" -lt 30720 ] && ok "ctd's RSS stays flat with a stuck List of $N ($rss KiB)" || fail "ctd RSS $rss KiB with a stuck List"
pids=()
for i in $(seq 9); do
    bc $ROOT_PATH/Table $TABLE Watch dict: s:plain fd:3 3> >(head -n 50 >"$T/w$i.out") >"$T/w$i.reply" &
    pids+=($!)
done
for i in $(seq 10); do
    list 3> >(cat >"$T/c$i.out") >"$T/c$i.reply" &
    pids+=($!)
done
sleep 1
# 100 new entries through Load: 100 NEW events for the watchers.
awk 'BEGIN { for (i = 1; i <= 100; i++) printf "-A -t 300 -s 192.0.2.77 -d 198.18.9.%d -p udp --sport 1000 --dport 7\n", i }' >"$T/new.save"
expect "Load makes 100 entries (the watchers' events)" "^ok 100 0$" "$(bc $ROOT_PATH/Table $TABLE Load fd:4 s:save dict: 4<"$T/new.save")"
for p in "${pids[@]}"; do wait "$p"; done
settle
good=0
for i in $(seq 10); do
    grep -q "^ok [0-9]+$" -E "$T/c$i.reply" && [ "$(wc -l <"$T/c$i.out")" = "$(cut -d' ' -f2 "$T/c$i.reply")" ] && good=$((good + 1))
done
[ "$good" = 10 ] && ok "10 concurrent Lists complete beside a non-reader" || fail "only $good of 10 Lists were right"
good=0
for i in $(seq 9); do
    grep -q "^ok$" "$T/w$i.reply" && [ "$(grep -c '^ *\[NEW\] udp' "$T/w$i.out")" = 50 ] && good=$((good + 1))
done
[ "$good" = 9 ] && ok "9 concurrent Watches returned at once and streamed the events" || fail "only $good of 9 Watches were right"
kill -0 "$stuck" 2>/dev/null && ok "the non-reader's List is still pending" || fail "the non-reader's List ended: $(cat "$T/stuck.out")"
# Eleven Lists of 200k at once, each bounded by its stream and chunk queue (~6 MiB),
# never by the table: the whole table formatted once would be ~25 MiB per List.
rss=$(rss_kib)
[ "$rss" -lt 102400 ] && ok "ctd's RSS after 11 concurrent Lists of $N: $rss KiB" || fail "ctd RSS $rss KiB after the concurrent Lists"
# A new Watch after the others left makes the next event reach it (the socket was reset).
out=$(bc $ROOT_PATH/Table $TABLE Flush "dict:family=s:ipv4;protocol=s:udp;dport=q:7")
expect "Flush of the 100 entries" "^ok 100$" "$out"
sleep 0.3
n=$(streams)
[ "$n" = 1 ] && ok "one stream open (the non-reader's; the Watches were cancelled)" || fail "streams open: $n"
kill "$nonreader"
wait "$stuck"
expect "non-reader's List ends when its reader goes" "^error .*the reader closed the stream" "$(cat "$T/stuck.out")"
sleep 0.3
[ "$(streams)" = 0 ] && ok "no stream left open" || fail "streams still open: $(streams)"

# d. SIGTERM during a List whose reader never reads: clean exit, client not left hanging.
mkfifo "$T/term.fifo"
sleep 60 <"$T/term.fifo" &
nonreader=$!
list 3>"$T/term.fifo" >"$T/term.out" &
client=$!
sleep 1
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
