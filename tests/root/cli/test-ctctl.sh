#!/bin/bash
# ctctl end to end: a namespace with a private bus and the built ctd, a few entries made
# by the real conntrack, then ctctl's subcommands, filters, JSON, errors and exit codes
# (docs/ctctl.1), and the "not running, not activatable" case. Exits 77 without root.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${CTD:?}" "${CTCTL:?}" "${CTD_SOURCE_ROOT:?}"
CONNTRACK=${CONNTRACK:-/usr/sbin/conntrack}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for tool in ip dbus-daemon busctl; do command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done
[ -x "$CONNTRACK" ] || { echo "SKIP: conntrack missing"; exit 77; }
NS=ctdctl-$$
. "$HERE/lib.sh"
cli_setup "$NS"
FAILURES=0
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; FAILURES=$((FAILURES + 1)); }
ctctl() { ip netns exec "$NS" env DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$T/bin/ctctl" --no-ask-password "$@"; }
# check DESCRIPTION WANTED_RC PATTERN CMD...: exit status and output (stdout+stderr, grep -E).
check() {
    local what=$1 want=$2 pattern=$3 out rc
    shift 3
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pattern"; then ok "$what"
    else fail "$what: exit $rc (wanted $want), output: $out"; fi
}

# Not running and not activatable: a clear message, exit 1.
check "no service" 1 "ctd \(org.netfilter.Conntrack1\) is not running and cannot be activated" ctctl list
install_activation

ip netns exec "$NS" "$CONNTRACK" -I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1000 --dport 80 \
    --state ESTABLISHED -t 500 -m 1 >/dev/null 2>&1
ip netns exec "$NS" "$CONNTRACK" -I -s 10.0.0.4 -d 10.0.0.2 -p udp --sport 5353 --dport 53 \
    -t 500 >/dev/null 2>&1

check "list" 0 "sport=1000 dport=80" ctctl list
check "list legend" 0 "^2 entries listed\.$" ctctl list
check "list --no-legend" 0 "^udp " ctctl list --no-legend --protocol udp
check "filter 1:1" 0 "dport=80" ctctl list --protocol tcp --dport 80
check "filter matches nothing" 0 "^0 entries listed" ctctl list --protocol tcp --dport 81
check "--json" 0 '^\{.*"proto-dst-port":80' ctctl --json list --protocol tcp
check "-o extended" 0 "^ipv4 +2 tcp" ctctl -o extended list --protocol tcp
check "count" 0 "^2$" ctctl count
check "count filtered" 0 "^1$" ctctl count --protocol udp
check "get" 0 "mark=1" ctctl get --src 10.0.0.1 --dst 10.0.0.2 --protocol tcp --sport 1000 --dport 80
check "get not found: exit 3" 3 "." ctctl get --src 10.0.0.1 --dst 10.0.0.2 --protocol tcp --sport 1 --dport 2
check "bad value before the call" 2 "invalid value 'x' for --dport" ctctl list --dport x
check "unknown option" 2 "unknown option '--bogus'" ctctl list --bogus 1
check "service refuses a bad query" 1 "dport" ctctl list --dport 80
check "update" 0 "mark=7" ctctl update --protocol tcp --set-mark 7
check "delete needs --all" 2 "add --all" ctctl delete
check "delete filtered" 0 "^1 entries deleted" ctctl delete --protocol udp
check "create" 0 "1 entries created" ctctl create --src 10.9.0.1 --dst 10.9.0.2 --protocol udp --sport 1 --dport 2 --timeout 60
check "status breakdown" 0 "Protocols: tcp 1, udp 1" ctctl status
check "status states" 0 "States: ESTABLISHED 1" ctctl status
if command -v script >/dev/null; then
    # On a terminal: aligned columns from the JSON records.
    check "terminal table" 0 "^PROTO +SOURCE +DESTINATION +STATE +TIMEOUT +MARK +FLAGS" \
        script -qec "ip netns exec $NS env DBUS_SYSTEM_BUS_ADDRESS=$BUS NO_COLOR=1 $T/bin/ctctl --no-ask-password list" /dev/null
    check "terminal row" 0 "^udp +10\.9\.0\.1:1 +10\.9\.0\.2:2 +- +[0-9]+ +0 " \
        script -qec "ip netns exec $NS env DBUS_SYSTEM_BUS_ADDRESS=$BUS NO_COLOR=1 $T/bin/ctctl --no-ask-password list" /dev/null
fi
check "create exists" 1 "." ctctl create --src 10.9.0.1 --dst 10.9.0.2 --protocol udp --sport 1 --dport 2 --timeout 60
check "flush" 0 "entries flushed" ctctl flush
check "load" 0 "^3 entries loaded, 0 failed\.$" ctctl load "$HERE/load.save"
check "loaded entries" 0 "^3$" ctctl count
# -A lines are "add unless present", as conntrack 1.4.7 -R runs them (NLM_F_CREATE|
# NLM_F_EXCL, EEXIST taken as success): a second load succeeds and changes nothing.
check "load twice: no failure" 0 "^0 entries loaded, 0 failed\.$" ctctl load "$HERE/load.save"
check "...and adds none" 0 "^3$" ctctl count
UDP_TUPLE=(--src 10.9.0.1 --dst 10.9.0.2 --protocol udp --sport 1 --dport 2)
echo "-A -t 300 -m 7 -s 10.9.0.1 -d 10.9.0.2 -p udp --sport 1 --dport 2" >"$T/update.save"
check "load of an existing entry: no failure" 0 "^0 entries loaded, 0 failed\.$" ctctl load "$T/update.save"
check "...leaves its mark and timeout" 0 "^udp +17 +(9[0-9]|100) .* mark=0 " ctctl get "${UDP_TUPLE[@]}"
# The reference on the same entry: conntrack 1.4.7 -R succeeds and leaves it as it is too.
check "conntrack 1.4.7 -R of an existing entry succeeds" 0 "" ip netns exec "$NS" "$CONNTRACK" -R "$T/update.save"
check "...and leaves mark and timeout, as ctd does" 0 "^udp +17 +(9[0-9]|100) .* mark=0 " ctctl get "${UDP_TUPLE[@]}"
check "-I lines still refuse an entry that exists" 1 "^0 entries loaded, 1 failed\.$" \
    sh -c "echo '-I -t 100 -s 10.9.0.1 -d 10.9.0.2 -p udp --sport 1 --dport 2' | ip netns exec $NS env DBUS_SYSTEM_BUS_ADDRESS=$BUS $T/bin/ctctl --no-ask-password load -"
ctctl flush >/dev/null 2>&1
check "load from stdin" 0 "^3 entries loaded, 0 failed\.$" sh -c "ip netns exec $NS env DBUS_SYSTEM_BUS_ADDRESS=$BUS $T/bin/ctctl --no-ask-password load - < $HERE/load.save"
check "load unreadable" 1 "cannot read /nonexistent" ctctl load /nonexistent
check "flush again" 0 "entries flushed" ctctl flush
# On a terminal a flush shows its progress on stderr and clears it. The pty comes from
# python's pty module, read until the terminal closes: script(1) 2.38 lost the flush's
# whole output about 1 run in 10 with a non-terminal stdin, as CI has.
for i in $(seq 20); do
    ip netns exec "$NS" "$CONNTRACK" -I -p udp -s 10.9.1.$i -d 10.9.0.2 --sport 1 --dport 2 -t 100 >/dev/null 2>&1
done
python3 - "$T/pty.out" nsenter --net=/run/netns/"$NS" env DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$T/bin/ctctl" flush \
    2>"$T/script.err" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
with open(sys.argv[1], "wb") as out:
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: every writer of the terminal is gone, and all was read
            break
        if not data:
            break
        out.write(data)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
pty_rc=$?
tr '\r' '\n' <"$T/pty.out" | grep -q "^flushing: [0-9]* of 20 entries" &&
    grep -q "20 entries flushed" "$T/pty.out" && ok "flush on a terminal shows its progress" ||
    fail "flush on a terminal: no progress line (exit $pty_rc): $(cat -v "$T/pty.out") $(cat "$T/script.err")"
check "flush off a terminal prints no progress" 0 "^0 entries flushed\.$" ctctl flush
check "status" 0 "Entries: 0 /" ctctl status
check "stats" 0 "cpu=0" ctctl stats
check "expect list" 0 "0 expectations listed" ctctl expect list
check "version" 0 "^ctd " ctctl version
check "unknown command" 2 "unknown command 'frobnicate'" ctctl frobnicate
[ "$FAILURES" = 0 ] && { echo "all passed"; exit 0; }
echo "$FAILURES failed"; exit 1
