#!/bin/bash
# Self-test of differential.sh, usable before ctdump exists: CTD_DUMP wrappers around
# conntrack itself that must pass (identical, reordered, a sub-second later) or must fail
# (one byte changed, a line dropped, three and a half seconds later), plus the exit-77 paths.
#
#   tests/root/differential-selftest.sh        # exit 0 when every case behaved
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
require_root_or_skip conntrack nft ip unshare
ctt_init_tmpdir
W=$CTT_TMPDIR/wrappers
mkdir -p "$W"
PY=$CTT_PYTHON

# identical
cat >"$W/same" <<'EOF'
#!/bin/sh
exec conntrack "$@"
EOF
# records in reverse order (XML skeleton lines kept in place)
cat >"$W/reorder" <<EOF
#!/bin/sh
set -e
out=\$(mktemp); trap 'rm -f "\$out"' EXIT
conntrack "\$@" >"\$out"
$PY -c '
import sys
data = open(sys.argv[1]).read()
if not data:
    sys.exit(0)
lines = data.split("\n")
tail = lines.pop() if lines and lines[-1] == "" else None
idx = [i for i, l in enumerate(lines) if not l.startswith(("<?xml", "<conntrack>", "</conntrack>", "<expect>", "</expect>"))]
recs = [lines[i] for i in idx][::-1]
for i, r in zip(idx, recs):
    lines[i] = r
sys.stdout.write("\n".join(lines) + ("\n" if tail is not None else ""))
' "\$out"
EOF
# half a second later: timeouts and delta-times move by at most one tick
cat >"$W/later" <<'EOF'
#!/bin/sh
sleep 0.6
exec conntrack "$@"
EOF
# one letter in the middle of stdout changed
cat >"$W/perturb" <<EOF
#!/bin/sh
set -e
out=\$(mktemp); trap 'rm -f "\$out"' EXIT
conntrack "\$@" >"\$out"
$PY -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in list(range(len(b) // 2, len(b))) + list(range(len(b) // 2)):
    if 97 <= b[i] <= 121:
        b[i] += 1
        break
sys.stdout.buffer.write(bytes(b))
' "\$out"
EOF
# last record missing
cat >"$W/dropline" <<'EOF'
#!/bin/sh
set -e
out=$(mktemp); trap 'rm -f "$out"' EXIT
conntrack "$@" >"$out"
awk -v n="$(grep -n 'src=' "$out" | tail -1 | cut -d: -f1)" 'NR != n' "$out"
EOF
# three and a half seconds later: three ticks or more, beyond the two the comparison
# tolerates, must be caught
cat >"$W/slow" <<'EOF'
#!/bin/sh
sleep 3.5
exec conntrack "$@"
EOF
chmod +x "$W"/*

bad=0
# expect_rc WANT NAME [-g PATTERN] CMD...: CMD must exit WANT (and log PATTERN).
expect_rc() {
    local want=$1 name=$2 rc=0 pat=""
    shift 2
    if [[ $1 == -g ]]; then
        pat=$2
        shift 2
    fi
    ctt_log "case $name: expecting exit $want"
    "$@" >"$CTT_TMPDIR/$name.log" 2>&1 || rc=$?
    if [[ $rc -ne $want ]] || { [[ -n $pat ]] && ! grep -q -- "$pat" "$CTT_TMPDIR/$name.log"; }; then
        ctt_log "  WRONG: $name exited $rc, wanted $want${pat:+ and a log with \"$pat\"}; log:"
        tail -n 30 "$CTT_TMPDIR/$name.log" >&2
        bad=$((bad + 1))
    else
        ctt_log "  ok ($(tail -n 1 "$CTT_TMPDIR/$name.log"))"
    fi
}

D="$HERE/differential.sh"
expect_rc 77 unset env -u CTD_DUMP bash "$D"
expect_rc 77 notexec env CTD_DUMP=/nonexistent/ctdump bash "$D"
# The checkout may sit under a directory nobody cannot enter (mktemp -d is 0700): give the
# unprivileged run its own world-readable copy of the scripts.
NR=$(mktemp -d /tmp/ctd-diff-nonroot.XXXXXX)
register_cleanup "rm -rf '$NR'"
cp "$HERE/differential.sh" "$HERE/lib.sh" "$HERE/ctcompare.py" "$HERE/fill-namespace.sh" "$HERE/traffic.py" "$NR/"
chmod 755 "$NR"; chmod 644 "$NR"/*
expect_rc 77 nonroot setpriv --reuid=65534 --regid=65534 --clear-groups \
    env CTD_DUMP="$W/same" bash "$NR/differential.sh"
expect_rc 0 same env CTD_DUMP="$W/same" bash "$D"
expect_rc 0 placeholder env CTD_DUMP="$W/same @ARGS@" bash "$D" default xml
expect_rc 0 reorder env CTD_DUMP="$W/reorder" bash "$D"
expect_rc 0 later env CTD_DUMP="$W/later" bash "$D" default extended xml save extended,ktimestamp
expect_rc 1 perturb -g "stdout differs" env CTD_DUMP="$W/perturb" bash "$D"
expect_rc 1 perturb-all -g "FAILED" env CTD_DUMP="$W/perturb" bash "$D" -k
expect_rc 1 perturb-xml -g "stdout differs" env CTD_DUMP="$W/perturb" bash "$D" xml
expect_rc 1 perturb-save -g "stdout differs" env CTD_DUMP="$W/perturb" bash "$D" save
expect_rc 1 dropline -g "stdout differs" env CTD_DUMP="$W/dropline" bash "$D"
expect_rc 1 slow -g "stdout differs" env CTD_DUMP="$W/slow" bash "$D" default
expect_rc 1 slow-xml -g "stdout differs" env CTD_DUMP="$W/slow" bash "$D" xml

left=$(ip netns list | grep -c '^ctd-diff-\|^ctc-' || true)
if [[ $left -ne 0 ]]; then
    ctt_log "WRONG: namespaces left behind: $(ip netns list | tr '\n' ' ')"
    bad=$((bad + 1))
fi
if ((bad)); then
    ctt_log "$bad self-test case(s) went wrong"
    exit 1
fi
ctt_log "differential.sh self-test: all cases behaved"
