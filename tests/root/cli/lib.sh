# Shared by the tests in tests/root/cli (sourced): a throwaway network namespace with its own
# private system bus (dbus-daemon with a system-type config on a temp socket) that activates
# the built ctd inside the namespace, after tests/bus/lib.sh. cli_setup NS... creates the
# namespaces; the first one gets the bus. Everything is removed on exit, failed or not.
set -u
# shellcheck source=../../bus/bus-conf.sh
. "$CTD_SOURCE_ROOT/tests/bus/bus-conf.sh"
T=$(mktemp -d /tmp/ctd-cli.XXXXXX)
BUS_PID=
CLI_NAMESPACES=()

cli_cleanup() {
    local ns pid
    [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
    for ns in "${CLI_NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    done
    wait 2>/dev/null
    for ns in "${CLI_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$T"
}

# cli_setup BUS_NS [OTHER_NS...]
cli_setup() {
    local ns
    trap cli_cleanup EXIT
    trap 'exit 130' INT TERM
    for ns in "$@"; do
        ip netns add "$ns" || { echo "FAIL: cannot create namespace $ns"; exit 1; }
        CLI_NAMESPACES+=("$ns")
        ip -n "$ns" link set lo up
    done
    mkdir -p "$T/services" "$T/system.d" "$T/bin"
    cp "$CTD_SOURCE_ROOT/data/dbus-1/system.d/org.netfilter.Conntrack1.conf" "$T/system.d/"
    write_bus_conf "$T"
    ip netns exec "$1" dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile 2>"$T/bus.log" &
    BUS_PID=$!
    for _ in $(seq 200); do [ -S "$T/bus.sock" ] && break; sleep 0.05; done
    [ -S "$T/bus.sock" ] || { echo "FAIL: dbus-daemon did not start: $(cat "$T/bus.log")"; exit 1; }
    BUS="unix:path=$T/bus.sock"
    ln -s "$CTCTL" "$T/bin/conntrack"
    ln -s "$CTCTL" "$T/bin/ctctl"
}

# install_activation: bus activation of the built ctd through the private servicedir.
install_activation() {
    cat >"$T/services/org.netfilter.Conntrack1.service" <<SVC
[D-BUS Service]
Name=org.netfilter.Conntrack1
Exec=$CTD
User=root
SVC
    ip netns exec "${CLI_NAMESPACES[0]}" env DBUS_SYSTEM_BUS_ADDRESS="$BUS" busctl call \
        org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null 2>&1
}
