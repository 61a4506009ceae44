#!/bin/bash
# Differential test: our table printer against conntrack 1.4.7, byte for byte.
#
#   CTD_DUMP="build/tests/tools/ctdump" tests/root/differential.sh [-k] [-v] [FORMAT...]
#
# CTD_DUMP is a command (word-split; run inside the namespace with `ip netns exec`) that
# takes conntrack's listing arguments: `-L TABLE [-o FORMAT]`, TABLE one of conntrack,
# expect, dying, unconfirmed. They are appended, or substituted for the word @ARGS@ if
# the command contains it (CTD_DUMP="ctdump --label-map=/x @ARGS@ --raw"). Both printers
# run inside with_label_map (lib.sh), so /etc/xtables/connlabel.conf holds the test map;
# its path is also in $CTT_LABEL_MAP_FILE for a printer that takes a map path.
#
# One namespace is filled by fill-namespace.sh (live + inserted entries, see there); for
# every table and every format (default when FORMAT... is not given: the list below),
# conntrack runs first, ours right after, and tests/root/ctcompare.py compares stdout:
# line formats as sorted lines, XML per <flow> element; the timeout and delta-time numbers
# may differ by two ticks (CTD_DIFF_TICK, default 2: on a loaded 2-core machine the two
# printouts were seen 2 s apart). Format strings conntrack rejects
# (save,id ...) must make ours fail too. The stderr trailer ("N flow entries have been
# shown.") is compared for its count only when ours prints one; CTD_DIFF_STRICT_STDERR=1
# compares stderr byte for byte.
#
#   -k  keep going after a mismatch (report all); -v  print each comparison
# Exit: 0 all equal, 1 any mismatch, 77 not root / tools missing / CTD_DUMP unusable.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=fill-namespace.sh
. "$HERE/fill-namespace.sh"

# shellcheck disable=SC2054 # commas belong to the -o strings
FORMATS_DEFAULT=(
    default extended xml save
    id timestamp ktimestamp labels userspace
    extended,id extended,timestamp extended,ktimestamp extended,labels extended,userspace
    id,ktimestamp ktimestamp,labels
    extended,id,ktimestamp,labels
    extended,timestamp,ktimestamp,id,labels,userspace
    xml,id xml,timestamp xml,ktimestamp xml,labels xml,userspace xml,id,ktimestamp
    xml,extended xml,timestamp,ktimestamp,id,labels,userspace
)
# conntrack rejects these: ours must fail as well.
# shellcheck disable=SC2054
FORMATS_INVALID=(save,id save,xml save,ktimestamp bogus)
TABLES=(conntrack expect dying unconfirmed)

