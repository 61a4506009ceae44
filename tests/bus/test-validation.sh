#!/bin/bash
# Validation comes before authorization: bad arguments from an unprivileged caller get
# InvalidArgument naming the key (polkit is never asked), and nothing is applied. Output
# fds are checked (pipes and stream sockets only, open for writing).
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
start_bus
start_polkit
install_activation --idle-timeout 30
TABLE=org.netfilter.Conntrack1.Table

nobody_call() { # PATH_SUFFIX METHOD ARGS...
    local path=$ROOT_PATH$1 method=$2; shift 2
    as_nobody gdbus call --system --dest $NAME --object-path "$path" --method "$method" "$@" 2>&1
}

out=$(nobody_call /Table $TABLE.CountMatching "{'dport': <uint16 22>}")
expect "port without protocol" "Error\.InvalidArgument: query key 'dport': needs 'protocol'" "$out"
out=$(nobody_call /Table $TABLE.CountMatching "{'bogus': <true>}")
expect "unknown key" "InvalidArgument: unknown query key 'bogus'" "$out"
out=$(nobody_call /Table $TABLE.CountMatching "{'mark': <'1'>}")
expect "wrong type" "InvalidArgument: query key 'mark': expected type 'u', got 's'" "$out"
out=$(nobody_call /Table $TABLE.Flush "{'src': <'192.0.2.0/40'>}")
expect "bad CIDR on Flush" "InvalidArgument: query key 'src': '192.0.2.0/40' is not an address or CIDR prefix" "$out"
# A key the expectation table cannot match is refused, not ignored (it would widen a Flush).
out=$(nobody_call /Expectations org.netfilter.Conntrack1.Expectations.Flush "{'mark': <uint32 5>}")
expect "mark on the expectation table" "InvalidArgument: mark: not a filter of the expectation table" "$out"
out=$(nobody_call /Expectations org.netfilter.Conntrack1.Expectations.CountMatching "{'status': <['ASSURED']>}")
expect "status on the expectation table" "InvalidArgument: status: not a filter of the expectation table" "$out"
out=$(nobody_call "" org.netfilter.Conntrack1.Manager.Stop "{'force': <true>}")
expect "unknown option on Stop" "InvalidArgument: unknown option 'force'" "$out"
out=$(nobody_call /Table $TABLE.CountMatching "{'protocol': <'tcp'>, 'dport': <uint16 22>}")
expect "a valid query from nobody reaches polkit and is denied" \
    "AccessDenied: Table\.CountMatching requires polkit action org\.netfilter\.conntrack1\.read-table" "$out"

# bus_client passes fds (busctl and gdbus cannot): fd:3 sends its fd 3.
bcall() { "$BUS_CLIENT" $ROOT_PATH/Table $TABLE "$@" 2>&1; }
echo data >"$T/regular"
out=$(bcall List dict: s:plain fd:3 3>"$T/regular")
expect "regular file as output fd" "InvalidArgument: output fd: only pipes and stream sockets" "$out"
out=$( { bcall List dict: s:plain fd:3 3<&0; } < <(sleep 5) )
expect "read end of a pipe as output fd" "InvalidArgument: output fd: not open for writing" "$out"
out=$(bcall List dict: s:yaml fd:3 3> >(cat >/dev/null))
expect "unknown format word" "InvalidArgument: format: unknown word 'yaml'" "$out"
out=$(bcall List dict: s:default fd:3 3> >(cat >/dev/null))
expect "format 'default' rejected like conntrack" "'default' is rejected" "$out"
out=$(bcall List "dict:table=s:expect" s:plain fd:3 3> >(cat >/dev/null))
expect "bad table" "query key 'table': must be conntrack, dying or unconfirmed" "$out"
out=$(bcall Load fd:3 s:plain dict: 3<"$T/regular")
expect "Load takes only save format" "InvalidArgument: format: Load reads only 'save'" "$out"
out=$(bcall Create "dict:src=s:192.0.2.1;dst=s:192.0.2.2" s: fd:3 3> >(cat >/dev/null))
expect "Create without protocol" "entry key 'protocol': required" "$out"
out=$(bcall Update "dict:protocol=s:udp" dict: s: fd:3 3> >(cat >/dev/null))
expect "Update with no changes" "changes: nothing to change" "$out"
out=$(as_nobody "$BUS_CLIENT" $ROOT_PATH/Table $TABLE Watch "dict:events=as:new|gone" s:plain fd:3 3> >(cat >/dev/null))
expect "Watch with a bad event, as nobody" "InvalidArgument: query key 'events': unknown event 'gone'" "$out"
out=$(as_nobody "$BUS_CLIENT" $ROOT_PATH/Table $TABLE Delete dict: s: fd:3 3> >(cat >/dev/null))
expect "Delete with an empty query needs flush-table" \
    "AccessDenied: Table\.Delete requires polkit action org\.netfilter\.conntrack1\.flush-table" "$out"
out=$(as_nobody "$BUS_CLIENT" $ROOT_PATH/Table $TABLE Delete "dict:protocol=s:udp" s: fd:3 3> >(cat >/dev/null))
expect "Delete with a query needs modify-entries" \
    "AccessDenied: Table\.Delete requires polkit action org\.netfilter\.conntrack1\.modify-entries" "$out"
# A valid List from root passes validation and authorization and reaches the backend; the
# service closes its copy of the pipe, so the reader sees EOF (the command substitution
# returns).
out=$(bcall List "dict:protocol=s:tcp" s:plain fd:3 3> >(cat >"$T/list.out"))
expect "valid List as root reaches the table backend" "NotSupported: Table.List is not available|^ok [0-9]+" "$out"
out=$(busctl get-property $NAME $ROOT_PATH/Table $TABLE Count 2>&1)
expect "Count property is public and answers" "^t [0-9]+$" "$out"
out=$(as_nobody busctl get-property $NAME $ROOT_PATH/Table $TABLE Max 2>&1)
expect "Max property as nobody" "^t [0-9]+$" "$out"
finish
