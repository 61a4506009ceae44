#!/bin/bash
# No polkitd on the bus: unprivileged callers are denied at once with a message that says
# polkit is missing (never a hang); root still works, since it never asks polkit.
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
start_bus
install_activation --idle-timeout 30

start=$(date +%s%N)
out=$(as_nobody gdbus call --system --timeout 25 --dest $NAME --object-path $ROOT_PATH/Stats \
      --method org.netfilter.Conntrack1.Stats.GetService 2>&1)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect "nobody denied without polkitd" \
    "AccessDenied: Stats\.GetService requires polkit action org\.netfilter\.conntrack1\.read-stats: polkit \(org\.freedesktop\.PolicyKit1\) is not available" "$out"
[ "$ms" -lt 5000 ] && ok "denied in ${ms} ms" || fail "denial took ${ms} ms"
out=$(as_nobody gdbus call --system --dest $NAME --object-path $ROOT_PATH \
      --method org.netfilter.Conntrack1.Manager.Stop '{}' 2>&1)
expect "Stop as nobody denied without polkitd" "AccessDenied: Manager\.Stop requires polkit action org\.netfilter\.conntrack1\.control-sync: polkit .* is not available" "$out"
out=$(call /Stats org.netfilter.Conntrack1.Stats.GetService)
expect "root needs no polkit" "'calls'" "$out"
pid=$(ctd_pid)
out=$(call "" org.netfilter.Conntrack1.Manager.Stop '{}')
expect "Stop as root without polkitd" '^\(\)$' "$out"
[ -n "$pid" ] && wait_gone "$pid" 5 && ok "ctd exited" || fail "ctd did not exit"
finish
