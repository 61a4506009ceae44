# shellcheck shell=bash
# Stream checks shared by test-streams.sh (fake_ctd's synthetic table) and
# test-table-streams.sh (the real ctd over a real table); sourced after lib.sh, with bc
# (bus_client), TABLE and N (the table's size) set by the caller. Every pid started here
# is a job of the test, killed by bus_cleanup if a check stops early.

# service_counter NAME: one counter of Stats.GetService.
service_counter() {
    call /Stats org.netfilter.Conntrack1.Stats.GetService |
        grep -Eo "'$1': <?(uint64 )?[0-9]+" | grep -Eo '[0-9]+$'
}
streams() { service_counter streams; }
# list [FORMAT]: Table.List of the whole table into fd 3 (default format plain).
list() { bc $ROOT_PATH/Table $TABLE List dict: "s:${1-plain}" fd:3; }

# A reader that leaves after 1000 bytes cancels the List at once; the service carries on.
check_reader_leaves_mid_list() {
    local start ms out
    start=$(date +%s%N)
    out=$(list 3> >(head -c 1000 >/dev/null))
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    expect "reader leaving mid-List cancels it" "^error .*: the reader closed the stream" "$out"
    [ "$ms" -lt 5000 ] && ok "...at once (${ms} ms)" || fail "...after ${ms} ms"
    expect "service alive after the cancelled List" "^ok $N$" "$(list "" 3> >(cat >/dev/null))"
}

# start_stuck_list: a List whose reader holds the fifo's read end and never reads, so the
# List stays pending, bounded by its buffer. Sets NONREADER and STUCK (the client).
start_stuck_list() {
    mkfifo "$T/stuck.fifo"
    sleep 120 <"$T/stuck.fifo" &
    NONREADER=$!
    list 3>"$T/stuck.fifo" >"$T/stuck.out" &
    STUCK=$!
}

check_stuck_pending() {
    kill -0 "$STUCK" 2>/dev/null && ok "the non-reader's List is still pending" ||
        fail "the non-reader's List ended: $(cat "$T/stuck.out")"
}

# end_stuck_list: only the non-reader's stream is open; once its reader goes the List
# ends with an error and no stream is left open.
end_stuck_list() {
    local n
    n=$(streams)
    [ "$n" = 1 ] && ok "one stream open (the non-reader's; the Watches were cancelled)" || fail "streams open: $n"
    kill "$NONREADER"
    wait "$STUCK"
    expect "non-reader's List ends when its reader goes" "^error .*the reader closed the stream" "$(cat "$T/stuck.out")"
    sleep 0.3
    n=$(streams)
    [ "$n" = 0 ] && ok "no stream left open" || fail "streams still open: $n"
}

# start_watches COUNT: Watch clients whose readers take 50 lines and leave; their pids
# are appended to the caller's array PIDS.
start_watches() {
    local i
    for i in $(seq "$1"); do
        bc $ROOT_PATH/Table $TABLE Watch dict: s:plain fd:3 3> >(head -n 50 >"$T/w$i.out") >"$T/w$i.reply" &
        PIDS+=($!)
    done
}

# check_watches COUNT PATTERN: each Watch returned at once and streamed 50 lines of PATTERN.
check_watches() {
    local i good=0
    for i in $(seq "$1"); do
        grep -q "^ok$" "$T/w$i.reply" && [ "$(grep -c "$2" "$T/w$i.out")" = 50 ] && good=$((good + 1))
    done
    [ "$good" = "$1" ] && ok "$1 concurrent Watches returned at once and streamed" ||
        fail "only $good of $1 Watches were right"
}

# check_sigterm_during_list SECONDS: SIGTERM SECONDS after a List whose reader never
# reads started: ctd exits within 3 s and the client gets an error at once.
check_sigterm_during_list() {
    local nonreader client pid start
    mkfifo "$T/term.fifo"
    sleep 60 <"$T/term.fifo" &
    nonreader=$!
    list 3>"$T/term.fifo" >"$T/term.out" &
    client=$!
    sleep "$1"
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
}
