#!/bin/bash
# Authorization of every Table, Expectations and Stats method against the real ctd, as
# root, nobody (65534) and daemon (1), per data/polkit/org.netfilter.conntrack1.policy:
# root skips polkit; read-stats is yes for anyone; everything else is auth_admin(_keep),
# so nobody is denied naming the action; a JS rule grants group daemon read-table only.
# Denied calls change nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/table-lib.sh"
table_setup "$@"
conntrack -I -p udp -s 192.0.2.10 -d 198.18.0.10 --sport 1000 --dport 53 -t 300 >/dev/null 2>&1
conntrack -I -p tcp -s 192.0.2.11 -d 198.18.0.10 --sport 1000 --dport 80 -t 300 --state ESTABLISHED >/dev/null 2>&1
start_bus
cat >"$T/50-daemon-read.rules" <<'RULES'
polkit.addRule(function(action, subject) {
    if (action.id == "org.netfilter.conntrack1.read-table" && subject.isInGroup("daemon"))
        return polkit.Result.YES;
});
RULES
start_polkit "$T/50-daemon-read.rules"
install_activation --idle-timeout 0
chmod 755 "$T"
printf -- '-A -t 300 -s 192.0.2.12 -d 198.18.0.10 -p udp --sport 1 --dport 2\n' >"$T/one.save"
chmod 644 "$T/one.save"

# who OBJECT METHOD ARGS...: the call as that user, fd 3 a pipe we drain, fd 4 the save file.
as() {
    local who=$1 object=$2
    shift 2
    local run=()
    case $who in
    nobody) run=(setpriv --reuid=65534 --regid=65534 --clear-groups) ;;
    daemon) run=(setpriv --reuid=1 --regid=1 --clear-groups) ;;
    esac
    "${run[@]}" "$BUS_CLIENT" --timeout 60 "$ROOT_PATH/$object" "org.netfilter.Conntrack1.$object" "$@" \
        3> >(cat >/dev/null) 4<"$T/one.save" 2>&1
}
# check WHO ACTION OBJECT METHOD ARGS...: ACTION "-" means allowed.
check() {
    local who=$1 action=$2 object=$3 method=$4
    shift 4
    local before after out
    before=$(conntrack -L -o save 2>/dev/null | sed -E 's/-t [0-9]+ //' | sort)
    out=$(as "$who" "$object" "$method" "$@")
    if [ "$action" = - ]; then
        if printf '%s' "$out" | grep -q "AccessDenied"; then
            fail "$object.$method as $who must be allowed: $out"
        else
            ok "$object.$method as $who is allowed (${out%%$'\n'*})"
        fi
    else
        expect "$object.$method as $who is denied naming $action" \
            "^error org\.freedesktop\.DBus\.Error\.AccessDenied: $object\.$method requires polkit action org\.netfilter\.conntrack1\.$action" "$out"
        after=$(conntrack -L -o save 2>/dev/null | sed -E 's/-t [0-9]+ //' | sort)
        [ "$before" = "$after" ] || fail "...but the table changed"
    fi
}
CREATE="dict:protocol=s:udp;src=s:192.0.2.20;dst=s:198.18.0.10;sport=q:7;dport=q:8;timeout=u:300"
GET="dict:protocol=s:udp;src=s:192.0.2.10;dst=s:198.18.0.10;sport=q:1000;dport=q:53"
for who in nobody daemon root; do
    read_action=read-table
    [ "$who" = daemon ] && read_action=-
    [ "$who" = root ] && read_action=-
    deny() { if [ "$who" = root ]; then echo -; else echo "$1"; fi; }
    check $who $read_action Table List dict: s:plain fd:3
    check $who $read_action Table Get "$GET" s:plain fd:3
    check $who $read_action Table CountMatching "dict:protocol=s:udp"
    check $who "$(deny watch-events)" Table Watch dict: s:plain fd:3
    check $who "$(deny modify-entries)" Table Create "$CREATE" s: fd:3
    check $who "$(deny modify-entries)" Table Update "dict:protocol=s:udp;dport=q:8" "dict:mark=u:5" s: fd:3
    check $who "$(deny modify-entries)" Table Load fd:4 s:save dict:
    check $who "$(deny modify-entries)" Table Delete "dict:protocol=s:udp;dport=q:8" s:plain fd:3
    check $who "$(deny flush-table)" Table Delete dict: s: fd:3
    check $who "$(deny flush-table)" Table Flush "dict:protocol=s:udp"
    check $who $read_action Expectations List dict: s:plain fd:3
    check $who $read_action Expectations CountMatching dict:
    check $who "$(deny watch-events)" Expectations Watch dict: s:plain fd:3
    check $who "$(deny flush-table)" Expectations Flush dict:
    for m in GetKernelPerCpu GetKernelGlobal GetService Metrics; do
        check $who - Stats $m
    done
done
[ "$(conntrack -C)" = 0 ] && ok "root's Delete {} emptied the table" || fail "table not empty after root's Delete {}"
finish
