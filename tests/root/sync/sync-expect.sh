#!/bin/bash
# Expectation sync (Options { ExpectationSync on }): an FTP control connection with the ftp
# helper and its data expectation, made on A (ctd, through its bus), reach B's external
# expectation cache; after a commit (connections first, then expectations) B's kernel
# expects the same data connection.
#
#   sync-expect.sh [--impl-b I]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

impl_b=ctd
while (($#)); do
    case $1 in
    --impl-b) impl_b=$2; shift ;;
    *) ctt_die "unknown argument $1" ;;
    esac
    shift
done
sync_require_or_skip
sync_require_impl ctd "$impl_b"
export SYNC_OPTIONS=$'\t\tExpectationSync on'

pair_up
node_start a "$SYNC_NS_A" ctd ftfw udp
node_start b "$SYNC_NS_B" "$impl_b" ftfw udp
d=${SYNC_NODE_DIR[a]}
actl() {
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$SYNC_NS_A" \
        "$CTCTL" --no-ask-password --no-legend "$@"
}
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

node_cmd b -c >/dev/null || fail "commit on B"
kernel_has() { ip netns exec "$SYNC_NS_B" conntrack -L expect 2>/dev/null | grep -q "dport=50000"; }
wait_until 5 kernel_has || fail "B's kernel has no expectation after the commit"
ctt_log "B's kernel: $(ip netns exec "$SYNC_NS_B" conntrack -L expect 2>/dev/null | head -n 1)"
ctt_log "PASS"
