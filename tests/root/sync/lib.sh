# shellcheck shell=bash
# Two-node sync test harness (tests/root/sync). Source this file; do not execute it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   sync_require_or_skip                   # root + conntrack conntrackd ip nft python3, else 77
#   pair_up                                # SYNC_NS_A / SYNC_NS_B joined by veth va <-> vb
#   node_start a "$SYNC_NS_A" conntrackd ftfw udp
#   node_start b "$SYNC_NS_B" conntrackd ftfw udp
#   make_entries "$SYNC_NS_A"
#   wait_external_count b "$(ct_count "$SYNC_NS_A")" 5
#   node_cmd b -c                          # commit B's external cache to B's kernel table
#   compare_tables "$SYNC_NS_A" "$SYNC_NS_B"
#
# Functions (all to be called in the main shell, not in $(...), where noted):
#   sync_require_or_skip                   exit 77 unless root and the tools are there
#   sync_require_impl IMPL...              exit 77 if an implementation cannot run (ctd
#                                          before CTD_SYNC_ENABLED=1)
#   sync_impl_args ARGS...                 main shell; a script's only options
#                                          --impl-a I / --impl-b I into impl_a / impl_b
#                                          (default ctd), anything else dies
#   pair_up                                main shell; two namespaces (names pid-suffixed,
#                                          in SYNC_NS_A, SYNC_NS_B), veth va (A) <-> vb (B),
#                                          192.0.2.1/24 + 2001:db8::1/64 on A, .2 and ::2 on
#                                          B (nodad), multicast route 224.0.0.0/4 on the veth
#   inject_loss NS PCT PORT                drop PCT % of UDP datagrams to PORT arriving in NS
#                                          (nft numgen, counted); clear_loss NS; loss_dropped NS
#   link_down NS IF / link_up NS IF        take the sync link down / up
#   node_start NAME NS IMPL MODE CHANNEL   main shell; IMPL conntrackd|ctd, MODE ftfw|notrack|
#                                          alarm, CHANNEL udp|udp6|mcast|tcp; waits until the
#                                          node answers on its control socket
#   node_cmd NAME ARGS...                  conntrackd -C CONF ARGS in the node's namespace
#                                          (-c, -f, -e, -i, -n, -B, -s ...) or ctd's equivalent
#   node_stop NAME                         SIGTERM, wait, forget the pid
#   node_external NAME / node_internal NAME  the cache printout ("[active since]" dropped)
#   node_external_count NAME / node_internal_count NAME
#   wait_external_count NAME N TIMEOUT_S   poll until the external cache holds >= N entries;
#                                          1 on timeout; last count in SYNC_LAST_COUNT
#   check_external_matches NAME NS [--subset]  NAME's external cache vs NS's kernel table
#                                          (orig tuple, state, flags, mark, zone): diff and 1
#                                          on mismatch; --subset: no entry NS lacks
#   make_entries NS                        the fixed rich entry set (what survives: README.md)
#   make_bulk_entries NS COUNT [FIRST]     COUNT UDP entries via one `conntrack -R` file
#   compare_tables NS_A NS_B [ARGS...]     kernel tables equal (timeouts within 2 s); ARGS go
#                                          to sync_tables.py compare (--ignore mark, ...)
#   wait_tables_equal NS_A NS_B TIMEOUT_S  compare_tables until equal; diff on timeout
#   node_log NAME                          path of the node's log (printed on failure)
# Per-node state: SYNC_NODE_{NS,IMPL,MODE,CHANNEL,DIR,CONF,PID,IF,ADDR,PEER,ADDR6,PEER6}[NAME].
# Knobs (environment, read by node_start): SYNC_PORT (3780), SYNC_MCAST_GROUP (225.0.0.50),
# SYNC_MCAST_PORT (3780), SYNC_SOCKET_BUFFER (1249280), SYNC_MODE_OPTIONS,
# SYNC_GENERAL_OPTIONS and SYNC_OPTIONS (extra config lines for the Mode / General / Sync
# Options sections), SYNC_FILTER_FROM (Userspace; Kernelspace: the Filter as a BPF program
# on the event socket, which a ctd node must report attached in its log).
#
# Cleanup: lib.sh of tests/root is sourced: its trap (EXIT INT TERM) kills every daemon
# started here (by saved pid, never by name: other tests may run conntrackd at the same
# time), deletes the namespaces and the temp dir, on success, failure and Ctrl-C alike.

if [[ -n "${SYNC_LIB_SOURCED:-}" ]]; then
    return 0
fi
SYNC_LIB_SOURCED=1

SYNC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$SYNC_LIB_DIR/../lib.sh"
# shellcheck source=../../bus/bus-conf.sh
. "$SYNC_LIB_DIR/../../bus/bus-conf.sh"

