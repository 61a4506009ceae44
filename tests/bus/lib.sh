# Shared harness of the bus suite (sourced). A private system bus (dbus-daemon with a
# system-type config on a temp socket), optionally a real polkitd reading the project's
# policy and the test's JS rules through a private mount namespace, ctd started by bus
# activation from the build tree. After the recipe in the design notes
# (shared/design/recipes/private-system-bus.sh), kept here so the suite stands alone.
#
# Every script: `. lib.sh; bus_setup "$@"` first. It skips (77) without root or tools,
# re-executes the script inside a fresh network namespace, and arranges that everything it
# starts is killed on exit, failed or not.

set -u
: "${CTD:?CTD must point at the built ctd}"
: "${CTD_SOURCE_ROOT:?CTD_SOURCE_ROOT must point at the source tree}"
NAME=org.netfilter.Conntrack1
ROOT_PATH=/org/netfilter/Conntrack1
POLKITD=/usr/lib/polkit-1/polkitd
# shellcheck source=bus-conf.sh
. "$CTD_SOURCE_ROOT/tests/bus/bus-conf.sh"
FAILURES=0
BUS_PID= PK_PID= T=

skip() { echo "SKIP: $*"; exit 77; }

bus_setup() {
    [ "$(id -u)" = 0 ] || skip "needs root"
    for tool in dbus-daemon gdbus busctl setpriv unshare python3; do
        command -v "$tool" >/dev/null || skip "$tool missing"
    done
    [ -x "$POLKITD" ] || skip "polkitd missing"
    [ -x "$CTD" ] || { echo "FAIL: $CTD not built"; exit 1; }
    if [ -z "${CTD_BUS_NETNS:-}" ]; then
        # A bus-activated ctd inherits dbus-daemon's namespace: a throwaway one keeps any
        # table operation away from the host.
        CTD_BUS_NETNS=1 exec unshare --net -- "$0" "$@"
    fi
    T=$(mktemp -d /tmp/ctd-bus.XXXXXX)
    chmod 755 "$T" # polkitd drops to user polkitd and must traverse it
    mkdir -p "$T/system.d" "$T/services" "$T/empty" "$T/actions" "$T/rules"
    cp "$CTD_SOURCE_ROOT/data/polkit/org.netfilter.conntrack1.policy" "$T/actions/"
    cp "$CTD_SOURCE_ROOT/data/dbus-1/system.d/org.netfilter.Conntrack1.conf" "$T/system.d/"
    chmod -R a+rX "$T"
    trap bus_cleanup EXIT
    trap 'exit 130' INT TERM
}

ctd_pid() { busctl status "$NAME" 2>/dev/null | sed -n 's/^PID=//p'; }

bus_cleanup() {
    local pid
    pid=$(ctd_pid)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "${CTD_PID:-}" ] && kill "$CTD_PID" 2>/dev/null
    [ -n "$PK_PID" ] && kill -CONT "$PK_PID" 2>/dev/null && kill "$PK_PID" 2>/dev/null
    [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
    # Whatever else the test left in the background (clients, fifo readers): our own jobs.
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    if [ "$FAILURES" != 0 ] && [ -n "$T" ]; then
        echo "--- bus.log"; cat "$T/bus.log" 2>/dev/null
        echo "--- polkitd.log"; cat "$T/polkitd.log" 2>/dev/null
    fi
    [ -n "$T" ] && rm -rf "$T"
}

start_bus() {
    write_bus_conf "$T"
    dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile 2>"$T/bus.log" &
    BUS_PID=$!
    for _ in $(seq 200); do [ -S "$T/bus.sock" ] && break; sleep 0.05; done
    [ -S "$T/bus.sock" ] || { echo "FAIL: dbus-daemon did not start: $(cat "$T/bus.log")"; exit 1; }
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus.sock"
}

# start_polkit [RULES_FILE...]: polkitd with the project's policy and these JS rules.
start_polkit() {
    for rules in "$@"; do cp "$rules" "$T/rules/"; done
    chmod -R a+rX "$T/rules"
    unshare --mount --propagation private sh -c "
      mount --bind '$T/actions' /usr/share/polkit-1/actions &&
      mount --bind '$T/rules' /etc/polkit-1/rules.d &&
      mount --bind '$T/empty' /usr/share/polkit-1/rules.d &&
      exec $POLKITD --no-debug" >"$T/polkitd.log" 2>&1 &
    PK_PID=$!
    for _ in $(seq 200); do busctl status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && break; sleep 0.05; done
    busctl status org.freedesktop.PolicyKit1 >/dev/null 2>&1 ||
        { echo "FAIL: polkitd did not start: $(cat "$T/polkitd.log")"; exit 1; }
}

# install_activation [CTD ARGS...]: bus activation of the built ctd through our servicedir.
install_activation() {
    cat >"$T/services/$NAME.service" <<SVC
[D-BUS Service]
Name=$NAME
Exec=${CTD_EXEC:-$CTD} $*
User=root
SVC
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null
}

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_daemon() { setpriv --reuid=1 --regid=1 --clear-groups "$@"; }

# call [--timeout N] OBJECT_SUFFIX METHOD ARGS...: gdbus prints "Error: GDBus.Error:NAME: MSG"
# on failure, which keeps the error name and message that busctl would hide.
call() {
    local timeout=25
    if [ "$1" = --timeout ]; then timeout=$2; shift 2; fi
    local path=$ROOT_PATH$1 method=$2; shift 2
    gdbus call --system --timeout "$timeout" --dest "$NAME" --object-path "$path" \
        --method "$method" "$@" 2>&1
}

ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; FAILURES=$((FAILURES + 1)); }

# expect DESCRIPTION PATTERN OUTPUT: OUTPUT must contain PATTERN (grep -E).
expect() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else fail "$1: wanted /$2/, got: $3"; fi
}

wait_gone() { # PID SECONDS
    local i
    [ -n "$1" ] || return 1
    for i in $(seq $(($2 * 20))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
    return 1
}

finish() {
    if [ "$FAILURES" = 0 ]; then echo "all passed"; exit 0; fi
    echo "$FAILURES failed"; exit 1
}
