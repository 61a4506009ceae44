#!/bin/bash
# conntrackd's Stats mode: ctd and conntrackd 1.4.7 in the same namespace, each with a
# Stats configuration, log the same destroyed flows; the lines must be equal (date cut off).
# `conntrackd -s` (every category) through the drop-in must print what conntrackd 1.4.7
# prints, on stdout and stderr, with its exit status: after start-up (an entry that was
# there before, so the first dump counts), after new entries, updates and real traffic
# (nft tracks the loopback), and after the flush (destroyed, traffic processed).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sync_require_or_skip
sync_require_impl ctd

pair_up
ns=$SYNC_NS_A
d=$CTT_TMPDIR/stats
mkdir -p "$d/services" "$d/system.d"
ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_acct=1
# There before either daemon: their first dump of the table counts it. (Made before any
# event listener, it has no event cache: its destroy raises no event, for either.)
sync_ci "$ns" -p udp -s 198.51.100.1 -d 198.51.100.2 --sport 7 --dport 7 -t 300
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

mkdir -p "$d/bin"
ln -sf "$CTCTL" "$d/bin/conntrackd"
# stdout, stderr and exit status of one `conntrackd -C CONF ARGS` per implementation;
# masked: dlog()'s date and pid, the uptime.
stats_run() { # IMPL ARGS...
    local impl=$1 out rc=0
    shift
    out=$d/s.$impl
    if [[ $impl == cd ]]; then
        ip netns exec "$ns" conntrackd -C "$d/cd.conf" "$@" >"$out.out" 2>"$out.err" || rc=$?
    else
        env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" CTCTL_NO_ASK_PASSWORD=1 \
            nsenter --net="/run/netns/$ns" "$d/bin/conntrackd" -C "$d/ctd.conf" "$@" >"$out.out" 2>"$out.err" || rc=$?
    fi
    echo "exit $rc" >>"$out.err"
    sed -E -i -e 's/^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}\] \(pid=[0-9]+\)/[DATE] (pid=P)/' "$out.err"
    sed -E -i -e 's/^daemon uptime: .*/daemon uptime: U/' "$out.out"
    cat "$out.out" "$out.err"
}
STATS_ARGS=("-s" "-s ct" "-s cache" "-s runtime" "-s network" "-s link" "-s multicast" "-s rsqueue"
            "-s queue" "-s expect" "-s process" "-s foo")
stats_same() {
    local a
    for a in "${STATS_ARGS[@]}"; do
        # shellcheck disable=SC2086
        [[ "$(stats_run cd $a)" == "$(stats_run ctd $a)" ]] || return 1
    done
}
# WHEN: compared until equal for 5 s (both count the same events, each at its own pace).
stats_compare() { # WHEN
    local a
    wait_until 5 stats_same && { ctt_log "conntrackd -s alike $1"; return 0; }
    for a in "${STATS_ARGS[@]}"; do
        # shellcheck disable=SC2086
        diff -u <(stats_run cd $a) <(stats_run ctd $a) | sed "s/^/conntrackd $a: /" >&2
    done
    fail "conntrackd -s differs $1"
}
stats_compare "after start-up"
[[ "$(stats_run ctd -s)" == *"current active connections:"*" 1"* ]] ||
    fail "ctd's -s does not count the entry that was there before: $(stats_run ctd -s)"

make_entries "$ns"
n=$SYNC_ENTRY_COUNT
# Updates (a new mark on the IPv4 TCP entries) and a flow with real counters: nft's ct
# rule makes the namespace track its loopback traffic.
ip netns exec "$ns" conntrack -U -f ipv4 -p tcp -m 7 >/dev/null 2>&1 || fail "conntrack -U"
ip netns exec "$ns" nft -f - <<'NFT'
table inet ctd_stats_test {
	chain input { type filter hook input priority 0; ct state new counter; }
}
NFT
ip netns exec "$ns" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"x" * 100, ("127.0.0.1", 9))
'
n=$((n + 1))
stats_compare "after entries, updates and traffic"
ip netns exec "$ns" conntrack -F >/dev/null 2>&1
lines_done() { (($(wc -l <"$d/ctd-flows.log") >= n && $(wc -l <"$d/cd-flows.log") >= n)); }
wait_until 5 lines_done || fail "flow logs: ctd $(wc -l <"$d/ctd-flows.log"), conntrackd $(wc -l <"$d/cd-flows.log") of $n"
cut -f2- "$d/cd-flows.log" | sort >"$d/cd.txt"
cut -f2- "$d/ctd-flows.log" | sort >"$d/ctd.txt"
diff -u "$d/cd.txt" "$d/ctd.txt" >&2 || fail "the flow lines differ"
grep -qE '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}	' "$d/ctd-flows.log" ||
    fail "date prefix: $(head -n 1 "$d/ctd-flows.log")"
stats_compare "after the flush"
[[ "$(stats_run ctd -s)" != *"                   0 Bytes"* ]] || fail "no traffic counted: $(stats_run ctd -s)"
sleep 1.5
kill -0 "$ctd_pid" || fail "ctd left on idle in Stats mode"
ctt_log "$n destroyed flows logged alike by ctd and conntrackd 1.4.7, -s alike"
ctt_log "PASS"
