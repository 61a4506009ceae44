#!/bin/bash
# The service half of scripts/run.sh, run inside the demo's network namespace:
# a private system bus, a real polkitd with the project's policy, ctd started by bus
# activation, and ctctl and the conntrack drop-in talking to it. Everything it starts is
# killed on exit (tests/bus/lib.sh's harness).
#   CTD=build/service/ctd CTCTL=build/ctl/ctctl CTD_SOURCE_ROOT=. CTD_BUS_NETNS=1 \
#       nsenter --net=/run/netns/NS scripts/demo-service.sh
set -u
: "${CTCTL:?CTCTL must point at the built ctctl}"
# shellcheck source=../tests/bus/lib.sh
. "$CTD_SOURCE_ROOT/tests/bus/lib.sh"
bus_setup "$@"

say() { printf '\n== %s\n' "$*"; }

start_bus
start_polkit
install_activation --idle-timeout 0
mkdir -p "$T/compat"
ln -s "$CTCTL" "$T/compat/conntrack"
chmod -R a+rX "$T/compat"

say "ctctl status    (the first call starts ctd through bus activation)"
"$CTCTL" --no-ask-password status
say "ctctl list --protocol tcp"
"$CTCTL" --no-ask-password list --protocol tcp
say "conntrack -L -p udp -o extended    (the drop-in: ctctl under the name conntrack)"
"$T/compat/conntrack" -L -p udp -o extended
say "ctctl watch, while conntrack creates and deletes an entry"
"$CTCTL" --no-ask-password watch >"$T/watch.out" 2>&1 &
watcher=$!
sleep 0.5
conntrack -I -p udp -s 192.0.2.77 -d 198.18.7.7 --sport 7 --dport 7 -t 30 >/dev/null 2>&1
conntrack -D -p udp -s 192.0.2.77 -d 198.18.7.7 --sport 7 --dport 7 >/dev/null 2>&1
sleep 0.5
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
cat "$T/watch.out"
say "ctctl list as user nobody    (polkit: org.netfilter.conntrack1.read-table needs an administrator)"
as_nobody "$CTCTL" --no-ask-password list
echo "(exit status $?)"
say "ctctl version    (ctd runs as pid $(ctd_pid); it is killed when the demo ends)"
"$CTCTL" --no-ask-password version
exit 0
