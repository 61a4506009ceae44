#!/bin/bash
# The README's "run it for real" command:
#
#   sudo scripts/run.sh
#
# 1. installs the Debian packages that are missing (scripts/install-deps.sh),
# 2. builds with meson into ./build (CTD_BUILDDIR to change) if needed,
# 3. makes a throwaway network namespace with a few live connections: TCP and UDP from a
#    client namespace over veth through an nft ruleset with conntrack, DNAT, masquerade,
#    SNAT, ct mark and ct label (tests/root/fill-namespace.sh --light),
# 4. shows that namespace's conntrack table with build/tests/tools/ctdump (the core in
#    process) in the default, extended and json formats,
# 5. runs the service for real inside the namespace (scripts/demo-service.sh): a private
#    system bus, polkitd with the project's policy, ctd by bus activation, then ctctl
#    status/list/watch, the conntrack drop-in, and a call polkit denies,
# 6. deletes everything it made on exit (also on failure or Ctrl-C).
# It never touches the host's conntrack table, /etc or /usr (labels are named through a
# private mount namespace). About 2 s after the build.
#   scripts/run.sh --hold    # keep the namespace until Ctrl-C, to explore it with
#                            # ip netns exec NS conntrack ... / ctdump ...
# CTD_NO_BUILD=1 skips steps 1-2 (use an existing build directory as it is).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
builddir=${CTD_BUILDDIR:-build}
hold=0
case ${1:-} in
--hold) hold=1 ;;
"") ;;
*)
    echo "usage: $0 [--hold]" >&2
    exit 2
    ;;
esac

# shellcheck source-path=SCRIPTDIR source=../tests/root/fill-namespace.sh
. "$top/tests/root/fill-namespace.sh" # also sources lib.sh: cleanup trap on EXIT INT TERM

say() { printf '\n== %s\n' "$*"; }

if [[ -z "${CTD_NO_BUILD:-}" ]]; then
    bash "$top/scripts/install-deps.sh"
    if [[ ! -f "$builddir/build.ninja" ]]; then
        say "meson setup $builddir"
        meson setup "$builddir"
    fi
    say "ninja -C $builddir"
    ninja -C "$builddir"
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "run.sh: the demo needs root (network namespaces); built in $builddir" >&2
    exit 1
fi
for t in ip nft conntrack unshare; do
    command -v "$t" >/dev/null || { echo "run.sh: $t missing" >&2; exit 1; }
done

say "throwaway namespace with live connections"
make_netns ctd-run NS
fill_namespace --light "$NS"
echo "namespace $NS (client side: $CTT_FILL_CLIENT_NS), $(ct_count "$NS") conntrack entries:"
echo "  TCP 192.0.2.2 -> 192.0.2.1:5001 (ct mark 0x2a, label ctt-web), TCP DNAT :80 -> 198.18.0.1:8080,"
echo "  UDP DNAT :53 -> 198.18.0.1:5353 (mark 0x7, label ctt-dns), TCP masquerade and UDP SNAT"
echo "  from 198.18.0.1 to the client, accounting and timestamps on."

ctdump=$top/$builddir/tests/tools/ctdump
[[ $builddir == /* ]] && ctdump=$builddir/tests/tools/ctdump
if [[ -x "$ctdump" ]]; then
    for fmt in default extended json; do
        args=(-L conntrack)
        [[ $fmt == default ]] || args+=(-o "$fmt")
        say "ctdump ${args[*]}"
        with_label_map ip netns exec "$NS" "$ctdump" "${args[@]}" ||
            echo "(ctdump ${args[*]} failed: exit $?)"
    done
else
    say "build/tests/tools/ctdump is not built yet: showing the table with conntrack instead"
    for fmt in default extended,labels; do
        args=(-L)
        [[ $fmt == default ]] || args+=(-o "$fmt")
        say "conntrack ${args[*]}"
        with_label_map ip netns exec "$NS" conntrack "${args[@]}"
    done
fi
ctd=$top/$builddir/service/ctd
ctctl=$top/$builddir/ctl/ctctl
[[ $builddir == /* ]] && ctd=$builddir/service/ctd ctctl=$builddir/ctl/ctctl
if [[ -x "$ctd" && -x "$ctctl" ]]; then
    say "the service: private bus + polkitd + ctd + ctctl, all inside $NS"
    # nsenter, not ip netns exec: the latter remounts /sys without the cgroup tree, and
    # busctl then cannot read a peer's credentials (ENOMEDIUM).
    nsenter --net="/run/netns/$NS" env CTD="$ctd" CTCTL="$ctctl" CTD_SOURCE_ROOT="$top" CTD_BUS_NETNS=1 \
        bash "$top/scripts/demo-service.sh" || echo "(the service demo failed: exit $?)"
    say "the sync engine: ctd and conntrackd 1.4.7 as a pair, both ways"
    CTD="$ctd" CTCTL="$ctctl" bash "$top/scripts/demo-sync.sh" || echo "(the sync demo failed: exit $?)"
else
    say "ctd or ctctl is not built (needs libsystemd and sdbus-c++): service demo skipped"
fi
if ((hold)); then
    say "holding $NS; try: ip netns exec $NS conntrack -L -o extended   (Ctrl-C ends)"
    while :; do
        sleep 3600 &
        CTT_PIDS+=("$!")
        wait "$!" || true
    done
fi
say "cleaning up $NS"
