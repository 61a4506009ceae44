#!/bin/bash
# The sync engine's bus face on a live ctd node: Caches and Links/<n> introspect exactly as
# interfaces/*.xml say; bad arguments are refused with InvalidArgument naming what is wrong
# and change nothing; properties and statistics answer.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sync_require_or_skip
sync_require_impl ctd

pair_up
node_start a "$SYNC_NS_A" ctd ftfw udp
node_start b "$SYNC_NS_B" conntrackd ftfw udp
make_entries "$SYNC_NS_A"
d=${SYNC_NODE_DIR[a]}
here=$SYNC_LIB_DIR/../../bus
bc() { env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$SYNC_NS_A" busctl "$@"; }
CACHES=(org.netfilter.Conntrack1 /org/netfilter/Conntrack1/Caches org.netfilter.Conntrack1.Caches)

for pair in "Caches:/org/netfilter/Conntrack1/Caches" "Link:/org/netfilter/Conntrack1/Links/0"; do
    iface=${pair%%:*} path=${pair#*:}
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$SYNC_NS_A" \
        gdbus introspect --system --dest org.netfilter.Conntrack1 --object-path "$path" --xml >"$d/$iface.xml"
    python3 "$here/compare_introspection.py" "$SYNC_LIB_DIR/../../../interfaces/org.netfilter.Conntrack1.$iface.xml" \
        "$d/$iface.xml" || fail "$path differs from interfaces/org.netfilter.Conntrack1.$iface.xml"
    ctt_log "$path matches its XML"
done

refused() { # WHAT EXPECTED-TEXT busctl-args...
    local what=$1 want=$2 out
    shift 2
    if out=$(bc call "$@" 2>&1); then fail "$what was accepted: $out"; fi
    grep -q "InvalidArgument\|Invalid argument\|$want" <<<"$out" && grep -q -- "$want" <<<"$out" ||
        fail "$what: wanted InvalidArgument naming '$want', got: $out"
    ctt_log "refused: $what ($out)"
}
before=$(bc get-property "${CACHES[@]}" InternalCount)
refused "Flush of an unknown cache" "bogus" "${CACHES[@]}" Flush sa{sv} bogus 0
refused "Flush with an unknown option" "nonsense" "${CACHES[@]}" Flush sa{sv} internal 1 nonsense b true
refused "Commit of the internal cache" "external" "${CACHES[@]}" Commit sa{sv} internal 0
# busctl cannot pass a file descriptor: python-dbus can.
dump_bad_format=$(env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$SYNC_NS_A" \
    "$CTT_PYTHON" - <<'PY' 2>&1 || true
import os, dbus
bus = dbus.SystemBus()
caches = dbus.Interface(bus.get_object("org.netfilter.Conntrack1", "/org/netfilter/Conntrack1/Caches"),
                        "org.netfilter.Conntrack1.Caches")
r, w = os.pipe()
try:
    caches.Dump("internal", "frobnicate", dbus.types.UnixFd(w), dbus.Dictionary({}, signature="sv"))
    print("accepted")
except dbus.DBusException as e:
    print(e.get_dbus_name(), e.get_dbus_message())
PY
)
grep -q "InvalidArgument.*frobnicate" <<<"$dump_bad_format" ||
    fail "Dump with an unknown format: $dump_bad_format"
ctt_log "refused: Dump with an unknown format ($dump_bad_format)"
refused "GetStatistics of an unknown category" "general" "${CACHES[@]}" GetStatistics s general
refused "SetRole to an unknown role" "master" "${CACHES[@]}" SetRole sa{sv} master 0
after=$(bc get-property "${CACHES[@]}" InternalCount)
[[ $before == "$after" ]] || fail "a refused call changed the internal cache ($before -> $after)"

[[ $(bc get-property "${CACHES[@]}" Mode) == 's "FTFW"' ]] || fail "Mode: $(bc get-property "${CACHES[@]}" Mode)"
[[ $after == "t $SYNC_ENTRY_COUNT" ]] || fail "InternalCount $after, wanted $SYNC_ENTRY_COUNT"
bc get-property org.netfilter.Conntrack1 /org/netfilter/Conntrack1/Links/0 org.netfilter.Conntrack1.Link Active |
    grep -q true || fail "Links/0 is not active"
bc call "${CACHES[@]}" GetStatistics s network | grep -q '"seq.lost"' || fail "no seq.lost in network statistics"
out=$(bc call "${CACHES[@]}" SetRole sa{sv} backup 0) || fail "SetRole backup: $out"
[[ $(bc get-property "${CACHES[@]}" Role) == 's "backup"' ]] || fail "Role after SetRole backup"
ctt_log "PASS"
