#!/bin/bash
# Bus activation, Manager.Version, Stop as root / nobody / daemon (with a JS rule granting
# group daemon), authorization before action on Table, idle exit and re-activation,
# SIGTERM clean exit with STOPPING.
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
# Command line.
expect "--version" "^ctd [0-9]+\.[0-9]+\.[0-9]+$" "$("$CTD" --version)"
expect "--help names the options" "--idle-timeout SECONDS" "$("$CTD" --help)"
"$CTD" --idle-timeout soon >/dev/null 2>&1; [ $? = 2 ] && ok "bad --idle-timeout is a usage error" || fail "bad --idle-timeout accepted"
"$CTD" --config "$T/missing.conf" >/dev/null 2>&1; [ $? = 1 ] && ok "unreadable --config fails" || fail "unreadable --config accepted"

start_bus
cat >"$T/50-test.rules" <<'RULES'
// Group daemon may control the service (Manager.Stop) but nothing else.
polkit.addRule(function(action, subject) {
    if (action.id == "org.netfilter.conntrack1.control-sync" && subject.isInGroup("daemon"))
        return polkit.Result.YES;
});
// The details carry the method and the query as conntrack options, so a grant can be
// scoped: daemon may count UDP entries only.
polkit.addRule(function(action, subject) {
    if (action.id == "org.netfilter.conntrack1.read-table" && subject.isInGroup("daemon") &&
        action.lookup("method") == "Table.CountMatching" && action.lookup("query") == "-p udp")
        return polkit.Result.YES;
});
RULES
start_polkit "$T/50-test.rules"
install_activation --idle-timeout 2 --log-level debug

# Activation on the first call; Version is public.
out=$(call "" org.freedesktop.DBus.Properties.Get org.netfilter.Conntrack1.Manager Version)
expect "activation + Manager.Version" "^\(<'[0-9]+\.[0-9]+\.[0-9]+'>,\)$" "$out"
pid1=$(ctd_pid)
[ -n "$pid1" ] && ok "activated ctd has pid $pid1" || fail "no ctd after activation"

# nobody: denied, and the message names the action.
out=$(as_nobody gdbus call --system --dest $NAME --object-path $ROOT_PATH \
      --method org.netfilter.Conntrack1.Manager.Stop '{}' 2>&1)
expect "Stop as nobody is denied naming the action" \
    "org\.freedesktop\.DBus\.Error\.AccessDenied: Manager\.Stop requires polkit action org\.netfilter\.conntrack1\.control-sync" "$out"
expect "...and tells that a password would be needed" "interactive" "$out"
kill -0 "$pid1" 2>/dev/null && ok "ctd still running after the denial" || fail "ctd died after a denial"

# nobody, read-stats is allow_any=yes: polkit says yes without a rule.
out=$(as_nobody gdbus call --system --dest $NAME --object-path $ROOT_PATH/Stats \
      --method org.netfilter.Conntrack1.Stats.GetService 2>&1)
expect "Stats.GetService as nobody (read-stats is yes)" "'calls'" "$out"
expect "...counts the denial" "'denied': <?(uint64 )?[1-9]" "$out"

# daemon: the rule grants control-sync only; read-table stays denied.
out=$(as_daemon gdbus call --system --dest $NAME --object-path $ROOT_PATH/Table \
      --method org.netfilter.Conntrack1.Table.CountMatching '{}' 2>&1)
expect "Table.CountMatching as daemon is denied (read-table)" \
    "AccessDenied: Table\.CountMatching requires polkit action org\.netfilter\.conntrack1\.read-table" "$out"
out=$(as_daemon gdbus call --system --dest $NAME --object-path $ROOT_PATH/Table \
      --method org.netfilter.Conntrack1.Table.CountMatching "{'protocol': <'udp'>}" 2>&1)
expect "a rule scoped by the query details grants daemon '-p udp'" \
    "NotSupported: Table\.CountMatching is not available|^\(uint64 [0-9]+,\)$" "$out"
out=$(as_daemon gdbus call --system --dest $NAME --object-path $ROOT_PATH/Table \
      --method org.netfilter.Conntrack1.Table.CountMatching "{'protocol': <'tcp'>}" 2>&1)
expect "...and not '-p tcp'" "AccessDenied: Table\.CountMatching requires polkit action" "$out"
# SIGHUP reloads and keeps running.
kill -HUP "$pid1"
sleep 0.3
kill -0 "$pid1" 2>/dev/null && ok "SIGHUP keeps ctd running" || fail "ctd died on SIGHUP"
grep -q "SIGHUP: reloading" "$T/bus.log" && ok "SIGHUP logged as reload" || fail "no reload log"
# Root is authorized without polkit; the table itself is not bound in this build.
out=$(call /Table org.netfilter.Conntrack1.Table.CountMatching '{}')
expect "Table.CountMatching as root passes authorization" "NotSupported|^\(uint64 [0-9]+,\)$" "$out"