keep_going=0 verbose=0
while getopts kvh opt; do
    case $opt in
    k) keep_going=1 ;;
    v) verbose=1 ;;
    h)
        sed -n '2,24p' "$0"
        exit 0
        ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if (($#)); then
    FORMATS=("$@")
else
    FORMATS=("${FORMATS_DEFAULT[@]}")
fi

require_root_or_skip conntrack nft ip unshare
[[ -n "${CTD_DUMP:-}" ]] || skip "CTD_DUMP is not set (the printer under test)"
read -r -a DUMP_CMD <<<"$CTD_DUMP"
if ! command -v "${DUMP_CMD[0]}" >/dev/null 2>&1 || [[ -d "${DUMP_CMD[0]}" ]]; then
    skip "CTD_DUMP: ${DUMP_CMD[0]} is not executable"
fi
if [[ "${DUMP_CMD[0]}" == */* ]]; then
    DUMP_CMD[0]=$(cd "$(dirname "${DUMP_CMD[0]}")" && pwd)/$(basename "${DUMP_CMD[0]}")
fi

ctt_init_tmpdir
ctt_label_map_file
make_netns ctd-diff NS
fill_namespace "$NS"
ctt_log "namespace $NS: $(ct_count "$NS") entries"

# ours_cmd ARGS...: the CTD_DUMP command line for conntrack-style ARGS, in OURS_ARGV.
ours_cmd() {
    local w replaced=0
    OURS_ARGV=()
    for w in "${DUMP_CMD[@]}"; do
        if [[ $w == @ARGS@ ]]; then
            OURS_ARGV+=("$@")
            replaced=1
        else
            OURS_ARGV+=("$w")
        fi
    done
    ((replaced)) || OURS_ARGV+=("$@")
}

# trailer count from a conntrack-style stderr, or empty.
trailer_count() {
    sed -nE 's/.*: ([0-9]+) (flow entries|expectations) have been shown\.$/\1/p' "$1" | tail -1
}

fails=0 checks=0
D=$CTT_TMPDIR
compare_one() {
    local table=$1 fmt=$2 expect_fail=${3:-0} args=() rc_ref=0 rc_our=0 tag
    args=(-L "$table")
    [[ $fmt == default ]] || args+=(-o "$fmt")
    ours_cmd "${args[@]}"
    tag="$table/${fmt//,/+}"
    with_label_map ip netns exec "$NS" conntrack "${args[@]}" >"$D/ref.out" 2>"$D/ref.err" ||
        rc_ref=$?
    with_label_map ip netns exec "$NS" "${OURS_ARGV[@]}" >"$D/our.out" 2>"$D/our.err" ||
        rc_our=$?
    checks=$((checks + 1))
    ((verbose)) && ctt_log "$tag: conntrack rc=$rc_ref ($(wc -l <"$D/ref.out") lines), ours rc=$rc_our"
    if ((expect_fail)); then
        if ((rc_ref == 0)); then
            ctt_log "note: conntrack accepted -o $fmt (listed as invalid); comparing"
        elif ((rc_our == 0)); then
            ctt_log "FAIL $tag: conntrack rejects it (rc=$rc_ref: $(head -c 200 "$D/ref.err")), ours exited 0"
            return 1
        else
            return 0
        fi
    fi
    if ((rc_ref != rc_our)); then
        ctt_log "FAIL $tag: exit status conntrack=$rc_ref ours=$rc_our"
        sed 's/^/  ours stderr: /' "$D/our.err" >&2
        return 1
    fi
    if ! "$CTT_PYTHON" "$HERE/ctcompare.py" --tick "${CTD_DIFF_TICK:-2}" --label "$tag" \
        "$D/ref.out" "$D/our.out" >"$D/diff"; then
        ctt_log "FAIL $tag: stdout differs"
        cat "$D/diff"
        return 1
    fi
    if [[ -n "${CTD_DIFF_STRICT_STDERR:-}" ]]; then
        if ! cmp -s "$D/ref.err" "$D/our.err"; then
            ctt_log "FAIL $tag: stderr differs"
            diff -u --label "conntrack/$tag.stderr" --label "ours/$tag.stderr" \
                "$D/ref.err" "$D/our.err" || true
            return 1
        fi
    else
        local nref nour
        nref=$(trailer_count "$D/ref.err")
        nour=$(trailer_count "$D/our.err")
        if [[ -n "$nour" && "$nour" != "$nref" ]]; then
            ctt_log "FAIL $tag: trailer count conntrack=$nref ours=$nour"
            return 1
        fi
    fi
    return 0
}

run_check() {
    if ! compare_one "$@"; then
        fails=$((fails + 1))
        ((keep_going)) || {
            ctt_log "stopping at the first mismatch (-k to go on)"
            exit 1
        }
    fi
}

for table in "${TABLES[@]}"; do
    for fmt in "${FORMATS[@]}"; do
        run_check "$table" "$fmt"
    done
done
if ((!$#)); then
    for fmt in "${FORMATS_INVALID[@]}"; do
        run_check conntrack "$fmt" 1
    done
fi
# Sanity: the fill really produced what the comparison is about.
if [[ $(ct_count "$NS") -lt 30 ]]; then
    ctt_log "FAIL: only $(ct_count "$NS") entries in $NS: the fill went wrong"
    fails=$((fails + 1))
fi

if ((fails)); then
    ctt_log "$fails of $checks comparisons FAILED"
    exit 1
fi
ctt_log "all $checks comparisons equal (${#TABLES[@]} tables x ${#FORMATS[@]} formats + invalid)"
