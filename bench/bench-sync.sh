#!/bin/bash
# bench/bench-sync.sh: the sync engine's benchmarks (issue 6), ctd against conntrackd 1.4.7
# in the same run, on the two-node harness of tests/root/sync (two throwaway namespaces
# joined by a veth, FTFW over UDP, the conntrackd.conf both daemons read). On demand, not
# in CI. Needs root, the built tree (ctd, ctctl, bench/ctchurn) and conntrackd 1.4.7.
#
#   bench/bench-sync.sh [--build DIR] [--runs N] [--ref-runs M] [--count N] [--wait S]
#                       [--churn-runs K] [--churn-rate OPS] [--churn-seconds S]
#                       [--churn-window W] [--resync S] [--only bulk|churn] [--no-write]
#
# bulk (N runs of ctd, M of conntrackd, interleaved; each run a fresh pair):
#   1. Both daemons start on empty tables (VmRSS with no entry), A is stopped, A's kernel
#      gets COUNT entries (ctchurn --fill), A starts again and its start-up dump fills its
#      internal cache; then `-B` on A: entries still missing from B's external cache WAIT s
#      (60) after the bulk send began. Memory: VmRSS of A with COUNT internal entries and
#      of B with the bulk in its external cache, per entry, against the empty start.
#   3. `-c` on B: time until B's kernel holds every entry of B's external cache (B's
#      nf_conntrack_count, read every 5 ms; `-c` of either returns when its commit is done).
# churn (K runs per implementation, both nodes the same implementation):
#   4. ctchurn in A's namespace: OPS creates+deletes per second for S seconds over a
#      window of W live entries; then, after the churn settles, A's internal cache vs A's
#      table and B's external cache vs A's table. NetlinkOverrunResync is set to S_r
#      (--resync, default 5) on both daemons.
# Writes its section of docs/performance.md (between the bench-sync.sh markers) unless
# --no-write; raw RESULT lines go to stdout and to $BENCH_SYNC_OUT (a temp file otherwise).
#
# Internal: bench-sync.sh --one bulk|churn IMPL ARGS... runs one trial in its own process,
# so every trial gets fresh namespaces, and tests/root/lib.sh's trap cleans up after it.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
SYNC_LIB="$TOP/tests/root/sync/lib.sh"

# --- one trial (runs in its own process) -------------------------------------------------

# cache_count NAME internal|external: "active objects" of that cache from -s cache (cheap:
# no entry printout; same text for conntrackd and ctd's drop-in).
cache_count() {
    node_cmd "$1" -s cache 2>/dev/null | awk -v c="cache:$2" '$1 == c { print $NF; exit }'
}

