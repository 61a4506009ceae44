# shellcheck shell=bash
# Shared setup of the bus tests that run the real ctd over a real table (sourced after
# lib.sh). table_setup re-executes the script inside a named throwaway network namespace
# (tests/root/lib.sh's make_netns, so tests/root/fill-namespace.sh and `ip netns exec`
# reach it) under tests/root/lib.sh's private connlabel.conf overlay, so conntrack,
# ctdump and ctd all print the same label names. Everything is removed on exit.
: "${CTDUMP:?CTDUMP must point at the built ctdump}"
ROOT_TESTS=$CTD_SOURCE_ROOT/tests/root
CTCOMPARE=$ROOT_TESTS/ctcompare.py
TABLE=org.netfilter.Conntrack1.Table

table_setup() {
    [ "$(id -u)" = 0 ] || skip "needs root"
    for tool in conntrack nft ip dbus-daemon gdbus busctl setpriv unshare python3; do
        command -v "$tool" >/dev/null || skip "$tool missing"
    done
    if [ -z "${CTD_TABLE_NS:-}" ]; then
        # shellcheck source=../root/lib.sh
        . "$ROOT_TESTS/lib.sh"
        local ns rc=0
        make_netns ctdbus ns
        ctt_label_map_file
        # nsenter, not ip netns exec: that remounts /sys without the cgroup fs, and sd-bus
        # (busctl status) then fails with ENOMEDIUM.
        with_label_map nsenter --net=/run/netns/"$ns" env CTD_TABLE_NS="$ns" CTD_BUS_NETNS=1 \
            CTT_LABEL_MAP_FILE="$CTT_LABEL_MAP_FILE" "$0" "$@" || rc=$?
        cleanup_all
        exit "$rc"
    fi
    NS=$CTD_TABLE_NS
    bus_setup "$@"
    # shellcheck source=../root/lib.sh
    . "$ROOT_TESTS/lib.sh"
    trap 'bus_cleanup; cleanup_all' EXIT
    trap 'exit 130' INT TERM
    ip link set lo up
}

bc() { "$BUS_CLIENT" --timeout 120 "$@" 2>&1; }
# tcall METHOD ARGS... with the method's fd 3 going to FILE: tcall_to FILE METHOD ARGS...
tcall_to() {
    local file=$1
    shift
    bc $ROOT_PATH/Table $TABLE "$@" 3> >(cat >"$file")
}
# After a call whose fd 3 went through a process substitution: give cat time to finish.
settle() { sleep 0.3; }

# compare LABEL REFERENCE OURS: ctcompare (sorted, timeouts +-1) with a diff on failure.
compare() {
    local diff
    if diff=$(python3 "$CTCOMPARE" --label "$1" "$2" "$3"); then
        ok "$1"
    else
        fail "$1: $(printf '%s\n' "$diff" | head -20)"
    fi
}
