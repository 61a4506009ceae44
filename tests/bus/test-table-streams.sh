#!/bin/bash
# Streams of the real ctd over a 200k-entry table (made by ctfill-bus, bench/ctfill.cpp):
# a List through a pipe is complete and matches ctdump; a reader that leaves mid-List
# cancels it at once; 20 concurrent List/Watch clients are served while one never reads,
# and ctd's memory stays bounded meanwhile; SIGTERM during a List exits promptly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/table-lib.sh"
. "$(dirname "$0")/streams-lib.sh"
: "${CTFILL:?CTFILL must point at the built ctfill}"
table_setup "$@"
N=200000
"$CTFILL" --count $N --timeout 3000 >/dev/null 2>&1 || { fail "ctfill: could not make $N entries"; finish; }
[ "$(conntrack -C)" = $N ] || { fail "table has $(conntrack -C) entries, not $N"; finish; }
start_bus
start_polkit
install_activation --idle-timeout 0
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
check_reader_leaves_mid_list
sleep 0.3
[ "$(streams)" = 0 ] && ok "the cancelled List left no stream" || fail "streams open: $(streams)"

# c. 20 clients at once: one never reads, 10 Lists and 9 Watches read and are served.
start_stuck_list
sleep 1
rss=$(rss_kib)
[ "$rss" -lt 30720 ] && ok "ctd's RSS stays flat with a stuck List of $N ($rss KiB)" || fail "ctd RSS $rss KiB with a stuck List"
PIDS=()
start_watches 9
for i in $(seq 10); do
    list 3> >(cat >"$T/c$i.out") >"$T/c$i.reply" &
    PIDS+=($!)
done
sleep 1
# 100 new entries through Load: 100 NEW events for the watchers.
awk 'BEGIN { for (i = 1; i <= 100; i++) printf "-A -t 300 -s 192.0.2.77 -d 198.18.9.%d -p udp --sport 1000 --dport 7\n", i }' >"$T/new.save"
expect "Load makes 100 entries (the watchers' events)" "^ok 100 0$" "$(bc $ROOT_PATH/Table $TABLE Load fd:4 s:save dict: 4<"$T/new.save")"
for p in "${PIDS[@]}"; do wait "$p"; done
settle
good=0
for i in $(seq 10); do
    grep -q "^ok [0-9]+$" -E "$T/c$i.reply" && [ "$(wc -l <"$T/c$i.out")" = "$(cut -d' ' -f2 "$T/c$i.reply")" ] && good=$((good + 1))
done
[ "$good" = 10 ] && ok "10 concurrent Lists complete beside a non-reader" || fail "only $good of 10 Lists were right"
check_watches 9 '^ *\[NEW\] udp'
check_stuck_pending
# Eleven Lists of 200k at once, each bounded by its stream and chunk queue (~6 MiB),
# never by the table: the whole table formatted once would be ~25 MiB per List.
rss=$(rss_kib)
[ "$rss" -lt 102400 ] && ok "ctd's RSS after 11 concurrent Lists of $N: $rss KiB" || fail "ctd RSS $rss KiB after the concurrent Lists"
# A new Watch after the others left makes the next event reach it (the socket was reset).
out=$(bc $ROOT_PATH/Table $TABLE Flush "dict:family=s:ipv4;protocol=s:udp;dport=q:7")
expect "Flush of the 100 entries" "^ok 100$" "$out"
sleep 0.3
end_stuck_list

# d. SIGTERM during a List whose reader never reads: clean exit, client not left hanging.
check_sigterm_during_list 1
finish