SYNC_PORT=${SYNC_PORT:-3780}
SYNC_MCAST_GROUP=${SYNC_MCAST_GROUP:-225.0.0.50}
SYNC_MCAST_PORT=${SYNC_MCAST_PORT:-3780}
SYNC_SOCKET_BUFFER=${SYNC_SOCKET_BUFFER:-1249280}
SYNC_TABLES="$SYNC_LIB_DIR/sync_tables.py"

declare -gA SYNC_NODE_NS SYNC_NODE_IMPL SYNC_NODE_MODE SYNC_NODE_CHANNEL SYNC_NODE_DIR \
    SYNC_NODE_CONF SYNC_NODE_PID SYNC_NODE_IF SYNC_NODE_ADDR SYNC_NODE_PEER SYNC_NODE_ADDR6 \
    SYNC_NODE_PEER6 SYNC_NODE_STARTUP
SYNC_NS_A=""
SYNC_NS_B=""
SYNC_LAST_COUNT=0

sync_require_or_skip() {
    require_root_or_skip conntrack conntrackd ip nft "$CTT_PYTHON" setsid
}

# sync_impl_args "$@": for scripts whose only options name the two implementations.
# shellcheck disable=SC2034 # impl_a, impl_b: read by the test scripts
sync_impl_args() {
    impl_a=ctd impl_b=ctd
    while (($#)); do
        case $1 in
        --impl-a) impl_a=$2; shift ;;
        --impl-b) impl_b=$2; shift ;;
        *) ctt_die "unknown argument $1" ;;
        esac
        shift
    done
}

# sync_require_impl IMPL...: exit 77 early (before any namespace is made) when an
# implementation cannot run here.
sync_require_impl() {
    local impl
    for impl in "$@"; do
        case $impl in
        conntrackd) ;;
        ctd) ctd_available ;;
        *) ctt_die "unknown implementation $impl (conntrackd or ctd)" ;;
        esac
    done
}

# sync_now: wall-clock seconds with milliseconds, for the measurements in the logs.
sync_now() { date +%s.%N | cut -c1-14; }
sync_elapsed() { awk -v a="$1" -v b="$(sync_now)" 'BEGIN { printf "%.2f", b - a }'; }

# --- topology --------------------------------------------------------------------------

sync_link_ready() {
    ip -n "$1" -o link show "$2" | grep -q 'state UP' &&
        ! ip -n "$1" -o addr show dev "$2" | grep -q tentative
}

# pair_up: namespaces ctsa-<pid>-<n> and ctsb-<pid>-<n>. The veth is created with both ends
# directly in their namespaces (IFLA_NET_NS_FD), so the fixed names va/vb never clash with
# another test's devices in the initial namespace.
pair_up() {
    make_netns ctsa SYNC_NS_A
    make_netns ctsb SYNC_NS_B
    ip link add va netns "$SYNC_NS_A" type veth peer name vb netns "$SYNC_NS_B"
    ip -n "$SYNC_NS_A" addr add 192.0.2.1/24 dev va
    ip -n "$SYNC_NS_B" addr add 192.0.2.2/24 dev vb
    # nodad: DAD would keep the addresses tentative (unbindable) for ~1 s.
    ip -n "$SYNC_NS_A" addr add 2001:db8::1/64 dev va nodad
    ip -n "$SYNC_NS_B" addr add 2001:db8::2/64 dev vb nodad
    ip -n "$SYNC_NS_A" link set va up
    ip -n "$SYNC_NS_B" link set vb up
    # Without a default route a multicast send fails with ENETUNREACH unless the socket has
    # IP_MULTICAST_IF; conntrackd sets it, the route makes other senders (ctd, tools) work.
    ip -n "$SYNC_NS_A" route add 224.0.0.0/4 dev va
    ip -n "$SYNC_NS_B" route add 224.0.0.0/4 dev vb
    wait_until 5 sync_link_ready "$SYNC_NS_A" va || ctt_die "veth va did not come up"
    wait_until 5 sync_link_ready "$SYNC_NS_B" vb || ctt_die "veth vb did not come up"
}

# inject_loss NS PCT PORT: drop PCT % of the UDP datagrams to PORT that arrive in NS.
# numgen random is per packet, so loss is independent (no bursts), as with netem's loss.
# pair_up_second: a second veth pair vc (A) <-> vd (B) on 198.51.100.0/24, for redundant
# links (channel udp2).
pair_up_second() {
    ip link add vc netns "$SYNC_NS_A" type veth peer name vd netns "$SYNC_NS_B"
    ip -n "$SYNC_NS_A" addr add 198.51.100.1/24 dev vc
    ip -n "$SYNC_NS_B" addr add 198.51.100.2/24 dev vd
    ip -n "$SYNC_NS_A" link set vc up
    ip -n "$SYNC_NS_B" link set vd up
    local i
    for i in $(seq 100); do
        sync_link_ready "$SYNC_NS_A" vc && sync_link_ready "$SYNC_NS_B" vd && return 0
        sleep 0.05
    done
    ctt_die "second link did not come up"
}

