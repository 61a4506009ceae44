#!/bin/bash
# The conntrackd drop-in (ctctl started as "conntrackd") against fake_caches.py, a
# stand-in for ctd's sync engine on a private bus: every conntrackd 1.4.7 client option
# must make the right bus call (the fake logs each call) and print exactly conntrackd's
# text (the -s samples captured from conntrackd 1.4.7, tests/unit/ctl/conntrackd_samples)
# with conntrackd's exit status; keepalived's primary-backup.sh runs unchanged; -d execs
# ctd; "not running" and "no sync configuration" fail as documented in docs/compat.md.
# ctctl sync / links are checked on the same fake. Root only (polkit is not involved).
# Usage: test-conntrackd-dropin.sh CTCTL
# (-s ct is conntrackd's STATS request, the same as -s: both ask for category "")
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
CTCTL=${1:?usage: test-conntrackd-dropin.sh CTCTL}
[ -x "$CTCTL" ] || { echo "FAIL: $CTCTL not built"; exit 1; }
PY=/usr/bin/python3
"$PY" -c 'import dbus, dbus.service; from gi.repository import GLib' 2>/dev/null ||
    skip "python3-dbus or python3-gi missing"
SAMPLES=$CTD_SOURCE_ROOT/tests/unit/ctl/conntrackd_samples
FAKE=$CTD_SOURCE_ROOT/tests/bus/fake_caches.py
start_bus

mkdir -p "$T/bin"
ln -s "$CTCTL" "$T/bin/conntrackd"
ln -s "$CTCTL" "$T/bin/ctctl"
# Run as "conntrackd" from PATH, so argv[0] (printed in the usage) is conntrackd's own.
export PATH="$T/bin:$PATH"
CONF=$T/conntrackd.conf
echo 'General { }' >"$CONF"
FAKE_PID=

start_fake() { # [VAR=VALUE...]: (re)start the fake with these environment settings
    stop_fake
    : >"$T/calls"
    env FAKE_CACHES_LOG="$T/calls" "$@" "$PY" "$FAKE" >"$T/fake.log" 2>&1 &
    FAKE_PID=$!
    for _ in $(seq 100); do busctl status "$NAME" >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "FAIL: fake_caches.py did not start: $(cat "$T/fake.log")"
    exit 1
}
stop_fake() {
    [ -n "$FAKE_PID" ] || return 0
    kill "$FAKE_PID" 2>/dev/null
    wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=
}

# run ARGS...: conntrackd -C CONF ARGS; sets RC, OUT (file), ERRN (stderr without the
# dlog date/pid prefix, whose format is checked line by line), CALLS (the bus calls).
DATE_RE='^\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\] \(pid=[0-9]+\) '
run_raw() {
    : >"$T/calls"
    "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
    OUT=$T/out
    CALLS=$(cat "$T/calls")
    ERRN=""
    local line
    while IFS= read -r line; do
        if ! printf '%s\n' "$line" | grep -Eq "$DATE_RE\[(ERROR|warning|notice)\] "; then
            fail "stderr line without conntrackd's dlog prefix: '$line'"
        fi
        ERRN+="$(printf '%s' "$line" | sed -E "s/$DATE_RE//")"$'\n'
    done <"$T/err"
    ERRN=${ERRN%$'\n'}
}
run() { run_raw conntrackd -C "$CONF" "$@"; }

# check DESC RC STDOUT_FILE CALLS [STDERR]
check() {
    local desc=$1 rc=$2 stdout=$3 calls=$4 stderr=${5:-}
    local good=1
    [ "$RC" = "$rc" ] || { fail "$desc: exit $RC, wanted $rc"; good=0; }
    if ! cmp -s "$OUT" "$stdout"; then
        fail "$desc: stdout differs:"$'\n'"$(diff "$stdout" "$OUT" | head -20)"
        good=0
    fi
    [ "$CALLS" = "$calls" ] || { fail "$desc: calls '$CALLS', wanted '$calls'"; good=0; }
    [ "$ERRN" = "$stderr" ] || { fail "$desc: stderr '$ERRN', wanted '$stderr'"; good=0; }
    [ $good = 1 ] && ok "$desc"
}
EMPTY=$T/empty-file
: >"$EMPTY"
text() { printf '%s' "$1" >"$T/expected"; echo "$T/expected"; }
NOOPT='{}'

start_fake

# --- -s: conntrackd's text, byte for byte -------------------------------------------------
run -s
check "-s" 0 "$SAMPLES/ftfw-udp-general.txt" "Caches.GetStatistics ''"
for word in network cache runtime link rsqueue queue ct expect; do
    run -s $word
    check "-s $word" 0 "$SAMPLES/ftfw-udp-$word.txt" "Caches.GetStatistics '${word/#ct/}'"
