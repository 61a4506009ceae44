#!/bin/bash
# Interrupt the root-suite scripts mid-run (SIGINT to the whole process group, as Ctrl-C
# does, and SIGTERM to the script) and check that they leave no namespace and no process
# behind.
#
#   tests/root/interrupt-selftest.sh [DELAY_S]     # default: signal 3 s after the start
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
require_root_or_skip conntrack nft ip unshare setsid
delay=${1:-3}
ctt_init_tmpdir
W=$CTT_TMPDIR
printf '#!/bin/sh\nexec conntrack "$@"\n' >"$W/same"
chmod +x "$W/same"

# run_and_signal NAME SIGNAL TARGET DELAY CMD...: start CMD in a new session with default
# signal dispositions (a background job would ignore SIGINT), signal it after DELAY s
# (TARGET group: the whole process group; pid: the script only), then check.
bad=0
run_and_signal() {
    local name=$1 sig=$2 target=$3 delay=$4 sid rc left procs
    shift 4
    "$CTT_PYTHON" - "$W/$name.pid" "$@" >"$W/$name.log" 2>&1 <<'PY' &
import os, signal, subprocess, sys
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
    signal.signal(s, signal.SIG_DFL)
p = subprocess.Popen(sys.argv[2:], start_new_session=True)
open(sys.argv[1], "w").write("%d\n" % p.pid)
rc = p.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
PY
    local runner=$!
    wait_until 5 test -s "$W/$name.pid" || { ctt_log "$name: did not start"; bad=$((bad + 1)); return; }
    sid=$(cat "$W/$name.pid")
    sleep "$delay"
    if [[ $target == group ]]; then
        kill -"$sig" -- "-$sid" 2>/dev/null || true
    else
        kill -"$sig" "$sid" 2>/dev/null || true
    fi
    rc=0
    wait "$runner" || rc=$?
    sleep 0.3
    left=$(ip netns list | awk '{print $1}' | grep -e "-$sid-" -e "^ctt-int-$sid\$" || true)
    # zombies wait for PID 1, which reaps slowly here (TESTING.md): not ours to count
    procs=$(ps -o pid=,stat=,args= -s "$sid" | awk '$2 !~ /^Z/' || true)
    if [[ -n "$left" || -n "$procs" ]]; then
        ctt_log "WRONG $name ($sig to $target): exit $rc; namespaces left: [${left//$'\n'/ }] processes left: [${procs//$'\n'/; }]"
        tail -5 "$W/$name.log" >&2
        bad=$((bad + 1))
        # clean up after the script under test (only what it made)
        [[ -z "$procs" ]] || awk '{print $1}' <<<"$procs" | xargs -r kill -KILL
        for ns in $left; do ip netns del "$ns" || true; done
    else
        ctt_log "ok $name ($sig to $target after ${delay}s): exit $rc, nothing left"
    fi
}

for sig in INT TERM; do
    for target in group pid; do
        # fill-namespace.sh names its namespace itself: give it one with our marker
        # shellcheck disable=SC2016 # $1 and $$ belong to the inner shell
        run_and_signal "fill-$sig-$target" "$sig" "$target" "$delay" \
            bash -c 'exec bash "$1" "ctt-int-$$"' sh "$HERE/fill-namespace.sh"
        run_and_signal "diff-$sig-$target" "$sig" "$target" "$delay" \
            env CTD_DUMP="$W/same" bash "$HERE/differential.sh"
        # mid-fill, and while holding (--hold)
        run_and_signal "run-$sig-$target" "$sig" "$target" 0.7 \
            env CTD_NO_BUILD=1 bash "$TOP/scripts/run.sh"
        run_and_signal "run-hold-$sig-$target" "$sig" "$target" "$delay" \
            env CTD_NO_BUILD=1 bash "$TOP/scripts/run.sh" --hold
    done
done
if ((bad)); then
    ctt_log "$bad case(s) left something behind"
    exit 1
fi
ctt_log "interrupt self-test: every script cleaned up"
