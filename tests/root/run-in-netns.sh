#!/bin/bash
# Runs COMMAND inside a throwaway network namespace (deleted on any exit); exits 77 so
# meson shows SKIP when not root or when conntrack/ip are missing.
#   tests/root/run-in-netns.sh COMMAND [ARGS...]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root_or_skip conntrack ip
make_netns ctnl ns
set +e
CTD_TEST_NETNS=$ns ip netns exec "$ns" "$@"
rc=$?
set -e
exit $rc