inject_loss() {
    local ns=$1 pct=$2 port=$3
    [[ "$pct" =~ ^[0-9]+$ && pct -le 100 ]] || ctt_die "inject_loss: bad percentage $pct"
    ip netns exec "$ns" nft -f - <<EOF
table inet ctsync_loss {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport $port numgen random mod 100 < $pct counter drop
	}
}
EOF
}
clear_loss() { ip netns exec "$1" nft delete table inet ctsync_loss 2>/dev/null || true; }
# loss_dropped NS: packets dropped so far by inject_loss's rule.
loss_dropped() {
    ip netns exec "$1" nft list table inet ctsync_loss 2>/dev/null |
        sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -n1
}

link_down() { ip -n "$1" link set "$2" down; }
link_up() {
    ip -n "$1" link set "$2" up
    wait_until 5 sync_link_ready "$1" "$2" || ctt_die "$2 in $1 did not come up"
}

# --- nodes -----------------------------------------------------------------------------

# node_start NAME NS IMPL MODE CHANNEL
node_start() {
    local name=$1 ns=$2 impl=$3 mode=$4 channel=$5
    [[ $# -eq 5 ]] || ctt_die "usage: node_start NAME NS IMPL MODE CHANNEL"
    [[ "$name" =~ ^[a-zA-Z0-9_]+$ ]] || ctt_die "node_start: bad node name '$name'"
    [[ -z "${SYNC_NODE_NS[$name]:-}" ]] || ctt_die "node_start: node $name exists"
    case $mode in ftfw | notrack | alarm) ;; *) ctt_die "node_start: mode $mode?" ;; esac
    case $channel in udp | udp2 | udp6 | mcast | tcp) ;; *) ctt_die "node_start: channel $channel?" ;; esac
    case $ns in
    "$SYNC_NS_A")
        SYNC_NODE_IF[$name]=va SYNC_NODE_ADDR[$name]=192.0.2.1 SYNC_NODE_PEER[$name]=192.0.2.2
        SYNC_NODE_ADDR6[$name]=2001:db8::1 SYNC_NODE_PEER6[$name]=2001:db8::2
        ;;
    "$SYNC_NS_B")
        SYNC_NODE_IF[$name]=vb SYNC_NODE_ADDR[$name]=192.0.2.2 SYNC_NODE_PEER[$name]=192.0.2.1
        SYNC_NODE_ADDR6[$name]=2001:db8::2 SYNC_NODE_PEER6[$name]=2001:db8::1
        ;;
    *) ctt_die "node_start: $ns is not a namespace made by pair_up" ;;
    esac
    ctt_init_tmpdir
    SYNC_NODE_NS[$name]=$ns
    SYNC_NODE_IMPL[$name]=$impl
    SYNC_NODE_MODE[$name]=$mode
    SYNC_NODE_CHANNEL[$name]=$channel
    SYNC_NODE_DIR[$name]="$CTT_TMPDIR/node-$name"
    mkdir -p "${SYNC_NODE_DIR[$name]}"
    case $impl in
    conntrackd) conntrackd_node_start "$name" ;;
    ctd) ctd_node_start "$name" ;;
    *) ctt_die "node_start: implementation $impl? (conntrackd or ctd)" ;;
    esac
}

node_cmd() {
    local name=$1
    shift
    case ${SYNC_NODE_IMPL[$name]:-} in
    conntrackd) ip netns exec "${SYNC_NODE_NS[$name]}" conntrackd -C "${SYNC_NODE_CONF[$name]}" "$@" ;;
    ctd) ctd_node_cmd "$name" "$@" ;;
    *) ctt_die "node_cmd: no node $name" ;;
    esac
}

node_stop() {
    local name=$1 pid i
    pid=${SYNC_NODE_PID[$name]:-}
    [[ -n "$pid" ]] || return 0
    kill_pid "$pid"
    SYNC_NODE_PID[$name]=""
    # Forget the pid so cleanup_all never signals a recycled one.
    for i in "${!CTT_PIDS[@]}"; do
        [[ "${CTT_PIDS[i]}" == "$pid" ]] && unset 'CTT_PIDS[i]'
    done
    CTT_PIDS=("${CTT_PIDS[@]}")
}

# node_restart NAME: stop the node and start it again with the same configuration (its
# caches start empty, as after a crash).
node_restart() {
    local name=$1
    node_stop "$name"
    case ${SYNC_NODE_IMPL[$name]} in
    conntrackd) conntrackd_node_start "$name" ;;
    ctd) ctd_node_start "$name" ;;
    esac
}

