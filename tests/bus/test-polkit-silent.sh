#!/bin/bash
# polkitd present but not answering (stopped with SIGSTOP): the call is denied with a clear
# message after ctd's 20 s polkit timeout, before the client's own 25 s timeout; other
# callers are not blocked meanwhile (the loop never waits for polkit).
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
start_bus
start_polkit
install_activation --idle-timeout 60

out=$(call "" org.freedesktop.DBus.Properties.Get org.netfilter.Conntrack1.Manager Version)
expect "service up" "^\(<'" "$out"
# SIGSTOP the polkitd process itself (the child of the unshare wrapper exec'd into it).
kill -STOP "$PK_PID"
start=$(date +%s%N)
as_nobody gdbus call --system --timeout 25 --dest $NAME --object-path $ROOT_PATH \
    --method org.netfilter.Conntrack1.Manager.Stop '{}' >"$T/silent.out" 2>&1 &
caller=$!
sleep 1
# While that call waits for polkit, root is served at once.
t0=$(date +%s%N)
out=$(call /Stats org.netfilter.Conntrack1.Stats.GetService)
t1=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "root served while polkit hangs" "'calls'" "$out"
[ "$t1" -lt 2000 ] && ok "...in ${t1} ms" || fail "root waited ${t1} ms"
wait "$caller"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
out=$(cat "$T/silent.out")
expect "silent polkit means denied" \
    "AccessDenied: Manager\.Stop requires polkit action org\.netfilter\.conntrack1\.control-sync: polkit did not answer within 20 s" "$out"
[ "$ms" -ge 19000 ] && [ "$ms" -lt 25000 ] && ok "denied after ${ms} ms (20 s timeout < client's 25 s)" ||
    fail "denial after ${ms} ms"
kill -CONT "$PK_PID"
pid=$(ctd_pid)
[ -n "$pid" ] && ok "ctd still running" || fail "ctd gone"
finish
