#!/usr/bin/env bash
# The README's test command: installs what is missing (as root), builds, runs every suite.
# Not root: builds and runs what it can; the bus and root suites SKIP (exit 77).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=${CTD_BUILDDIR:-build}

# Not root: nothing can be installed; build and test with what is there.
bash scripts/install-deps.sh || [ "$(id -u)" -ne 0 ]

if [ -f "$builddir/build.ninja" ]; then
    meson setup --reconfigure "$builddir" >/dev/null
else
    meson setup "$builddir"
fi
ninja -C "$builddir"

status=0
meson test -C "$builddir" --print-errorlogs --num-processes "$(nproc)" "$@" || status=$?

# A plain closing line that CI and humans read the same way.
python3 - "$builddir/meson-logs/testlog.json" <<'PY' || true
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "ERROR": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0}
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        r = json.loads(line).get("result", "ERROR")
        counts[r] = counts.get(r, 0) + 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"]
print(f"{passed} passed, {failed} failed, {counts['SKIP']} skipped")
PY
exit "$status"