done
run -s n
check "-s n (prefix: network)" 0 "$SAMPLES/ftfw-udp-network.txt" "Caches.GetStatistics 'network'"
run -s multicast
check "-s multicast" 0 "$SAMPLES/ftfw-udp-link.txt" "Caches.GetStatistics 'link'" \
    "[warning] use \`link' instead of \`multicast' as parameter."
run -s process
check "-s process (no child processes in ctd)" 0 "$EMPTY" ""
run -s general
check "-s general" 1 "$EMPTY" "" "[ERROR] unknown parameter \`general' for option \`-s'"

# --- cache commands ------------------------------------------------------------------------
run -c
check "-c" 0 "$EMPTY" "Caches.Commit 'external' $NOOPT
Caches.GetStatistics 'expect'"
run -c ct
check "-c ct" 0 "$EMPTY" "Caches.Commit 'external:ct' $NOOPT"
run -c expect
check "-c expect (no expectation sync: nothing)" 0 "$EMPTY" "Caches.GetStatistics 'expect'"
run -f
check "-f" 0 "$EMPTY" "Caches.Flush '' $NOOPT"
run -f internal
check "-f internal" 0 "$EMPTY" "Caches.Flush 'internal' $NOOPT"
run -f ext
check "-f ext" 0 "$EMPTY" "Caches.Flush 'external' $NOOPT"
run -f foo
check "-f foo" 1 "$EMPTY" "" "[ERROR] unknown parameter \`foo' for option \`-f'"
run -R
check "-R" 0 "$EMPTY" "Caches.ResyncFromKernel $NOOPT"
run -R ct
check "-R ct" 0 "$EMPTY" "Caches.ResyncFromKernel $NOOPT"
run -R expect
check "-R expect (no expectation sync: nothing)" 0 "$EMPTY" "Caches.GetStatistics 'expect'"
run -B
check "-B" 0 "$EMPTY" "Caches.SendBulk $NOOPT"
run -t
check "-t" 0 "$EMPTY" "Caches.ResetKernelTimers $NOOPT"
run -n
check "-n" 0 "$EMPTY" "Caches.RequestResync $NOOPT"
run -F
check "-F" 0 "$EMPTY" "Table.Flush $NOOPT
Caches.GetStatistics 'expect'"
run -F ct
check "-F ct" 0 "$EMPTY" "Table.Flush $NOOPT"
run -F expect
check "-F expect (no expectation sync: nothing)" 0 "$EMPTY" "Caches.GetStatistics 'expect'"

# --- dumps: the service writes the lines, the drop-in copies the pipe ----------------------
INTERNAL='tcp      6 ESTABLISHED src=198.18.0.1 dst=198.18.0.2 sport=1000 dport=80 [UNREPLIED] src=198.18.0.2 dst=198.18.0.1 sport=80 dport=1000 [ASSURED] mark=0 [active since 1s]
udp      17 src=198.18.0.1 dst=198.18.0.2 sport=1000 dport=53 [UNREPLIED] src=198.18.0.2 dst=198.18.0.1 sport=53 dport=1000 mark=0 [active since 1s]
'
run -i
check "-i" 0 "$(text "$INTERNAL")" "Caches.Dump 'internal' 'conntrackd' $NOOPT"
run -i ct
check "-i ct" 0 "$(text "$INTERNAL")" "Caches.Dump 'internal' 'conntrackd' $NOOPT"
run -i -x
# The fake writes one flow: conntrackd's one-line XML, no header.
[ "$RC" = 0 ] && [ "$CALLS" = "Caches.Dump 'internal' 'conntrackd-xml' $NOOPT" ] &&
    [ "$(wc -l <"$OUT")" = 1 ] && head -c 34 "$OUT" | grep -q '^<flow><meta direction="original">' &&
    tail -c 8 "$OUT" | grep -q '</flow>' && ok "-i -x" ||
    fail "-i -x: rc $RC, calls $CALLS, output $(cat "$OUT")"
run -e
check "-e" 0 "$EMPTY" "Caches.Dump 'external' 'conntrackd' $NOOPT"
run -e -x
check "-e -x" 0 "$EMPTY" "Caches.Dump 'external' 'conntrackd-xml' $NOOPT"
run -i expect
check "-i expect (no expectation sync: nothing)" 0 "$EMPTY" "Caches.GetStatistics 'expect'"