node_log() { printf '%s\n' "${SYNC_NODE_DIR[$1]}/log"; }

# node_dump_logs: print the tail of every node's log (on failure).
# fail MESSAGE: the test's verdict, with every node's log tail for the reader.
fail() {
    ctt_log "FAIL: $*"
    node_dump_logs
    exit 1
}

node_dump_logs() {
    local name
    for name in "${!SYNC_NODE_NS[@]}"; do
        echo "--- log of node $name (${SYNC_NODE_IMPL[$name]}, ${SYNC_NODE_NS[$name]})" >&2
        tail -n 30 "$(node_log "$name")" >&2 2>/dev/null
    done
}

# The caches as printed by the node; conntrackd appends "[active since Ns]" (time in its
# cache; "[expires in Ns]" in ALARM mode), which changes by itself and is dropped here.
SYNC_CACHE_AGE_RE=' *\[(active since|expires in) [0-9]+s\]'
node_external() { node_cmd "$1" -e | sed -E "s/$SYNC_CACHE_AGE_RE//"; }
node_internal() { node_cmd "$1" -i | sed -E "s/$SYNC_CACHE_AGE_RE//"; }
node_external_count() { node_cmd "$1" -e 2>/dev/null | grep -c . || true; }
node_internal_count() { node_cmd "$1" -i 2>/dev/null | grep -c . || true; }

wait_external_count() {
    local name=$1 want=$2 timeout=$3 deadline
    deadline=$(($(date +%s) + timeout))
    while :; do
        SYNC_LAST_COUNT=$(node_external_count "$name")
        ((SYNC_LAST_COUNT >= want)) && return 0
        (($(date +%s) >= deadline)) && return 1
        sleep 0.1
    done
}

# check_external_matches NAME NS [--subset]: NAME's external cache holds exactly NS's
# kernel entries (with --subset: only entries that NS's table has).
check_external_matches() {
    local name=$1 ns=$2 d
    shift 2
    d="${SYNC_NODE_DIR[$name]}"
    node_external "$name" >"$d/external.txt"
    ip netns exec "$ns" conntrack -L -o extended >"$d/source-table.txt" 2>/dev/null
    "$CTT_PYTHON" "$SYNC_TABLES" cache-vs-table --label-cache "external cache of $name" \
        --label-table "table of $ns" "$@" "$d/external.txt" "$d/source-table.txt"
}

# --- the conntrackd implementation ----------------------------------------------------

# conntrackd_channel_block NAME: the transport section of the config.
# udp_block KEYWORD LOCAL PEER IFC [Default]: one UDP/TCP channel block (IPv4 or IPv6 by
# the address).
udp_block() {
    local kw=$1 addr=$2 peer=$3 ifc=$4 default=${5:-} v=IPv4
    [[ $addr == *:* ]] && v=IPv6
    cat <<EOF
	$kw${default:+ $default} {
		${v}_address $addr
		${v}_Destination_Address $peer
		Port $SYNC_PORT
		Interface $ifc
		SndSocketBuffer $SYNC_SOCKET_BUFFER
		RcvSocketBuffer $SYNC_SOCKET_BUFFER
		Checksum on
	}
EOF
}

conntrackd_channel_block() {
    local name=$1 ifc=${SYNC_NODE_IF[$1]} buf=$SYNC_SOCKET_BUFFER
    case ${SYNC_NODE_CHANNEL[$name]} in
    udp) udp_block UDP "${SYNC_NODE_ADDR[$name]}" "${SYNC_NODE_PEER[$name]}" "$ifc" Default ;;
    tcp) udp_block TCP "${SYNC_NODE_ADDR[$name]}" "${SYNC_NODE_PEER[$name]}" "$ifc" Default ;;
    udp6) udp_block UDP "${SYNC_NODE_ADDR6[$name]}" "${SYNC_NODE_PEER6[$name]}" "$ifc" Default ;;
    udp2)
        # Redundant links: va/vb (Default) and the second pair made by pair_up_second.
        local peer2=198.51.100.2 addr2=198.51.100.1 ifc2=vc
        if [[ $ifc == vb ]]; then peer2=198.51.100.1 addr2=198.51.100.2 ifc2=vd; fi
        udp_block UDP "${SYNC_NODE_ADDR[$name]}" "${SYNC_NODE_PEER[$name]}" "$ifc" Default
        udp_block UDP "$addr2" "$peer2" "$ifc2"
        ;;
    mcast)
        # "Group" is the UDP port of the multicast channel (conntrackd.conf(5)).
        cat <<EOF
	Multicast Default {
		IPv4_address $SYNC_MCAST_GROUP
		Group $SYNC_MCAST_PORT
		IPv4_interface ${SYNC_NODE_ADDR[$name]}
		Interface $ifc
		SndSocketBuffer $buf
		RcvSocketBuffer $buf
		Checksum on
	}
