# shellcheck shell=bash
# Helpers for the root test suite. Source this file; do not execute it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   require_root_or_skip conntrack nft ip      # exit 77 (meson SKIP) when not possible
#   make_netns ctt NS                          # NS=ctt-<pid>-<n>, deleted by cleanup_all
#   make_netns exact-name                      # that exact name, deleted by cleanup_all
#   spawn_bg ip netns exec "$NS" sleep 100     # pid in CTT_LAST_PID, killed by cleanup_all
#   register_cleanup "rm -f /tmp/x"            # any extra command, run LIFO
#   ctt_init_tmpdir; echo "$CTT_TMPDIR"        # private temp dir, removed by cleanup_all
#   wait_until 5 test -s FILE                  # poll a command, with a timeout
#   wait_table_stable "$NS" 10                 # until the table stops changing
#   with_label_map CMD...                      # CMD sees /etc/xtables/connlabel.conf
# Call these in the main shell, not in $(...): a subshell cannot register cleanups.
#
# Sourcing installs a trap on EXIT INT TERM that runs cleanup_all, so namespaces and
# background processes go away on success, failure and Ctrl-C alike. A script that needs
# its own EXIT trap should call cleanup_all from it instead.
#
# Safety rules (TESTING.md): never touch the initial namespace's conntrack table; use only
# 192.0.2.0/24, 198.18.0.0/15 and 2001:db8::/32 inside namespaces; restore global sysctls.

if [[ -n "${CTT_LIB_SOURCED:-}" ]]; then
    return 0
fi
CTT_LIB_SOURCED=1

CTT_PYTHON=${CTT_PYTHON:-/usr/bin/python3}
[[ -x "$CTT_PYTHON" ]] || CTT_PYTHON=python3

# Everything the helpers created, in creation order.
CTT_NETNS=()
CTT_PIDS=()
CTT_CLEANUPS=()
CTT_TMPDIR=""
CTT_CLEANED=0

ctt_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
ctt_die() { ctt_log "error: $*"; exit 1; }

# skip MESSAGE: exit 77, which meson reports as SKIP.
skip() {
    ctt_log "SKIP: $*"
    exit 77
}