# --- usage, version, errors ------------------------------------------------------------------
USAGE_FILE=$T/usage
run_raw conntrackd -h
cp "$OUT" "$USAGE_FILE"
if [ -x /usr/sbin/conntrackd ]; then
    /usr/sbin/conntrackd -h >"$T/real-usage" 2>/dev/null
    # The real binary prints its own argv[0]; run as "conntrackd" both say "conntrackd".
    sed -i 's#^Usage: /usr/sbin/conntrackd #Usage: conntrackd #' "$T/real-usage"
    check "-h (the same text as conntrackd 1.4.7)" 0 "$T/real-usage" ""
    /usr/sbin/conntrackd -v >"$T/real-version" 2>/dev/null
    run_raw conntrackd -v
    check "-v (the same text as conntrackd 1.4.7)" 0 "$T/real-version" ""
else
    grep -q '^Connection tracking userspace daemon v1.4.7$' "$USAGE_FILE" &&
        ok "-h (no real conntrackd to compare with)" || fail "-h: $(cat "$USAGE_FILE")"
fi
run -x
check "-x without -i/-e" 1 "$USAGE_FILE" "" "[ERROR] Invalid parameters"
run -c -d
check "-c -d (two modes)" 1 "$USAGE_FILE" "" "[ERROR] Invalid parameters"
run -q
check "-q (unknown: usage, exit 0 as 1.4.7)" 0 "$USAGE_FILE" "" "[ERROR] Unknown option: -q"
run -c foo
check "-c foo" 0 "$USAGE_FILE" "" "[ERROR] Unknown option: foo"
run_raw conntrackd -C "$T/nonexistent.conf" -s
check "-C missing file" 1 "$EMPTY" "" "[ERROR] can't open config file \`$T/nonexistent.conf'"

# --- a failing call ------------------------------------------------------------------------
start_fake FAKE_CACHES_FAIL="Commit=org.netfilter.Conntrack1.Error.Busy:a commit is already running"
run -c ct
check "-c while busy" 1 "$EMPTY" "Caches.Commit 'external:ct' $NOOPT" "[ERROR] a commit is already running"

# --- expectation sync on: the expectation halves happen ----------------------------------
start_fake FAKE_CACHES_EXPECT=1
run -c
check "-c with expectation sync" 0 "$EMPTY" "Caches.Commit 'external' $NOOPT
Caches.GetStatistics 'expect'
Caches.Commit 'external:expect' $NOOPT"
run -F
check "-F with expectation sync" 0 "$EMPTY" "Table.Flush $NOOPT
Caches.GetStatistics 'expect'
Expectations.Flush $NOOPT"
run -s expect
check "-s expect with expectation sync" 0 "$SAMPLES/ftfw-udp-general.txt" "Caches.GetStatistics 'expect'"
run -i expect
check "-i expect with expectation sync" 0 "$EMPTY" "Caches.GetStatistics 'expect'
Caches.Dump 'internal:expect' 'conntrackd' $NOOPT"

