#!/bin/bash
# conntrackd's Stats mode: ctd and conntrackd 1.4.7 in the same namespace, each with a
# Stats configuration, log the same destroyed flows; the lines must be equal (date cut off).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sync_require_or_skip
sync_require_impl ctd

pair_up
ns=$SYNC_NS_A
d=$CTT_TMPDIR/stats
mkdir -p "$d/services" "$d/system.d"
ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1
stats_conf() { # NAME LOGFILE
    cat <<CONF
Stats {
	LogFile $2
	Syslog off
}
General {
	Systemd no
	HashSize 8192
	HashLimit 65535
	LogFile $d/$1.daemon.log
	LockFile $d/$1.lock
	UNIX { Path $d/$1.ctl }
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
}
CONF
}
stats_conf cd "$d/cd-flows.log" >"$d/cd.conf"
stats_conf ctd "$d/ctd-flows.log" >"$d/ctd.conf"
"$CTD" --config "$d/ctd.conf" --check >/dev/null || fail "ctd --check refuses the Stats configuration"

cp "$SYNC_LIB_DIR/../../../data/dbus-1/system.d/org.netfilter.Conntrack1.conf" "$d/system.d/"
write_bus_conf "$d"
spawn_bg nsenter --net="/run/netns/$ns" dbus-daemon --config-file="$d/bus.conf" --nofork --nopidfile
for _ in $(seq 200); do [[ -S "$d/bus.sock" ]] && break; sleep 0.02; done
spawn_bg env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$ns" \
    "$CTD" --config "$d/ctd.conf" --idle-timeout 1 >"$d/ctd.log" 2>&1
ctd_pid=$CTT_LAST_PID
spawn_bg ip netns exec "$ns" conntrackd -C "$d/cd.conf"
wait_until 5 grep -q "Stats mode" "$d/ctd.log" || fail "ctd did not start in Stats mode: $(cat "$d/ctd.log")"
sleep 0.5

make_entries "$ns"
n=$SYNC_ENTRY_COUNT
ip netns exec "$ns" conntrack -F >/dev/null 2>&1
lines_done() { (($(wc -l <"$d/ctd-flows.log") >= n && $(wc -l <"$d/cd-flows.log") >= n)); }
wait_until 5 lines_done || fail "flow logs: ctd $(wc -l <"$d/ctd-flows.log"), conntrackd $(wc -l <"$d/cd-flows.log") of $n"
cut -f2- "$d/cd-flows.log" | sort >"$d/cd.txt"
cut -f2- "$d/ctd-flows.log" | sort >"$d/ctd.txt"
diff -u "$d/cd.txt" "$d/ctd.txt" >&2 || fail "the flow lines differ"
grep -qE '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}	' "$d/ctd-flows.log" ||
    fail "date prefix: $(head -n 1 "$d/ctd-flows.log")"
sleep 1.5
kill -0 "$ctd_pid" || fail "ctd left on idle in Stats mode"
ctt_log "$n destroyed flows logged alike by ctd and conntrackd 1.4.7"
ctt_log "PASS"