EOF
        ;;
    esac
}

conntrackd_mode_options() {
    case ${SYNC_NODE_MODE[$1]} in
    ftfw) printf '\t\tResendQueueSize 131072\n\t\tACKWindowSize 300\n\t\tDisableExternalCache no\n' ;;
    notrack) printf '\t\tDisableInternalCache no\n\t\tDisableExternalCache no\n' ;;
    # ALARM re-sends every entry each RefreshTime: short, so tests need not wait long.
    alarm) printf '\t\tRefreshTime 2\n\t\tCacheTimeout 30\n' ;;
    esac
    [[ -z "${SYNC_MODE_OPTIONS:-}" ]] || printf '%s\n' "$SYNC_MODE_OPTIONS"
}

# conntrackd_render_conf NAME: write the node's config from conntrackd.conf.in.
conntrackd_render_conf() {
    local name=$1 d=${SYNC_NODE_DIR[$1]} text mode
    # bash 5.2 would expand "&" in a ${x//p/r} replacement to the match: keep it literal.
    shopt -u patsub_replacement 2>/dev/null || true
    mode=${SYNC_NODE_MODE[$name]^^}
    text=$(<"$SYNC_LIB_DIR/conntrackd.conf.in")
    text=${text//@MODE@/$mode}
    text=${text//@MODE_OPTIONS@/$(conntrackd_mode_options "$name")}
    text=${text//@CHANNEL_BLOCK@/$(conntrackd_channel_block "$name")}
    text=${text//@LOGFILE@/$d/log}
    text=${text//@LOCKFILE@/$d/lock}
    text=${text//@UNIX_PATH@/$d/ctl}
    text=${text//@FILTER_FROM@/${SYNC_FILTER_FROM:-Userspace}}
    text=${text//@GENERAL_OPTIONS@/${SYNC_GENERAL_OPTIONS:-}}
    text=${text//@SYNC_OPTIONS@/${SYNC_OPTIONS:-}}
    printf '%s\n' "$text" >"$d/conntrackd.conf"
    SYNC_NODE_CONF[$name]="$d/conntrackd.conf"
}

conntrackd_node_start() {
    local name=$1 d=${SYNC_NODE_DIR[$1]} ns=${SYNC_NODE_NS[$1]} t0 pid
    conntrackd_render_conf "$name"
    # The UNIX path is 108 bytes at most (sun_path).
    ((${#d} < 100)) || ctt_die "temp dir path too long for a UNIX socket: $d"
    t0=$(sync_now)
    # Foreground ("console mode"); spawn_bg records the pid (setsid and `ip netns exec`
    # both exec, so it is conntrackd's own pid).
    spawn_bg ip netns exec "$ns" conntrackd -C "${SYNC_NODE_CONF[$name]}" \
        >"$d/console.log" 2>&1
    pid=$CTT_LAST_PID
    SYNC_NODE_PID[$name]=$pid
    # Ready = the control socket answers (it is created after the sync channel is bound).
    local deadline=$((SECONDS + 10))
    until conntrackd_node_ready "$name"; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
            if kill -0 "$pid" 2>/dev/null; then
                ctt_log "conntrackd $name not ready after 10 s"
            else
                ctt_log "conntrackd $name exited early"
            fi
            cat "$d/console.log" >&2
            ctt_die "conntrackd node $name did not start"
        fi
        sleep 0.02
    done
    SYNC_NODE_STARTUP[$name]=$(sync_elapsed "$t0")
    ctt_log "node $name: conntrackd ${SYNC_NODE_MODE[$name]}/${SYNC_NODE_CHANNEL[$name]} in $ns, pid $pid, ready in ${SYNC_NODE_STARTUP[$name]} s"
}

conntrackd_node_ready() {
    [[ -S "${SYNC_NODE_DIR[$1]}/ctl" ]] && node_cmd "$1" -s runtime >/dev/null 2>&1
}

# --- the ctd implementation (TO BE FILLED BY THE MAIN SESSION) ---------------------------
#
# ctd_node_start NAME: start ctd's sync engine as node NAME. Everything it needs is set:
#   ns=${SYNC_NODE_NS[$NAME]} dir=${SYNC_NODE_DIR[$NAME]} (private, writable)
#   mode=${SYNC_NODE_MODE[$NAME]} (ftfw|notrack|alarm) channel=${SYNC_NODE_CHANNEL[$NAME]}
#   (udp|udp6|mcast|tcp) ifc=${SYNC_NODE_IF[$NAME]} addr=${SYNC_NODE_ADDR[$NAME]}
#   peer=${SYNC_NODE_PEER[$NAME]} addr6/peer6=${SYNC_NODE_ADDR6/PEER6[$NAME]}
#   port=$SYNC_PORT mcast group=$SYNC_MCAST_GROUP port=$SYNC_MCAST_PORT
# It must: write its config into $dir, start the daemon with spawn_bg inside $ns, set
# SYNC_NODE_PID[$NAME], write its log to "$dir/log", and return only once the node serves
# ctd_node_cmd. ctd_node_cmd NAME ARGS... must accept the conntrackd client options the tests
# use (-c, -f [internal|external], -e, -i, -n, -B, -s) and print -e/-i like conntrackd
# (one entry a line, conntrack's line format, an optional "[active since Ns]"), so the same
# test scripts run with IMPL=ctd on either side.
ctd_available() {
    if [[ "${CTD_SYNC_ENABLED:-0}" != 1 ]]; then
        skip "ctd sync engine not built (set CTD_SYNC_ENABLED=1 once it is)"
    fi
    [[ -x "${CTD:-}" && -x "${CTCTL:-}" ]] || skip "CTD and CTCTL must name the built ctd and ctctl"
}

# ctd reads the very conntrackd.conf conntrackd gets (that is the point), with a private
# system bus in the node's namespace; the client side is ctctl started as "conntrackd".
ctd_node_start() {
    local name=$1 d=${SYNC_NODE_DIR[$1]} ns=${SYNC_NODE_NS[$1]} t0 pid
    ctd_available
    conntrackd_render_conf "$name"
    mkdir -p "$d/services" "$d/system.d" "$d/bin"
    cp "$SYNC_LIB_DIR/../../../data/dbus-1/system.d/org.netfilter.Conntrack1.conf" "$d/system.d/"
    write_bus_conf "$d"
    spawn_bg nsenter --net="/run/netns/$ns" dbus-daemon --config-file="$d/bus.conf" --nofork \
        --nopidfile >"$d/bus.log" 2>&1
    local i
    for i in $(seq 200); do [[ -S "$d/bus.sock" ]] && break; sleep 0.02; done
    [[ -S "$d/bus.sock" ]] || ctt_die "node $name: dbus-daemon did not start: $(cat "$d/bus.log")"
    ln -sf "$CTCTL" "$d/bin/conntrackd"
    t0=$(sync_now)
    spawn_bg env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$ns" \
        "$CTD" --config "${SYNC_NODE_CONF[$name]}" --idle-timeout 0 --log-level debug >"$d/log" 2>&1
    pid=$CTT_LAST_PID
    SYNC_NODE_PID[$name]=$pid
    local deadline=$((SECONDS + 10))
    until ctd_node_cmd "$name" -s runtime >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
            cat "$d/log" >&2
            ctt_die "ctd node $name did not start"
        fi
        sleep 0.02
    done
    SYNC_NODE_STARTUP[$name]=$(sync_elapsed "$t0")
    if [[ ${SYNC_FILTER_FROM:-} == Kernelspace ]]; then
        grep -q 'Filter From Kernelspace: BPF program of [0-9]* instructions attached' "$d/log" ||
            { cat "$d/log" >&2; ctt_die "ctd node $name: no BPF program on the event socket"; }
    fi
    ctt_log "node $name: ctd ${SYNC_NODE_MODE[$name]}/${SYNC_NODE_CHANNEL[$name]} in $ns, pid $pid, ready in ${SYNC_NODE_STARTUP[$name]} s"
}

ctd_node_cmd() {
    local name=$1 d=${SYNC_NODE_DIR[$1]} ns=${SYNC_NODE_NS[$1]}
    shift
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus.sock" nsenter --net="/run/netns/$ns" \
        "$d/bin/conntrackd" -C "${SYNC_NODE_CONF[$name]}" "$@"
}

# --- entries ---------------------------------------------------------------------------

sync_ci() {
    local ns=$1 out
    shift
    out=$(ip netns exec "$ns" conntrack -I "$@" 2>&1) || ctt_die "conntrack -I $*: $out"
}

# make_entries NS: the fixed rich set. Addresses are not those of the sync link (no
# conntrackd Address filter is configured, but a filter on local addresses is the usual
# production set-up and must not hide test entries). Timeouts are distinct per entry, so
# a mismatch names the entry.
# shellcheck disable=SC2034 # read by the test scripts
SYNC_ENTRY_COUNT=0
make_entries() {
    local ns=$1 s=198.18.0 d=198.18.1
    # TCP in every state conntrack -I accepts for a live flow.
    sync_ci "$ns" -p tcp -s $s.1 -d $d.1 --sport 40001 --dport 80 --state SYN_SENT -t 601
    sync_ci "$ns" -p tcp -s $s.2 -d $d.2 --sport 40002 --dport 80 --state SYN_RECV -t 602 \
        -u SEEN_REPLY
    sync_ci "$ns" -p tcp -s $s.3 -d $d.3 --sport 40003 --dport 443 --state ESTABLISHED -t 603 \
        -u SEEN_REPLY,ASSURED
    sync_ci "$ns" -p tcp -s $s.4 -d $d.4 --sport 40004 --dport 443 --state FIN_WAIT -t 604 \
        -u SEEN_REPLY,ASSURED
    sync_ci "$ns" -p tcp -s $s.5 -d $d.5 --sport 40005 --dport 22 --state CLOSE_WAIT -t 605 \
        -u SEEN_REPLY,ASSURED
    sync_ci "$ns" -p tcp -s $s.6 -d $d.6 --sport 40006 --dport 22 --state LAST_ACK -t 606 \
        -u SEEN_REPLY,ASSURED
    sync_ci "$ns" -p tcp -s $s.7 -d $d.7 --sport 40007 --dport 25 --state TIME_WAIT -t 607 \
        -u SEEN_REPLY,ASSURED
    sync_ci "$ns" -p tcp -s $s.8 -d $d.8 --sport 40008 --dport 25 --state CLOSE -t 608
    # Unreplied ESTABLISHED, with a mark.
    sync_ci "$ns" -p tcp -s $s.9 -d $d.9 --sport 40009 --dport 8080 --state ESTABLISHED \
        -t 609 -m 0x2a
    # UDP: unreplied, replied, assured with the highest mark.
    sync_ci "$ns" -p udp -s $s.20 -d $d.20 --sport 5353 --dport 53 -t 620
    sync_ci "$ns" -p udp -s $s.21 -d $d.21 --sport 123 --dport 123 -t 621 -u SEEN_REPLY -m 7
    sync_ci "$ns" -p udp -s $s.22 -d $d.22 --sport 50000 --dport 4500 -t 622 \
        -u SEEN_REPLY,ASSURED -m 0xffffffff
    # ICMP echo and timestamp requests.
    sync_ci "$ns" -p icmp -s $s.30 -d $d.30 --icmp-type 8 --icmp-code 0 --icmp-id 4242 -t 630
    sync_ci "$ns" -p icmp -s $s.31 -d $d.31 --icmp-type 13 --icmp-code 0 --icmp-id 7 -t 631
    # IPv6 TCP, UDP, ICMPv6.
    sync_ci "$ns" -p tcp -s 2001:db8:10::1 -d 2001:db8:20::1 --sport 41001 --dport 443 \
        --state ESTABLISHED -t 641 -u SEEN_REPLY,ASSURED -m 0x641
    sync_ci "$ns" -p tcp -s 2001:db8:10::2 -d 2001:db8:20::2 --sport 41002 --dport 22 \
        --state SYN_SENT -t 642
    sync_ci "$ns" -p udp -s 2001:db8:10::3 -d 2001:db8:20::3 --sport 41003 --dport 53 -t 643 \
        -u SEEN_REPLY
    sync_ci "$ns" -p icmpv6 -s 2001:db8:10::4 -d 2001:db8:20::4 --icmpv6-type 128 \
        --icmpv6-code 0 --icmpv6-id 4244 -t 644
    # Real NAT (CTA_NAT_SRC/DST: the kernel sets IPS_SRC_NAT/DST_NAT and computes the
    # reply tuple). conntrackd sends NAT only for entries with those status bits (see
    # make_entries_extra for a reply tuple alone).
    # SNAT, port kept.
    sync_ci "$ns" -p tcp -s $s.50 -d $d.50 --sport 42000 --dport 443 --src-nat 198.18.100.1 \
        --state ESTABLISHED -t 650 -u SEEN_REPLY,ASSURED
    # SNAT with a port change (masquerade-like), UDP.
    sync_ci "$ns" -p udp -s $s.51 -d $d.51 --sport 42001 --dport 53 \
        --src-nat 198.18.100.1:61001 -t 651 -u SEEN_REPLY
    # DNAT with a port change: 198.18.1.52:80 is served by 198.18.200.52:8080.
    sync_ci "$ns" -p tcp -s $s.52 -d $d.52 --sport 42002 --dport 80 \
        --dst-nat 198.18.200.52:8080 --state ESTABLISHED -t 652 -u SEEN_REPLY,ASSURED -m 0x52
    # SNAT + DNAT together.
    sync_ci "$ns" -p tcp -s $s.53 -d $d.53 --sport 42003 --dport 80 \
        --src-nat 198.18.100.1:62003 --dst-nat 198.18.200.53:8080 \
        --state ESTABLISHED -t 653 -u SEEN_REPLY,ASSURED
    # IPv6 DNAT.
    sync_ci "$ns" -p tcp -s 2001:db8:10::54 -d 2001:db8:20::54 --sport 42004 --dport 80 \
        --dst-nat '[2001:db8:30::54]:8080' --state ESTABLISHED -t 654 -u SEEN_REPLY,ASSURED
    # shellcheck disable=SC2034 # read by the test scripts
    SYNC_ENTRY_COUNT=23
}

# make_entries_extra NS: entries whose sync conntrackd 1.4.7 does not (fully) carry; for
# documenting the reference and for ctd tests that go beyond it. README.md
# records what was measured for each.
make_entries_extra() {
    local ns=$1 s=198.18.2 d=198.18.3
    # NAT-looking reply tuple without the NAT status bits.
    sync_ci "$ns" -p tcp -s $s.1 -d $d.1 --sport 43001 --dport 80 \
        -r 198.18.200.1 -q $s.1 --reply-port-src 8080 --reply-port-dst 43001 \
        --state ESTABLISHED -t 701 -u SEEN_REPLY,ASSURED
    # Zone.
    sync_ci "$ns" -p tcp -s $s.2 -d $d.2 --sport 43002 --dport 80 --state ESTABLISHED \
        -t 702 -u SEEN_REPLY,ASSURED --zone 7
    # SCTP with verification tags.
    sync_ci "$ns" -p sctp -s $s.3 -d $d.3 --sport 43003 --dport 3868 --state ESTABLISHED \
        --orig-vtag 0x11223344 --reply-vtag 0x55667788 -t 703 -u ASSURED
    # DCCP.
    sync_ci "$ns" -p dccp -s $s.4 -d $d.4 --sport 43004 --dport 5004 --state OPEN \
        --role client -t 704
    # GRE keys.
    sync_ci "$ns" -p gre -s $s.5 -d $d.5 --srckey 0x1234 --dstkey 0x5678 -t 705
    # UDP-Lite.
    sync_ci "$ns" -p udplite -s $s.6 -d $d.6 --sport 43006 --dport 5061 -t 706
    # A protocol without ports.
    sync_ci "$ns" -p 99 -s $s.7 -d $d.7 -t 707
    # FIXED_TIMEOUT status.
    sync_ci "$ns" -p udp -s $s.8 -d $d.8 --sport 43008 --dport 53 -t 708 -u FIXED_TIMEOUT
}

# make_bulk_entries NS COUNT [FIRST]: COUNT unreplied UDP entries 198.18.x.y:port -> a
# fixed server, made with one `conntrack -R` file (one process, one netlink socket: about
# 20x faster than COUNT runs of conntrack -I). Entry k (from FIRST, default 0) is unique.
make_bulk_entries() {
    local ns=$1 count=$2 first=${3:-0} f
    ctt_init_tmpdir
    f="$CTT_TMPDIR/bulk-$ns-$first.txt"
    "$CTT_PYTHON" - "$count" "$first" >"$f" <<'EOF'
import sys
count, first = int(sys.argv[1]), int(sys.argv[2])
for k in range(first, first + count):
    # 198.18.128.0/17 as clients, 60000 ports each: unique for any realistic COUNT.
    host, port = divmod(k, 60000)
    a = 128 + host // 256 % 128
    print(f"-I -p udp -s 198.18.{a}.{host % 256} -d 198.19.0.1 --sport {1024 + port} "
          f"--dport 9 -t {1200 + k % 600}")
EOF
    ip netns exec "$ns" conntrack -R "$f" >/dev/null 2>"$f.err" ||
        { cat "$f.err" >&2; ctt_die "conntrack -R of $count entries failed"; }
}

# --- comparisons -----------------------------------------------------------------------

# compare_tables NS_A NS_B [sync_tables.py compare options]
compare_tables() {
    local a=$1 b=$2
    shift 2
    ctt_init_tmpdir
    ip netns exec "$a" conntrack -L -o extended >"$CTT_TMPDIR/table-a.txt" 2>/dev/null
    ip netns exec "$b" conntrack -L -o extended >"$CTT_TMPDIR/table-b.txt" 2>/dev/null
    "$CTT_PYTHON" "$SYNC_TABLES" compare --label-a "$a" --label-b "$b" "$@" \
        "$CTT_TMPDIR/table-a.txt" "$CTT_TMPDIR/table-b.txt"
}

# wait_tables_equal NS_A NS_B TIMEOUT_S [compare options]: quiet polling, then one
# compare_tables that prints the result (the diff on timeout).
wait_tables_equal() {
    local a=$1 b=$2 timeout=$3 deadline
    shift 3
    deadline=$(($(date +%s) + timeout))
    while ! compare_tables "$a" "$b" "$@" >/dev/null 2>&1; do
        (($(date +%s) >= deadline)) && break
        sleep 0.1
    done
    compare_tables "$a" "$b" "$@"
}