# --- keepalived's primary-backup.sh, unchanged but for the binary and config paths -------
start_fake
cp /usr/share/doc/conntrackd/examples/sync/primary-backup.sh "$T/primary-backup.sh" 2>/dev/null
if [ -s "$T/primary-backup.sh" ] && grep -q CONNTRACKD_BIN "$T/primary-backup.sh"; then
    sed -i -e "s#^CONNTRACKD_BIN=.*#CONNTRACKD_BIN=$T/bin/conntrackd#" \
        -e "s#^CONNTRACKD_CONFIG=.*#CONNTRACKD_CONFIG=$CONF#" \
        -e "s#^CONNTRACKD_LOCK=.*#CONNTRACKD_LOCK=$T/conntrack.lock#" "$T/primary-backup.sh"
    # logger is how the script reports a failed step: a stub records any call.
    printf '#!/bin/sh\necho "logger $*" >>"%s/logger.calls"\n' "$T" >"$T/bin/logger"
    chmod +x "$T/bin/logger"
    pb() {
        : >"$T/calls"
        bash "$T/primary-backup.sh" "$1" >"$T/pb.out" 2>&1
        RC=$?
        CALLS=$(cat "$T/calls")
    }
    pb primary
    [ "$RC" = 0 ] && [ "$CALLS" = "Caches.Commit 'external' $NOOPT
Caches.GetStatistics 'expect'
Caches.Flush '' $NOOPT
Caches.ResyncFromKernel $NOOPT
Caches.SendBulk $NOOPT" ] && ok "primary-backup.sh primary: -c, -f, -R, -B" ||
        fail "primary-backup.sh primary: rc $RC, calls: $CALLS, output: $(cat "$T/pb.out")"
    pb backup
    [ "$RC" = 0 ] && [ "$CALLS" = "Caches.GetStatistics ''
Caches.ResetKernelTimers $NOOPT
Caches.RequestResync $NOOPT" ] && ok "primary-backup.sh backup: -s, -t, -n" ||
        fail "primary-backup.sh backup: rc $RC, calls: $CALLS, output: $(cat "$T/pb.out")"
    pb fault
    [ "$RC" = 0 ] && [ "$CALLS" = "Caches.ResetKernelTimers $NOOPT" ] &&
        ok "primary-backup.sh fault: -t" || fail "primary-backup.sh fault: rc $RC, calls: $CALLS"
    [ ! -e "$T/logger.calls" ] && ok "primary-backup.sh logged no failure" ||
        fail "primary-backup.sh logged: $(cat "$T/logger.calls")"
else
    echo "SKIP: primary-backup.sh (conntrackd's examples are not installed)"
fi

# --- ctctl sync and links on the same fake --------------------------------------------------
out=$(ctctl sync status 2>&1)
expect "ctctl sync status: mode" "^   Sync mode: FTFW$" "$out"
expect "ctctl sync status: caches" "Caches: internal 2, external 0" "$out"
expect "ctctl sync status: active link" "Active link: 0: udp 192.0.2.2 port 3780 dev vsync0 \(up\)" "$out"
expect "ctctl sync status: FTFW counters" "FTFW: acks sent 0, nacks sent 0" "$out"
out=$(ctctl sync status --json 2>&1)
printf '%s' "$out" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); assert j["mode"]=="FTFW" and j["internal"]==2 and j["active_link"]["index"]==0 and "failovers" in j["ftfw"]' &&
    ok "ctctl sync status --json" || fail "ctctl sync status --json: $out"
: >"$T/calls"
out=$(ctctl sync commit 2>&1)
expect "ctctl sync commit prints the report" "^2 created, 1 existed, 0 failed\.$" "$out"
expect "ctctl sync commit calls Commit('')" "Caches.Commit '' \{\}" "$(cat "$T/calls")"
for sub in "flush internal:Caches.Flush 'internal'" "resync:Caches.ResyncFromKernel" \
    "request-resync:Caches.RequestResync" "bulk:Caches.SendBulk" \
    "reset-timers:Caches.ResetKernelTimers" "role backup:Caches.SetRole backup"; do
    : >"$T/calls"
    # shellcheck disable=SC2086
    ctctl sync ${sub%%:*} >/dev/null 2>&1
    rc=$?
    [ $rc = 0 ] && grep -qF "${sub#*:}" "$T/calls" && ok "ctctl sync ${sub%%:*}" ||
        fail "ctctl sync ${sub%%:*}: rc $rc, calls $(cat "$T/calls")"
done
out=$(ctctl sync role primary 2>&1)
expect "ctctl sync role primary prints the commit report" "^2 created, 0 existed, 0 failed\.$" "$out"
out=$(ctctl sync role leader 2>&1); rc=$?
[ $rc = 2 ] && ok "ctctl sync role leader is a usage error" || fail "ctctl sync role leader: rc $rc $out"
out=$(ctctl sync dump internal -o conntrackd 2>/dev/null)
[ "$out"$'\n' = "$INTERNAL" ] && ok "ctctl sync dump internal -o conntrackd" || fail "sync dump: $out"
: >"$T/calls"
ctctl sync dump external --json >/dev/null 2>&1
expect "ctctl sync dump --json asks for json" "Caches.Dump 'external' 'json'" "$(cat "$T/calls")"
out=$(ctctl sync stats link --json 2>&1)
printf '%s' "$out" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); assert j["links"]==1 and j["link.0.device"]=="vsync"' &&
    ok "ctctl sync stats link --json" || fail "ctctl sync stats link --json: $out"
out=$(ctctl sync stats queue 2>&1)
expect "ctctl sync stats queue" "^txqueue.max: +2147483647$" "$out"
out=$(ctctl links 2>&1)
expect "ctctl links: header" "^IDX +KIND +NAME +UP +ACTIVE +SENT +RECEIVED +ERRORS$" "$out"
expect "ctctl links: link 0 active" "^0 +udp +udp 192.0.2.2 port 3780 dev vsync0 +yes +yes +3 / 168 B" "$out"
expect "ctctl links: link 1 backup" "^1 +udp +udp 192.0.2.3 port 3780 dev vsync1 +yes +no " "$out"
out=$(ctctl links --json 2>&1)
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] &&
    printf '%s\n' "$out" | head -1 | "$PY" -c 'import json,sys; j=json.load(sys.stdin); assert j["active"] and j["port"]==3780 and j["counters"]["bytes_sent"]==168' &&
    ok "ctctl links --json" || fail "ctctl links --json: $out"

