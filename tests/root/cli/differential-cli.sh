#!/bin/bash
# Differential test of the conntrack drop-in (ctctl started as "conntrack") against
# Debian's conntrack 1.4.7. Twin throwaway network namespaces get the same entries before
# every command line of the corpus: in REF the real conntrack runs, in CTD a private
# dbus-daemon activates the built ctd inside the namespace and the drop-in talks to it.
# stdout (sorted: dump order follows per-namespace hashes), stderr, the exit status and the
# table the command leaves behind (dumped by the real conntrack on both sides) must match,
# after masking the volatile fields (timeouts, ids, per-CPU counters) the same way
# on both sides. Deliberate differences are listed in docs/compat.md; none is masked here.
#
# Env: CTD (built ctd), CTCTL (built ctctl), CTD_SOURCE_ROOT, CORPUS (default: corpus.txt
# next to this script). Exits 77 without root, conntrack, dbus-daemon or ip.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${CTD:?CTD must point at the built ctd}"
: "${CTCTL:?CTCTL must point at the built ctctl}"
: "${CTD_SOURCE_ROOT:?CTD_SOURCE_ROOT must point at the source tree}"
CORPUS=${CORPUS:-$HERE/corpus.txt}
CONNTRACK=${CONNTRACK:-/usr/sbin/conntrack}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
for tool in ip dbus-daemon timeout sed sort; do command -v "$tool" >/dev/null || skip "$tool missing"; done
[ -x "$CONNTRACK" ] || skip "conntrack missing"
"$CONNTRACK" -V 2>/dev/null | grep -q 'v1.4.7' || skip "conntrack is not 1.4.7"
[ -x "$CTD" ] && [ -x "$CTCTL" ] || { echo "FAIL: ctd or ctctl not built"; exit 1; }

REF=ctdcli-ref-$$
SUT=ctdcli-ctd-$$
. "$HERE/lib.sh"
cli_setup "$SUT" "$REF"
install_activation

# The fixture: the same entries in both namespaces, created by the real conntrack.
FIXTURE=(
  "-I -s 10.0.0.1 -d 10.0.0.2 -p tcp --sport 1000 --dport 80 --state ESTABLISHED -t 500 -u ASSURED -m 1"
  "-I -s 10.0.0.1 -d 10.0.0.3 -p tcp --sport 1001 --dport 22 --state SYN_SENT -t 500 -m 2"
  "-I -s 10.0.0.4 -d 10.0.0.2 -p udp --sport 5353 --dport 53 -t 500 -m 0x10"
  "-I -s 10.1.0.1 -d 10.0.0.2 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 500"
  "-I -s 2001:db8::1 -d 2001:db8::2 -p tcp --sport 2000 --dport 443 --state ESTABLISHED -t 500 -u ASSURED"
  "-I -s 2001:db8::1 -d 2001:db8::3 -p udp --sport 3000 --dport 53 -t 500 -m 3"
  "-I -s 10.0.0.9 -d 10.0.0.2 -p udp --sport 9 --dport 9 -t 500 -w 3"
  "-I -s 10.0.0.5 -d 10.0.0.2 -r 10.0.0.2 -q 192.0.2.1 -p tcp --sport 1234 --dport 80 --reply-port-src 80 --reply-port-dst 4321 --state ESTABLISHED -t 500"
)
reset_tables() {
    local ns line
    for ns in "$REF" "$SUT"; do
        ip netns exec "$ns" "$CONNTRACK" -F >/dev/null 2>&1
        for line in "${FIXTURE[@]}"; do
            # shellcheck disable=SC2086
            ip netns exec "$ns" "$CONNTRACK" $line >/dev/null 2>&1 ||
                { echo "FAIL: fixture '$line' in $ns"; exit 1; }
        done
    done
}

mask() {
    # progname: a listed difference (docs/compat.md, corpus tag: event-progname).
    sed -E -e 's/(^|[ [])id=[0-9]+/\1id=ID/g' -e 's/portid=[0-9]+/portid=P/' \
        -e 's/ progname=[^ ]+$//' \
        -e 's/^\[[0-9]+\.[0-9]+\]/[TIME]/' -e 's#<when>.*</when>#<when/>#' \
        -e 's/^((\[TIME\][[:space:]]+)?( *\[[A-Z]+\] +)?(ipv[46] +[0-9]+ +)?[a-z0-9-]+ +[0-9]+ +)[0-9]+ /\1T /' \
        -e 's#<timeout>[0-9]+</timeout>#<timeout>T</timeout>#g' \
        -e 's#<id>[0-9]+</id>#<id>ID</id>#g' \
        -e 's/(^| )-t [0-9]+ /\1-t T /' \
        -e '/^cpu=/s/([ \t])([a-z_0-9]+)=[0-9]+/\1\2=N/g' "$1" | sort
}

