#!/bin/bash
# Expectation sync (Options { ExpectationSync on }): an FTP control connection with the ftp
# helper and its data expectation, made in A's kernel, reach B's external expectation cache;
# after a commit (connections first, then expectations) B's kernel expects the same data
# connection.
#
#   sync-expect.sh [--impl-a I] [--impl-b I]
#
# conntrack 1.4.7 cannot create an expectation on this kernel, so the entries are always
# made through ctd's bus (ctctl create / expect create): with --impl-a ctd by the node
# itself, with --impl-a conntrackd by a second, table-only ctd (no configuration) on a
# private bus in A's namespace, whose creations conntrackd sees as kernel events. B's
# commit is `-c ct`, then `-c expect` (through the drop-in when B is ctd).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sync_impl_args "$@"
sync_require_or_skip
sync_require_impl ctd "$impl_a" "$impl_b"
export SYNC_OPTIONS=$'\t\tExpectationSync on'

pair_up
node_start a "$SYNC_NS_A" "$impl_a" ftfw udp
node_start b "$SYNC_NS_B" "$impl_b" ftfw udp
d=${SYNC_NODE_DIR[a]}
if [[ $impl_a != ctd ]]; then
    # The maker: ctd without a configuration (table only) on its own bus in A's namespace.
    d=$CTT_TMPDIR/maker
    mkdir -p "$d/services" "$d/system.d"
    cp "$SYNC_LIB_DIR/../../../data/dbus-1/system.d/org.netfilter.Conntrack1.conf" "$d/system.d/"
    write_bus_conf "$d"
    spawn_bg nsenter --net="/run/netns/$SYNC_NS_A" dbus-daemon --config-file="$d/bus.conf" --nofork \
        --nopidfile >"$d/bus.log" 2>&1
    wait_until 4 test -S "$d/bus.sock" || fail "maker's dbus-daemon did not start: $(cat "$d/bus.log")"
    spawn_bg env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$SYNC_NS_A" \
        "$CTD" --idle-timeout 0 >"$d/ctd.log" 2>&1
fi
actl() {
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$SYNC_NS_A" \
        "$CTCTL" --no-ask-password --no-legend "$@"
}
if [[ $impl_a != ctd ]]; then
    wait_until 5 actl status >/dev/null 2>&1 || fail "the maker ctd does not answer: $(cat "$d/ctd.log")"
fi
actl create --src 198.18.0.70 --dst 198.18.1.70 --protocol tcp --sport 40000 --dport 21 \
    --timeout 300 --state ESTABLISHED --status ASSURED --helper ftp >/dev/null ||
    fail "master connection on A"
actl expect create --master-src 198.18.0.70 --master-dst 198.18.1.70 --master-protocol tcp \
    --master-sport 40000 --master-dport 21 --src 198.18.1.70 --dst 198.18.0.70 --protocol tcp \
    --sport 0 --dport 50000 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 \
    --mask-sport 0 --mask-dport 65535 --timeout 200 --helper ftp >/dev/null ||
    fail "expectation on A"
ip netns exec "$SYNC_NS_A" conntrack -L expect 2>/dev/null | grep -q "dport=50000" ||
    fail "A's kernel has no expectation"

has_expectation() { node_cmd b -e expect 2>/dev/null | grep -q "dport=50000"; }
wait_until 5 has_expectation || fail "B's external cache has no expectation: $(node_cmd b -e expect 2>&1)"
ctt_log "expectation in B's external cache: $(node_cmd b -e expect | head -n 1)"

master_in_b() { ip netns exec "$SYNC_NS_B" conntrack -L 2>/dev/null | grep -q "sport=40000 dport=21"; }
master_in_b && fail "B's kernel has the master before the commit"
node_cmd b -c ct >/dev/null || fail "commit (ct) on B"
wait_until 5 master_in_b || fail "B's kernel has no master connection after -c ct"
ip netns exec "$SYNC_NS_B" conntrack -L expect 2>/dev/null | grep -q "dport=50000" &&
    fail "-c ct committed the expectation too"
node_cmd b -c expect >/dev/null || fail "commit (expect) on B"
kernel_has() { ip netns exec "$SYNC_NS_B" conntrack -L expect 2>/dev/null | grep -q "dport=50000"; }
wait_until 5 kernel_has || fail "B's kernel has no expectation after the commit"
ctt_log "B's kernel: $(ip netns exec "$SYNC_NS_B" conntrack -L expect 2>/dev/null | head -n 1)"
ctt_log "PASS"