# daemon_pid NAME: the daemon's own pid (conntrackd, or ctd: not its bus, not ctctl).
daemon_pid() {
    local pid=${SYNC_NODE_PID[$1]} want=conntrackd c
    [[ ${SYNC_NODE_IMPL[$1]} == ctd ]] && want=ctd
    # setsid, env, `ip netns exec` and nsenter all exec, so the recorded pid is normally
    # the daemon; look one level down in case a wrapper forked.
    if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$want" ]]; then
        echo "$pid"
        return
    fi
    for c in $(pgrep -P "$pid"); do
        [[ $(cat "/proc/$c/comm" 2>/dev/null) == "$want" ]] && { echo "$c"; return; }
    done
    ctt_die "no $want process under pid $pid"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$(daemon_pid "$1")/status"; }

# wait_stable NAME CACHE WANT MAX_S STALL_S: poll until the cache holds WANT entries or
# has not changed for STALL_S, at most MAX_S. Prints the last count.
wait_stable() {
    local name=$1 cache=$2 want=$3 max=$4 stall=$5 n last=-1 since=$SECONDS start=$SECONDS
    while :; do
        n=$(cache_count "$name" "$cache")
        n=${n:-0}
        if ((n != last)); then last=$n since=$SECONDS; fi
        ((n == want)) && break
        ((SECONDS - since >= stall || SECONDS - start >= max)) && break
        sleep 0.5
    done
    echo "$n"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# kernel_count_reached NS WANT TIMEOUT: waits until NS holds WANT entries, or TIMEOUT s;
# prints "COUNT EPOCH" at that moment. It reads the namespace's nf_conntrack_count every
# 5 ms from one shell that starts no process per poll: a `conntrack -C` every 10 ms was a
# new netlink client per poll, on the 2 CPUs the commit itself needs.
kernel_count_reached() {
    ip netns exec "$1" bash -c '
        want=$1 deadline=$(( ${EPOCHREALTIME%.*} + $2 ))
        exec {never}<> <(:)
        while read -r c </proc/sys/net/netfilter/nf_conntrack_count; do
            if (( c >= want || ${EPOCHREALTIME%.*} >= deadline )); then
                echo "$c $EPOCHREALTIME"
                exit 0
            fi
            read -r -t 0.005 -u "$never" _ || :
        done' _ "$2" "$3"
}

one_bulk() {
    local impl=$1 count=$2 wait_s=$3
    # shellcheck source=../tests/root/sync/lib.sh
    . "$SYNC_LIB"
    sync_require_or_skip
    sync_require_impl "$impl"
    pair_up
    node_start b "$SYNC_NS_B" "$impl" ftfw udp
    node_start a "$SYNC_NS_A" "$impl" ftfw udp
    sleep 1
    local rss_a0 rss_b0 rss_a1 rss_b1 fill internal ext_before
    rss_a0=$(rss_kib a) rss_b0=$(rss_kib b)

    # A's internal cache is filled by the start-up dump of A's table, not by events: a
    # fill at ~50k entries/s overruns conntrackd's event socket (it then holds only part
    # of the table until NetlinkOverrunResync), and the bulk must start from a full cache.
    # A restarted as node a2 in the same namespace (same config, own control socket).
    node_stop a
    fill=$(ip netns exec "$SYNC_NS_A" "$CHURN" --fill "$count") || ctt_die "fill failed: $fill"
    ctt_log "$impl: $fill"
    node_start a2 "$SYNC_NS_A" "$impl" ftfw udp
    internal=$(wait_stable a2 internal "$count" 60 3)
    rss_a1=$(rss_kib a2)
    ((internal == count)) || ctt_log "warning: A's internal cache has $internal of $count"
    # ctd's start-up dump also goes to the peer (conntrackd 1.4.7's does not): let it
    # land, then start the bulk from an empty external cache either way.
    ext_before=$(wait_stable b external "$count" 30 2)
    if ((ext_before != 0)); then
        ctt_log "warning: B's external cache holds $ext_before before the bulk: flushed"
        node_cmd b -f external >/dev/null
        wait_stable b external 0 10 2 >/dev/null
    fi

    local t0 n bulk_s=-1 el
    t0=$(now)
    node_cmd a2 -B >/dev/null || ctt_die "-B on A failed"
    while :; do
        n=$(cache_count b external)
        n=${n:-0}
        el=$(elapsed "$t0")
        if ((n >= count)); then bulk_s=$el; break; fi
        awk -v e="$el" -v m="$wait_s" 'BEGIN { exit !(e >= m) }' && break
        sleep 0.2
    done
    local printed
    printed=$(node_external_count b)
    rss_b1=$(rss_kib b)
    ctt_log "$impl: bulk: $n of $count in B's external cache after $el s (printout: $printed);" \
        "RSS A $rss_a0 -> $rss_a1 KiB ($internal internal), B $rss_b0 -> $rss_b1 KiB ($printed external)"

    # Commit B's external cache into B's (empty) kernel table.
    local expected=$printed before cmd_s commit_s=-1 k=0
    before=$(ct_count "$SYNC_NS_B")
    t0=$(now)
    node_cmd b -c >/dev/null || ctt_log "warning: -c on B failed"
    cmd_s=$(elapsed "$t0")
    local reached
    reached=$(kernel_count_reached "$SYNC_NS_B" $((before + expected)) 60)
    k=${reached% *}
    el=$(awk -v a="$t0" -v b="${reached#* }" 'BEGIN { printf "%.3f", b - a }')
    ((k - before >= expected)) && commit_s=$el
    ctt_log "$impl: commit: command returned after $cmd_s s, B's kernel has $k (wanted $expected) after $el s"
    echo "RESULT bulk impl=$impl count=$count internal=$internal ext_before=$ext_before" \
        "rss_a0=$rss_a0 rss_a1=$rss_a1 rss_b0=$rss_b0 rss_b1=$rss_b1 bulk_final=$printed" \
        "bulk_missing=$((count - printed)) bulk_s=$bulk_s commit_expected=$expected" \
        "commit_cmd_s=$cmd_s commit_s=$commit_s commit_final=$((k - before))"
}

one_churn() {
    local impl=$1 rate=$2 secs=$3 window=$4 resync=$5 settle=$6
    SYNC_GENERAL_OPTIONS="	NetlinkOverrunResync $resync"
    export SYNC_GENERAL_OPTIONS
    # shellcheck source=../tests/root/sync/lib.sh
    . "$SYNC_LIB"
    sync_require_or_skip
    sync_require_impl "$impl"
    pair_up
    node_start b "$SYNC_NS_B" "$impl" ftfw udp
    node_start a "$SYNC_NS_A" "$impl" ftfw udp
    sleep 1
    local out
    out=$(ip netns exec "$SYNC_NS_A" "$CHURN" --rate "$rate" --seconds "$secs" --window "$window") ||
        ctt_log "warning: ctchurn reported failures: $out"
    ctt_log "$impl: $out"
    local achieved ops
    achieved=$(sed -n 's/.* achieved=\([0-9]*\).*/\1/p' <<<"$out")
    ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$out")
    # Settle: until A's internal cache and B's external cache both hold A's table, or
    # $settle s (long enough for one NetlinkOverrunResync after the churn).
    local t0 kern int ext conv_s=-1 el
    t0=$(now)
    while :; do
        kern=$(ct_count "$SYNC_NS_A")
        int=$(cache_count a internal)
        ext=$(cache_count b external)
        el=$(elapsed "$t0")
        if [[ "$int" == "$kern" && "$ext" == "$kern" ]]; then conv_s=$el; break; fi
        awk -v e="$el" -v m="$settle" 'BEGIN { exit !(e >= m) }' && break
        sleep 0.5
    done
    # The verdict comes from the full printouts, not the counters.
    local int_printed ext_printed match=yes diff_lines=0
    kern=$(ct_count "$SYNC_NS_A")
    int_printed=$(node_internal_count a)
    ext_printed=$(node_external_count b)
    if ! check_external_matches b "$SYNC_NS_A" >"${SYNC_NODE_DIR[b]}/diff.txt" 2>&1; then
        match=no
        diff_lines=$(grep -c '^[-+][^-+]' "${SYNC_NODE_DIR[b]}/diff.txt" || true)
        head -n 8 "${SYNC_NODE_DIR[b]}/diff.txt" | sed 's/^/  diff: /' >&2
    fi
    # conntrackd -s runtime (ctd's drop-in prints the same lines): event socket overruns
    # and resyncs with the kernel table (NetlinkOverrunResync) on A.
    local runtime overruns resyncs bufsize
    runtime=$(node_cmd a -s runtime 2>/dev/null)
    overruns=$(awk -F: '/netlink overrun/ { gsub(/[ \t]/, "", $2); print $2 }' <<<"$runtime")
    resyncs=$(awk -F: '/resync with kernel table/ { gsub(/[ \t]/, "", $2); print $2 }' <<<"$runtime")
    bufsize=$(awk -F: '/current buffer size/ { gsub(/[ \t]/, "", $2); print $2 }' <<<"$runtime")
    ctt_log "$impl: after $el s: A's table $kern, A's internal $int_printed, B's external" \
        "$ext_printed, B matches A: $match; A: netlink overruns $overruns, kernel resyncs" \
        "$resyncs, event buffer $bufsize bytes"
    node_cmd a -s 2>/dev/null | sed -n '/message tracking/,+1p' | sed 's/^/  A: /' >&2 || true
    echo "RESULT churn impl=$impl target=$rate achieved=${achieved:-0} ops=${ops:-0} seconds=$secs" \
        "window=$window kernel=$kern internal=$int_printed external=$ext_printed" \
        "match=$match diff_lines=$diff_lines converged_s=$conv_s overruns=${overruns:-?}" \
        "resyncs=${resyncs:-?} event_buffer=${bufsize:-?}" \
        "resync=$resync"
}

if [[ ${1:-} == --one ]]; then
    shift
    kind=$1
    shift
    CHURN=${CHURN:?}
    case $kind in
    bulk) one_bulk "$@" ;;
    churn) one_churn "$@" ;;
    *) echo "bench-sync.sh: --one bulk|churn" >&2; exit 2 ;;
    esac
    exit $?