run_ref() { ip netns exec "$REF" timeout -s INT 3 bash -c 'exec -a conntrack "$0" "$@"' "$CONNTRACK" "$@"; }
run_sut() {
    ip netns exec "$SUT" env DBUS_SYSTEM_BUS_ADDRESS="$BUS" CTCTL_NO_ASK_PASSWORD=1 \
        timeout -s INT 3 bash -c 'exec -a conntrack "$0" "$@"' "$T/bin/conntrack" "$@"
}

# A corpus line may end in one annotation:
#   #compat=TAG[:RC]    a deliberate difference: only the drop-in's exit status is checked
#                       (RC, default 0)
#   #compat-stdout=TAG  a deliberate difference in stdout: stderr and exit status still match
#   #todo=TEXT          a known gap, reported as TAP TODO and not counted
#   #trigger=ARGS       one second into the run, the real conntrack runs ARGS in the same
#                       namespace (events for -E to show)
# TAG must be named in docs/compat.md ("corpus tag: TAG"), so nothing is masked silently.
COMPAT_DOC="$CTD_SOURCE_ROOT/docs/compat.md"
total=0 failures=0
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    total=$((total + 1))
    note=
    case "$line" in *' #'*) note=${line##* #}; line=${line% #*} ;; esac
    kind=${note%%=*} tag=${note#*=}
    want_rc=0
    case "$tag" in *:*) want_rc=${tag##*:}; tag=${tag%:*} ;; esac
    if [ "$kind" = compat ] || [ "$kind" = compat-stdout ]; then
        if ! grep -qF "corpus tag: $tag" "$COMPAT_DOC"; then
            failures=$((failures + 1))
            echo "not ok $total - conntrack $line (tag '$tag' is not in docs/compat.md)"
            continue
        fi
    fi
    eval "set -- $line"
    reset_tables
    TRIGGER_PID=
    trigger() {
        TRIGGER_PID=
        [ "$kind" = trigger ] || return 0
        # shellcheck disable=SC2086
        (sleep 1; ip netns exec "$1" "$CONNTRACK" $tag >/dev/null 2>&1) &
        TRIGGER_PID=$!
    }
    # Only the trigger: a bare "wait" would also wait for the bus daemon.
    trigger "$REF"
    run_ref "$@" >"$T/ref.out" 2>"$T/ref.err" </dev/null; ref_rc=$?
    [ -n "$TRIGGER_PID" ] && wait "$TRIGGER_PID"
    trigger "$SUT"
    run_sut "$@" >"$T/sut.out" 2>"$T/sut.err" </dev/null; sut_rc=$?
    [ -n "$TRIGGER_PID" ] && wait "$TRIGGER_PID"
    mask "$T/ref.out" >"$T/ref.mout"; mask "$T/sut.out" >"$T/sut.mout"
    # What the command left in the table, seen by the real conntrack on both sides.
    ip netns exec "$REF" "$CONNTRACK" -L -o extended >"$T/ref.table" 2>/dev/null
    ip netns exec "$SUT" "$CONNTRACK" -L -o extended >"$T/sut.table" 2>/dev/null
    mask "$T/ref.table" >"$T/ref.mtable"; mask "$T/sut.table" >"$T/sut.mtable"
    same_out=1
    cmp -s "$T/ref.mout" "$T/sut.mout" || same_out=0
    if [ "$kind" = compat ]; then
        if [ "$sut_rc" = "$want_rc" ]; then
            echo "ok $total - conntrack $line # deliberate difference: $tag"
        else
            failures=$((failures + 1))
            echo "not ok $total - conntrack $line (deliberate difference $tag, but exit $sut_rc)"
            sed 's/^/#   stderr /' "$T/sut.err" | head -4
        fi
        continue
    fi
    [ "$kind" = compat-stdout ] && same_out=1
    same_table=1
    cmp -s "$T/ref.mtable" "$T/sut.mtable" || same_table=0
    if [ "$ref_rc" != "$sut_rc" ] || [ "$same_out" = 0 ] || [ "$same_table" = 0 ] ||
       ! cmp -s "$T/ref.err" "$T/sut.err"; then
        if [ "$kind" = todo ]; then
            echo "not ok $total - conntrack $line # TODO $tag"
            continue
        fi
        failures=$((failures + 1))
        echo "not ok $total - conntrack $line (exit $ref_rc vs $sut_rc)"
        diff "$T/ref.err" "$T/sut.err" | sed 's/^/#   stderr /' | head -8
        diff "$T/ref.mout" "$T/sut.mout" | sed 's/^/#   stdout /' | head -8
        diff "$T/ref.mtable" "$T/sut.mtable" | sed 's/^/#   table after /' | head -8
    else
        echo "ok $total - conntrack $line${note:+ # $note}"
    fi
done <"$CORPUS"
echo "# $total command lines, $failures differ"
[ "$total" -gt 0 ] && [ "$failures" = 0 ]