out=$(as_daemon gdbus call --system --dest $NAME --object-path $ROOT_PATH \
      --method org.netfilter.Conntrack1.Manager.Stop '{}' 2>&1)
expect "Stop as daemon is allowed by the JS rule" '^\(\)$' "$out"
wait_gone "$pid1" 5 && ok "ctd exited after Stop" || fail "ctd still running after Stop"

# Re-activation after Stop, then idle exit (timeout 2 s) and re-activation again.
out=$(call "" org.freedesktop.DBus.Properties.Get org.netfilter.Conntrack1.Manager Version)
expect "re-activation after Stop" "^\(<'" "$out"
pid2=$(ctd_pid)
[ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && ok "new instance $pid2" || fail "no new instance ($pid2)"
start=$(date +%s)
wait_gone "$pid2" 8 && ok "idle exit after $(( $(date +%s) - start )) s" || fail "no idle exit within 8 s"
busctl status $NAME >/dev/null 2>&1 && fail "name still owned after idle exit" || ok "name released on idle exit"
grep -q "stopping: idle" "$T/bus.log" && ok "ctd logged the idle exit" || fail "no idle log line"
out=$(call "" org.freedesktop.DBus.Properties.Get org.netfilter.Conntrack1.Manager Version)
expect "re-activation after idle exit" "^\(<'" "$out"
pid3=$(ctd_pid)
[ -n "$pid3" ] && [ "$pid3" != "$pid2" ] && ok "third instance $pid3" || fail "no third instance"

# Stop as root.
out=$(call "" org.netfilter.Conntrack1.Manager.Stop '{}')
expect "Stop as root" '^\(\)$' "$out"
wait_gone "$pid3" 5 && ok "ctd exited after root's Stop" || fail "ctd still running after root's Stop"

# A directly started ctd (our child): SIGTERM gives a clean exit 0 and a released name;
# sd_notify goes to a socket we listen on.
rm -f "$T/services/$NAME.service"
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null
# A configuration with a Sync section keeps ctd running past the idle timeout.
# (A real one: ctd starts the engine, with a UDP link on loopback in this namespace.)
printf 'General {\n}\nSync {\n\tMode FTFW {\n\t}\n\tUDP {\n\t\tIPv4_address 127.0.0.1\n\t\tIPv4_Destination_Address 127.0.0.2\n\t\tPort 3780\n\t}\n}\n' >"$T/sync.conf"
"$CTD" --config "$T/sync.conf" --idle-timeout 1 2>"$T/sync.log" &
CTD_PID=$!
sleep 2.5
kill -0 "$CTD_PID" 2>/dev/null && ok "no idle exit with a sync configuration" || fail "idle exit despite Sync ($(cat "$T/sync.log"))"
grep -q "sync engine: FTFW, 1 link" "$T/sync.log" && ok "the sync engine runs" || fail "no sync engine ($(cat "$T/sync.log"))"
kill -TERM "$CTD_PID"; wait "$CTD_PID"; CTD_PID=
python3 - "$T/notify.sock" >"$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", " "), flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
PY
NOTIFY_PID=$!
for _ in $(seq 100); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 "$CTD" --idle-timeout 0 2>"$T/direct.log" &
CTD_PID=$!
for _ in $(seq 100); do busctl status $NAME >/dev/null 2>&1 && break; sleep 0.05; done
busctl status $NAME >/dev/null 2>&1 && ok "direct start owns the name" || fail "direct start did not get the name"
sleep 0.5 # long enough for a watchdog ping at WATCHDOG_USEC/2
kill -TERM "$CTD_PID"
wait "$CTD_PID"; rc=$?
CTD_PID=
[ "$rc" = 0 ] && ok "SIGTERM: clean exit 0" || fail "SIGTERM: exit status $rc ($(cat "$T/direct.log"))"
wait "$NOTIFY_PID" 2>/dev/null
notes=$(cat "$T/notify.log")
expect "sd_notify READY=1" "READY=1" "$notes"
expect "sd_notify STATUS=" "STATUS=Serving" "$notes"
expect "sd_notify WATCHDOG=1 when WATCHDOG_USEC is set" "WATCHDOG=1" "$notes"
expect "sd_notify STOPPING=1" "STOPPING=1" "$notes"
busctl status $NAME >/dev/null 2>&1 && fail "name still owned after SIGTERM" || ok "name gone after SIGTERM"
finish
