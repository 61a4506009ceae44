#!/bin/bash
# sync-loss-runs.sh N ARGS...: sync-loss.sh ARGS, N times; fails unless every run passes.
set -uo pipefail
runs=$1
shift
here=$(dirname "${BASH_SOURCE[0]}")
passed=0
for ((i = 1; i <= runs; i++)); do
    "$here/sync-loss.sh" "$@"
    rc=$?
    ((rc == 77)) && exit 77
    ((rc == 0)) && passed=$((passed + 1))
    echo "run $i/$runs: $([[ $rc == 0 ]] && echo converged || echo FAILED)" >&2
done
echo "RESULT: $passed of $runs runs converged" >&2
((passed == runs))