# require_root_or_skip [TOOL...]: exit 77 unless root and every TOOL (default: conntrack
# nft ip) is on PATH.
require_root_or_skip() {
    local tools=("$@") t missing=()
    ((${#tools[@]})) || tools=(conntrack nft ip)
    if [[ $(id -u) -ne 0 ]]; then
        skip "needs root (network namespaces, the real conntrack table)"
    fi
    for t in "${tools[@]}"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    if ((${#missing[@]})); then
        skip "missing tool(s): ${missing[*]} (scripts/install-deps.sh installs them)"
    fi
}

# ctt_init_tmpdir: create (once) CTT_TMPDIR, a private temp dir removed by cleanup_all.
ctt_init_tmpdir() { [[ -n "$CTT_TMPDIR" ]] || CTT_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/ctt.XXXXXX"); }

register_cleanup() { CTT_CLEANUPS+=("$*"); }

# make_netns PREFIX VAR: create namespace PREFIX-<pid>-<n> with lo up, store its name in
# VAR. make_netns NAME: create exactly NAME (and print it). Either way cleanup_all deletes
# it.
CTT_NS_SEQ=0
make_netns() {
    local prefix=$1 var=${2:-} name
    if [[ -n "$var" ]]; then
        CTT_NS_SEQ=$((CTT_NS_SEQ + 1))
        name="$prefix-$$-$CTT_NS_SEQ"
    else
        name=$prefix
    fi
    ip netns add "$name"
    CTT_NETNS+=("$name")
    ip -n "$name" link set lo up
    if [[ -n "$var" ]]; then
        printf -v "$var" '%s' "$name"
    else
        printf '%s\n' "$name"
    fi
}

# spawn_bg CMD...: run CMD in the background in its own process group; record its pid
# in CTT_LAST_PID and in the cleanup list.
spawn_bg() {
    setsid "$@" &
    CTT_LAST_PID=$!
    CTT_PIDS+=("$CTT_LAST_PID")
}

# kill_pid PID: TERM the process group started by spawn_bg, then KILL after 2 s; reap.
kill_pid() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# cleanup_all: kill recorded processes, run registered cleanups (last first), delete
# namespaces, remove the temp dir. Idempotent.
cleanup_all() {
    local i ns pid
    ((CTT_CLEANED)) && return 0
    CTT_CLEANED=1
    set +e
    for ((i = ${#CTT_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${CTT_PIDS[i]}
        kill_pid "$pid"
    done
    for ((i = ${#CTT_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CTT_CLEANUPS[i]}"
    done
    for ((i = ${#CTT_NETNS[@]} - 1; i >= 0; i--)); do
        ns=${CTT_NETNS[i]}
        # Processes still inside (a stray child) would keep the namespace's table alive.
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    if [[ -n "$CTT_TMPDIR" && -d "$CTT_TMPDIR" ]]; then
        # overlay work dirs may be left mode 000: still removable by root.
        rm -rf -- "$CTT_TMPDIR"
    fi
    set -e
}

ctt_on_signal() {
    local sig=$1
    trap - EXIT INT TERM
    cleanup_all
    ctt_log "interrupted (SIG$sig)"
    if [[ $sig == INT ]]; then exit 130; else exit 143; fi
}

trap 'cleanup_all' EXIT
trap 'ctt_on_signal INT' INT
trap 'ctt_on_signal TERM' TERM

# wait_until TIMEOUT_S CMD...: poll CMD every 0.05 s until it succeeds; 1 on timeout.
wait_until() {
    local timeout=$1
    shift
    local deadline=$((SECONDS + timeout))
    # SECONDS has 1-s resolution: this waits between TIMEOUT and TIMEOUT+1 s.
    while ! "$@" >/dev/null 2>&1; do
        if ((SECONDS > deadline)); then
            return 1
        fi
        sleep 0.05
    done
}

# wait_for_file TIMEOUT_S FILE: wait until FILE exists and is non-empty.
wait_for_file() { wait_until "$1" test -s "$2"; }

# ct NS ARGS...: conntrack inside NS (never the initial namespace).
ct() {
    local ns=$1
    shift
    [[ -n "$ns" ]] || ctt_die "ct: empty namespace name"
    ip netns exec "$ns" conntrack "$@"
}

# ct_count NS: number of entries in NS's conntrack table.
ct_count() { ip netns exec "$1" conntrack -C 2>/dev/null; }

# Table snapshot with the timeout and delta-time removed (for stability checks).
ct_snapshot_masked() {
    ip netns exec "$1" conntrack -L -o extended 2>/dev/null |
        sed -E 's/^([a-z0-9]+ +[0-9]+ +[a-z0-9]+ +[0-9]+ )[0-9]+ /\1T /; s/ delta-time=[0-9]+/ delta-time=T/' | LC_ALL=C sort
}

# wait_table_stable NS TIMEOUT_S: wait until two snapshots 0.3 s apart are equal (timeouts
# ignored): delayed ACKs and retransmissions settled.
wait_table_stable() {
    local ns=$1 timeout=$2 prev cur
    local deadline=$((SECONDS + timeout))
    prev=$(ct_snapshot_masked "$ns")
    while :; do
        sleep 0.3
        cur=$(ct_snapshot_masked "$ns")
        [[ "$cur" == "$prev" ]] && return 0
        ((SECONDS > deadline)) && return 1
        prev=$cur
    done
}

# sysctl in a namespace; fails loudly.
ns_sysctl() {
    local ns=$1
    shift
    ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

# with_label_map CMD...: run CMD in a private mount namespace where /etc is an overlay
# (upper/work dirs in the temp dir) holding /etc/xtables/connlabel.conf with the test map
# below. The host's /etc is never written. `ip netns exec NS ...` inside CMD inherits the
# view. Only wrap the commands that need the map (conntrack -I --label-add, -o labels,
# our printer): namespaces created inside would be invisible outside (ip netns add's
# bind mount would stay in the private mount namespace). Every call gets fresh overlay
# dirs, so calls may run concurrently. The map is also at $CTT_LABEL_MAP_FILE.
CTT_LABEL_MAP_CONTENT='# ctd test label map (tests/root/lib.sh)
0	ctt-zero
1	ctt-web
2	ctt-dns
5	ctt-five
31	ctt-31
63	ctt-63
64	ctt-64
127	ctt-last
'
ctt_label_map_file() {
    ctt_init_tmpdir
    CTT_LABEL_MAP_FILE="$CTT_TMPDIR/connlabel.conf"
    [[ -s "$CTT_LABEL_MAP_FILE" ]] || printf '%s' "$CTT_LABEL_MAP_CONTENT" >"$CTT_LABEL_MAP_FILE"
    export CTT_LABEL_MAP_FILE
}
with_label_map() {
    local d
    ctt_label_map_file
    d=$(mktemp -d "$CTT_TMPDIR/etc.XXXXXX")
    mkdir -p "$d/upper/xtables" "$d/work"
    cp "$CTT_LABEL_MAP_FILE" "$d/upper/xtables/connlabel.conf"
    local rc=0
    # shellcheck disable=SC2016 # $1 and $@ belong to the inner sh
    unshare --mount --propagation private -- sh -c '
        mount -t overlay ctt-etc -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc ||
            exit 126
        shift
        exec "$@"' sh "$d" "$@" || rc=$?
    rm -rf -- "$d"
    return "$rc"
}