# --- -k, then "not running" ------------------------------------------------------------------
run -k
check "-k" 0 "$EMPTY" "Manager.Stop $NOOPT"
wait_gone "$FAKE_PID" 5 && ok "-k stopped the service" || fail "the fake is still running"
FAKE_PID=
run -s
check "-s with nothing running" 1 "$EMPTY" "" \
    "[ERROR] can't connect: is conntrackd running? appropriate permissions?"
run -c
check "-c with nothing running" 1 "$EMPTY" "" \
    "[ERROR] can't connect: is conntrackd running? appropriate permissions?"
run -k
check "-k with nothing running" 1 "$EMPTY" "" \
    "[ERROR] can't connect: is conntrackd running? appropriate permissions?"

# --- ctd without a Sync section: no Caches -------------------------------------------------
start_fake FAKE_CACHES_NO_SYNC=1
run -s
[ "$RC" = 1 ] && printf '%s' "$ERRN" | grep -q '^\[ERROR\] ctd runs without a sync configuration' &&
    ok "-s without a sync configuration" || fail "-s without sync: rc $RC, stderr $ERRN"
run -F
check "-F works without a sync configuration" 0 "$EMPTY" "Table.Flush $NOOPT"
out=$(ctctl links 2>&1); rc=$?
[ $rc = 1 ] && expect "ctctl links without sync" "without a sync configuration" "$out" ||
    fail "ctctl links without sync: rc $rc $out"
stop_fake

# --- ctd in Stats mode (a Stats section, no Sync): -s from Stats.GetFlowStatistics ----------
start_fake FAKE_CACHES_NO_SYNC=1 FAKE_CACHES_STATS_MODE=1
run -s
# Caches.GetStatistics fails (no such object), so only the Stats call is logged.
check "-s in Stats mode" 0 "$SAMPLES/stats-mode-general.txt" "Stats.GetFlowStatistics ''"
for word in ct cache runtime; do
    run -s $word
    check "-s $word in Stats mode" 0 "$SAMPLES/stats-mode-${word/#ct/general}.txt" \
        "Stats.GetFlowStatistics '${word/#ct/}'"
done
for word in network link rsqueue queue expect; do
    run -s $word
    check "-s $word in Stats mode prints nothing" 0 "$EMPTY" "Stats.GetFlowStatistics '$word'"
done
run -c
[ "$RC" = 1 ] && printf '%s' "$ERRN" | grep -q '^\[ERROR\] ctd runs without a sync configuration' &&
    ok "-c in Stats mode: without a sync configuration" || fail "-c in Stats mode: rc $RC, stderr $ERRN"
stop_fake
start_fake FAKE_CACHES_NO_SYNC=1
run -s cache
[ "$RC" = 1 ] && printf '%s' "$ERRN" | grep -q '^\[ERROR\] ctd runs without a sync configuration' &&
    ok "-s cache without Sync or Stats" || fail "-s cache without Sync or Stats: rc $RC, stderr $ERRN"
stop_fake

# --- -d and the foreground mode exec ctd ----------------------------------------------------
cat >"$T/fake-ctd" <<STUB
#!/bin/sh
echo "\$*" >"$T/ctd.args"
exit 3
STUB
chmod +x "$T/fake-ctd"
CTD_BINARY="$T/fake-ctd" run -d
check "-d" 0 "$EMPTY" ""
for _ in $(seq 100); do [ -s "$T/ctd.args" ] && break; sleep 0.05; done
[ "$(cat "$T/ctd.args" 2>/dev/null)" = "--config $CONF" ] && ok "-d runs ctd --config FILE" ||
    fail "-d: ctd got '$(cat "$T/ctd.args" 2>/dev/null)'"
rm -f "$T/ctd.args"
CTD_BINARY="$T/fake-ctd" run
check "no client option: ctd in the foreground" 3 "$EMPTY" ""
[ "$(cat "$T/ctd.args" 2>/dev/null)" = "--config $CONF" ] && ok "foreground ctd --config FILE" ||
    fail "foreground: ctd got '$(cat "$T/ctd.args" 2>/dev/null)'"
CTD_BINARY="$T/nonexistent-ctd" run -d
check "-d with a missing ctd" 1 "$EMPTY" "" \
    "[ERROR] cannot run $T/nonexistent-ctd: No such file or directory"

finish