fi

# --- the driver ----------------------------------------------------------------------------

build=$TOP/build runs=20 ref_runs=5 count=100000 wait_s=60 churn_runs=3 churn_rate=100000
churn_seconds=5 churn_window=20000 resync=5 only="" write=1
while (($#)); do
    case $1 in
    --build) build=$2; shift ;;
    --runs) runs=$2; shift ;;
    --ref-runs) ref_runs=$2; shift ;;
    --count) count=$2; shift ;;
    --wait) wait_s=$2; shift ;;
    --churn-runs) churn_runs=$2; shift ;;
    --churn-rate) churn_rate=$2; shift ;;
    --churn-seconds) churn_seconds=$2; shift ;;
    --churn-window) churn_window=$2; shift ;;
    --resync) resync=$2; shift ;;
    --only) only=$2; shift ;;
    --no-write) write=0 ;;
    -h | --help) sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench-sync.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
for v in runs ref_runs count wait_s churn_runs churn_rate churn_seconds churn_window resync; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-sync.sh: --${v//_/-} needs a number" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench-sync.sh: needs root (namespaces)" >&2; exit 77; }
export CTD=${CTD:-$build/service/ctd} CTCTL=${CTCTL:-$build/ctl/ctctl} CTD_SYNC_ENABLED=1
export CHURN=$build/bench/ctchurn
for f in "$CTD" "$CTCTL" "$CHURN"; do
    [[ -x $f ]] || { echo "bench-sync.sh: $f not built (ninja -C $build)" >&2; exit 77; }
done
command -v conntrackd >/dev/null || { echo "bench-sync.sh: conntrackd not installed" >&2; exit 77; }

# nf_conntrack_max is global (initial namespace) but counted per namespace: raise it for
# the run so neither node's table refuses entries, and restore it whatever happens.
MAX=/proc/sys/net/netfilter/nf_conntrack_max
saved_max=$(cat "$MAX")
out=${BENCH_SYNC_OUT:-$(mktemp /tmp/bench-sync.XXXXXX)}
child=""
set_max=""
restore() {
    [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
    # Only undo our own change: another run may have raised it meanwhile.
    [[ -n "$set_max" && $(cat "$MAX") == "$set_max" ]] && echo "$saved_max" >"$MAX"
}
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
want_max=$((count * 4))
if ((want_max > saved_max)); then
    echo "$want_max" >"$MAX"
    set_max=$want_max
fi

# trial KIND IMPL ARGS...: one trial in a child process (its own namespaces and trap).
trial() {
    "$HERE/bench-sync.sh" --one "$@" >"$out.cur" &
    child=$!
    wait "$child"
    local rc=$?
    child=""
    grep '^RESULT' "$out.cur" | tee -a "$out"
    ((rc == 0)) || echo "bench-sync.sh: trial $* exited $rc" >&2
    rm -f "$out.cur"
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [[ -z $only || $only == bulk ]]; then
    # Interleaved, so drift on the machine hits both implementations alike.
    for ((i = 1; i <= runs || i <= ref_runs; i++)); do
        ((i <= runs)) && { echo "bulk run $i/$runs: ctd" >&2; trial bulk ctd "$count" "$wait_s"; }
        ((i <= ref_runs)) && { echo "bulk run $i/$ref_runs: conntrackd" >&2; trial bulk conntrackd "$count" "$wait_s"; }
    done
fi
if [[ -z $only || $only == churn ]]; then
    for ((i = 1; i <= churn_runs; i++)); do
        for impl in ctd conntrackd; do
            echo "churn run $i/$churn_runs: $impl" >&2
            trial churn "$impl" "$churn_rate" "$churn_seconds" "$churn_window" "$resync" $((resync + 30))
        done
    done
fi

write_args=()
((write)) && write_args=(--write "$TOP/docs/performance.md")
python3 "$HERE/bench_sync_report.py" --results "$out" --started "$started" \
    --command "bench/bench-sync.sh --build $build --runs $runs --ref-runs $ref_runs --count $count --wait $wait_s --churn-runs $churn_runs --churn-rate $churn_rate --churn-seconds $churn_seconds --churn-window $churn_window --resync $resync${only:+ --only $only}" \
    "${write_args[@]}"
echo "raw results: $out" >&2
