#!/bin/bash
# The real ctd over a real table in a throwaway namespace filled by
# tests/root/fill-namespace.sh (live connections, NAT, helpers, zones, labels) plus
# entries made by conntrack -I:
#  - List through a pipe is what ctdump (core, in process) and conntrack -L print, in
#    every format (compared sorted, timeouts +-1, by tests/root/ctcompare.py);
#  - Get/Update/Delete print what conntrack -G/-U/-D print; Create makes what -I makes;
#  - every query shape deletes exactly what conntrack -L with the same filter shows,
#    through Delete and Flush, and a family ipv6 Flush leaves ipv4 alone;
#  - Watch streams what conntrack -E prints at the same time;
#  - Load of a 10k-line save file gives the same table, bad lines counted not fatal,
#    a second Load of it changes nothing and fails nothing (as conntrack -R);
#  - Count, Max, CountMatching, Stats and Metrics agree with the kernel;
#  - Expectations.List is conntrack -L expect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/table-lib.sh"
: "${CTFILL:?CTFILL must point at the built ctfill}"
table_setup "$@"
# shellcheck source=../root/fill-namespace.sh
. "$ROOT_TESTS/fill-namespace.sh"
fill_namespace "$NS" >"$T/fill.log" 2>&1 || { fail "fill_namespace: $(tail -5 "$T/fill.log")"; finish; }
start_bus
start_polkit
install_activation --idle-timeout 0

# Entries of known shapes for Get/Update and the delete shapes below (192.0.2.0/24,
# 198.18.0.0/15, 2001:db8::/32 only).
ins() { conntrack -I "$@" >/dev/null 2>&1 || fail "conntrack -I $*"; }
for i in 1 2 3; do
    ins -p udp -s 192.0.2.$((100 + i)) -d 198.18.5.1 --sport $((2000 + i)) --dport 5300 -t 500
    ins -p tcp -s 198.18.7.$i -d 192.0.2.9 --sport $((3000 + i)) --dport 443 -t 500 --state ESTABLISHED -u ASSURED
    ins -p tcp -s 2001:db8:7::$i -d 2001:db8::9 --sport $((4000 + i)) --dport 22 -t 500 --state ESTABLISHED
    ins -p udp -s 192.0.2.$((110 + i)) -d 198.18.5.2 --sport $((5000 + i)) --dport 6000 -t 500 -m $((0x10 + i))
    ins -p tcp -s 192.0.2.$((120 + i)) -d 198.18.5.3 --sport $((6000 + i)) --dport 80 -t 500 --state SYN_RECV
    ins -p udp -s 192.0.2.$((130 + i)) -d 198.18.5.4 --sport $((7000 + i)) --dport 7 -t 500 --zone 9
    ins -p udp -s 2001:db8:8::$i -d 2001:db8::8 --sport $((8000 + i)) --dport 53 -t 500
    ins -p udp -s 192.0.2.$((160 + i)) -d 198.18.5.7 --sport $((9200 + i)) --dport 6100 -t 500
    ins -p tcp -s 192.0.2.$((150 + i)) -d 198.18.5.6 --sport $((9100 + i)) --dport 25 -t 500 --state ESTABLISHED -u ASSURED
done
wait_table_stable "$NS" 10 || true

# --- List in every format.
for fmt in plain extended xml save json extended,id labels,id ktimestamp xml,id,labels; do
    cfmt=$fmt; [ "$fmt" = plain ] && cfmt=
    out=$(tcall_to "$T/list.$fmt" List dict: "s:$fmt" fd:3)
    settle
    "$CTDUMP" ${cfmt:+-o "$cfmt"} >"$T/ctdump.$fmt" 2>/dev/null
    expect "List $fmt replies with the count" "^ok $(conntrack -C)$" "$out"
    if [ "$fmt" = json ]; then
        # ctcompare masks the text formats' timeouts; JSON's by hand.
        sed -i -E 's/"timeout":[0-9]+/"timeout":T/' "$T/ctdump.$fmt" "$T/list.$fmt"
    else
        conntrack -L ${cfmt:+-o "$cfmt"} >"$T/conntrack.$fmt" 2>/dev/null
        compare "List $fmt = conntrack -L -o '$cfmt'" "$T/conntrack.$fmt" "$T/list.$fmt"
    fi
    compare "List $fmt = ctdump -o '$cfmt'" "$T/ctdump.$fmt" "$T/list.$fmt"
done
out=$(tcall_to "$T/list.q" List "dict:protocol=s:udp;dport=q:5300" s:extended fd:3)
settle
conntrack -L -p udp --dport 5300 -o extended >"$T/conntrack.q" 2>/dev/null
expect "filtered List counts the matches" "^ok 3$" "$out"
compare "filtered List = conntrack -L -p udp --dport 5300" "$T/conntrack.q" "$T/list.q"
conntrack -L expect >"$T/conntrack.expect" 2>/dev/null
bc $ROOT_PATH/Expectations org.netfilter.Conntrack1.Expectations List dict: s:plain fd:3 \
    3> >(cat >"$T/list.expect") >/dev/null
settle
[ -s "$T/conntrack.expect" ] && compare "Expectations.List = conntrack -L expect" "$T/conntrack.expect" "$T/list.expect" ||
    fail "the filled namespace has no expectation"

# --- Count, Max, CountMatching, Stats.
prop() { call /Table org.freedesktop.DBus.Properties.Get $TABLE "$1" | grep -Eo '[0-9]+>' | tr -d '>'; }
[ "$(prop Count)" = "$(conntrack -C)" ] && ok "Count = conntrack -C" || fail "Count $(prop Count) vs $(conntrack -C)"
[ "$(prop Max)" = "$(sysctl -n net.netfilter.nf_conntrack_max)" ] && ok "Max = nf_conntrack_max" || fail "Max $(prop Max)"
n=$(conntrack -L -p tcp --dport 443 2>/dev/null | wc -l)
expect "CountMatching = conntrack -L | wc -l" "^ok $n$" "$(bc $ROOT_PATH/Table $TABLE CountMatching "dict:protocol=s:tcp;dport=q:443")"
out=$(call /Stats org.netfilter.Conntrack1.Stats.GetKernelPerCpu)
expect "GetKernelPerCpu has conntrack -S's counters" "'clash_resolve'.*'cpu': <?(uint64 )?0.*'found'" "$out"
expect "...and conntrack -S expect's" "'expect_create'.*'expect_delete'.*'expect_new'" "$out"
out=$(call /Stats org.netfilter.Conntrack1.Stats.GetKernelGlobal)
expect "GetKernelGlobal entries = conntrack -C" "'entries': <?(uint64 )?$(conntrack -C)>?" "$out"
out=$(call /Stats org.netfilter.Conntrack1.Stats.Metrics)
expect "Metrics in Prometheus text" "ctd_conntrack_entries [0-9]+.*ctd_service_calls_total [0-9]+" "$out"

# --- Get, as conntrack -G prints it.
tuple="protocol=s:tcp;src=s:198.18.7.1;dst=s:192.0.2.9;sport=q:3001;dport=q:443"
for fmt in plain extended xml save extended,id; do
    cfmt=$fmt; [ "$fmt" = plain ] && cfmt=
    out=$(tcall_to "$T/get.$fmt" Get "dict:$tuple" "s:$fmt" fd:3)
    settle
    conntrack -G -p tcp -s 198.18.7.1 -d 192.0.2.9 --sport 3001 --dport 443 ${cfmt:+-o "$cfmt"} >"$T/cget.$fmt" 2>/dev/null
    expect "Get $fmt finds it" "^ok 1$" "$out"
    compare "Get $fmt = conntrack -G" "$T/cget.$fmt" "$T/get.$fmt"
done
expect "Get of an absent tuple is NotFound" "^error org\.netfilter\.Conntrack1\.Error\.NotFound" \
    "$(tcall_to /dev/null Get "dict:protocol=s:tcp;src=s:198.18.7.1;dst=s:192.0.2.9;sport=q:1;dport=q:443" s:plain fd:3)"
id=$(conntrack -G -p tcp -s 198.18.7.1 -d 192.0.2.9 --sport 3001 --dport 443 -o id 2>/dev/null | grep -Eo 'id=[0-9]+' | cut -d= -f2)
out=$(tcall_to "$T/getid" Get "dict:id=u:$id" s:extended fd:3)
settle
expect "Get by id" "^ok 1$" "$out"
# By id there is no tuple to GET: the entry comes from a table walk, as -L shows it.
conntrack -L -p tcp -s 198.18.7.1 -d 192.0.2.9 --sport 3001 --dport 443 -o extended >"$T/lid" 2>/dev/null
compare "...prints the entry as conntrack -L does" "$T/lid" "$T/getid"

# --- Create: nothing printed (conntrack -I prints nothing); the entry is there.
out=$(tcall_to "$T/create" Create "dict:protocol=s:udp;src=s:192.0.2.200;dst=s:198.18.5.9;sport=q:1200;dport=q:1300;timeout=u:400;mark=u:77" s: fd:3)
settle
expect "Create" "^ok$" "$out"
[ ! -s "$T/create" ] && ok "...writes nothing" || fail "Create wrote $(cat "$T/create")"
expect "...the entry is in the table" "mark=77" "$(conntrack -G -p udp -s 192.0.2.200 -d 198.18.5.9 --sport 1200 --dport 1300 2>/dev/null)"
expect "Create of an existing entry is Exists" "^error org\.netfilter\.Conntrack1\.Error\.Exists" \
    "$(tcall_to /dev/null Create "dict:protocol=s:udp;src=s:192.0.2.200;dst=s:198.18.5.9;sport=q:1200;dport=q:1300;timeout=u:400" s: fd:3)"

# --- Update. conntrack 1.4.7 -U fails on this kernel (EOPNOTSUPP), so its output cannot
# be recorded; what it prints is a GET of each entry after the update (conntrack.c
# update_cb), which is what conntrack -G prints right after ours.
gets() { # PREFIX FORMAT: conntrack -G of the three dport 6100 entries
    local i
    for i in 1 2 3; do
        conntrack -G -p udp -s 192.0.2.$((160 + i)) -d 198.18.5.7 --sport $((9200 + i)) --dport 6100 ${2:+-o "$2"} 2>/dev/null
    done
}
out=$(tcall_to "$T/update" Update "dict:protocol=s:udp;dport=q:6100" "dict:mark=u:$((0x66))" s:plain fd:3)
settle
gets "" "" >"$T/cupdate"
expect "Update counts the entries" "^ok 3$" "$out"
expect "...sets the mark" "mark=$((0x66)) " "$(cat "$T/update")"
compare "Update prints the updated entries as conntrack -G does" "$T/cupdate" "$T/update"
out=$(tcall_to "$T/update2" Update "dict:protocol=s:udp;dport=q:6100" "dict:mark=u:1;mark-mask=u:1" s:extended fd:3)
settle
gets "" extended >"$T/cupdate2"
expect "masked mark Update" "^ok 3$" "$out"
expect "...sets only the masked bit" "mark=$((0x67)) " "$(cat "$T/update2")"
compare "...and prints the updated entries" "$T/cupdate2" "$T/update2"
out=$(tcall_to "$T/update3" Update "dict:protocol=s:udp;dport=q:6100" "dict:mark=u:1;mark-mask=u:1" s:extended fd:3)
expect "an Update that changes nothing is NotFound, as conntrack -U skips unchanged entries" \
    "^error org\.netfilter\.Conntrack1\.Error\.NotFound" "$out"
out=$(tcall_to /dev/null Update "dict:protocol=s:udp;dport=q:6100" "dict:status=as:ASSURED;timeout=u:777;labels-add=as:ctt-web" s: fd:3)
expect "Update of status, timeout and labels" "^ok 3$" "$out"
expect "...applied" "udp +17 77[67] .*\[ASSURED\].*labels=ctt-web" "$(conntrack -L -p udp --dport 6100 -o labels 2>/dev/null)"
expect "Update that matches nothing is NotFound" "^error org\.netfilter\.Conntrack1\.Error\.NotFound" \
    "$(tcall_to /dev/null Update "dict:protocol=s:udp;dport=q:1" "dict:mark=u:1" s: fd:3)"

# --- Watch next to conntrack -E while the table changes.
watch_start() { # FORMAT FILE: a Watch whose reader we can stop
    mkfifo "$2.fifo"
    cat "$2.fifo" >"$2" &
    WATCH_READERS+=($!)
    expect "Watch $1 returns at once" "^ok$" "$(bc $ROOT_PATH/Table $TABLE Watch dict: "s:$1" fd:3 3>"$2.fifo")"
}
WATCH_READERS=()
for fmt in plain extended xml save; do
    cfmt=$fmt; [ "$fmt" = plain ] && cfmt=
    conntrack -E ${cfmt:+-o "$cfmt"} >"$T/cevents.$fmt" 2>/dev/null &
    WATCH_READERS+=($!)
    watch_start "$fmt" "$T/events.$fmt"
done
sleep 0.5
ins -p udp -s 192.0.2.210 -d 198.18.5.10 --sport 1 --dport 2 -t 300
ins -p tcp -s 192.0.2.211 -d 198.18.5.10 --sport 1 --dport 2 -t 300 --state ESTABLISHED
conntrack -U -p udp -s 192.0.2.210 -m 9 >/dev/null 2>&1
conntrack -D -p tcp -s 192.0.2.211 >/dev/null 2>&1
tcall_to /dev/null Delete "dict:protocol=s:udp;src=s:192.0.2.210" s: fd:3 >/dev/null
sleep 1
for pid in "${WATCH_READERS[@]}"; do kill "$pid" 2>/dev/null; done
wait "${WATCH_READERS[@]}" 2>/dev/null
for fmt in plain extended xml save; do
    # progname= is conntrack -E's guess from /proc at print time (the process that caused
    # the event may be gone by then): masked on both sides.
    sed -i -E 's/ progname=[^ ]+//' "$T/cevents.$fmt" "$T/events.$fmt"
    # conntrack -E closes its XML document when it is killed; a Watch cannot know when
    # its reader goes, so it never does.
    sed -i '/^<\/conntrack>$/d' "$T/cevents.$fmt"
    [ "$(grep -c . "$T/events.$fmt")" -ge 5 ] && ok "Watch $fmt saw the events" || fail "Watch $fmt: $(cat "$T/events.$fmt")"
    compare "Watch $fmt = conntrack -E" "$T/cevents.$fmt" "$T/events.$fmt"
done
expect "Watch events carry [USERSPACE] portid like conntrack -E" "\[USERSPACE\] portid=[0-9]+" "$(cat "$T/events.plain")"

# --- Delete: every query shape deletes exactly what conntrack -L with the same filter shows.
mask() { sed -E 's/^([a-z0-9]+ +[0-9]+ +[a-z0-9]+ +[0-9]+ )[0-9]+ /\1T /; s/ delta-time=[0-9]+//; s/ labels=[^ ]+//' | LC_ALL=C sort; }
shape() { # DESCRIPTION BUS_QUERY CONNTRACK_FILTER...
    local what=$1 query=$2
    shift 2
    conntrack -L -o extended >"$T/before" 2>/dev/null
    # conntrack -D prints no labels (Command::Delete); -L with -l does.
    conntrack -L -o extended "$@" 2>/dev/null | sed -E 's/ labels=[^ ]+//' >"$T/want"
    local n
    n=$(grep -c . "$T/want")
    [ "$n" -gt 0 ] || { fail "delete $what: nothing to delete (test setup)"; return; }
    out=$(tcall_to "$T/deleted" Delete "dict:$query" s:extended fd:3)
    settle
    expect "Delete $what: count $n" "^ok $n$" "$out"
    compare "Delete $what prints what it deleted (conntrack -D)" "$T/want" "$T/deleted"
    conntrack -L -o extended >"$T/after" 2>/dev/null
    if LC_ALL=C comm -23 <(mask <"$T/before") <(mask <"$T/want") | cmp -s - <(mask <"$T/after"); then
        ok "Delete $what deleted exactly the matches"
    else
        fail "Delete $what: table after differs: $(diff <(LC_ALL=C comm -23 <(mask <"$T/before") <(mask <"$T/want")) <(mask <"$T/after") | head -5)"
    fi
}
shape "-p udp --dport 5300" "protocol=s:udp;dport=q:5300" -p udp --dport 5300
shape "-s 198.18.7.0/24" "src=s:198.18.7.0/24" -s 198.18.7.0/24
shape "-f ipv6 -p tcp" "family=s:ipv6;protocol=s:tcp" -f ipv6 -p tcp
shape "-m 0x10/0xf0" "mark=u:16;mark-mask=u:240" -m 0x10/0xf0
shape "-p tcp --state SYN_RECV" "protocol=s:tcp;state=s:SYN_RECV" -p tcp --state SYN_RECV
shape "--zone 9" "zone=q:9" --zone 9
shape "-p tcp --dst-nat" "protocol=s:tcp;nat=s:dnat" -p tcp --dst-nat
shape "-r 198.18.0.1 (the DNAT targets)" "reply-src=s:198.18.0.1" -r 198.18.0.1
shape "-u ASSURED -p tcp --dport 25" "status=as:ASSURED;protocol=s:tcp;dport=q:25" -u ASSURED -p tcp --dport 25
shape "-l ctt-five" "labels=as:ctt-five" -l ctt-five
shape "-p udp --src-nat" "protocol=s:udp;nat=s:snat" -p udp --src-nat
shape "-d 198.18.5.9 -p udp --sport 1200" "dst=s:198.18.5.9;protocol=s:udp;sport=q:1200" -d 198.18.5.9 -p udp --sport 1200
expect "Delete that matches nothing is NotFound" "^error org\.netfilter\.Conntrack1\.Error\.NotFound" \
    "$(tcall_to /dev/null Delete "dict:protocol=s:udp;dport=q:5300" s:plain fd:3)"

# --- Flush: family ipv6 leaves ipv4; a filtered flush; everything.
conntrack -L -f ipv4 -o extended 2>/dev/null | mask >"$T/v4.before"
n6=$(conntrack -L -f ipv6 2>/dev/null | grep -c .)
[ "$n6" -gt 0 ] || fail "no ipv6 entries to flush (test setup)"
out=$(bc $ROOT_PATH/Table $TABLE Flush "dict:family=s:ipv6")
expect "Flush family ipv6 counts $n6" "^ok $n6$" "$out"
[ "$(conntrack -L -f ipv6 2>/dev/null | grep -c .)" = 0 ] && ok "...no ipv6 entry left" || fail "ipv6 entries left"
conntrack -L -f ipv4 -o extended 2>/dev/null | mask | cmp -s - "$T/v4.before" && ok "...every ipv4 entry kept" || fail "Flush ipv6 changed ipv4"
conntrack -L -o extended 2>/dev/null | mask >"$T/before"
conntrack -L -o extended -p udp 2>/dev/null | mask >"$T/want"
out=$(bc $ROOT_PATH/Table $TABLE Flush "dict:protocol=s:udp")
expect "filtered Flush -p udp counts" "^ok $(grep -c . "$T/want")$" "$out"
LC_ALL=C comm -23 "$T/before" "$T/want" | cmp -s - <(conntrack -L -o extended 2>/dev/null | mask) &&
    ok "...deleted exactly the udp entries" || fail "filtered Flush deleted the wrong entries"

# --- Delete with an empty query prints everything, then the table is empty.
conntrack -L 2>/dev/null >"$T/all"
out=$(tcall_to "$T/deleted" Delete dict: s:plain fd:3)
settle
expect "Delete {} counts every entry" "^ok $(grep -c . "$T/all")$" "$out"
compare "...and prints them as conntrack -D does" "$T/all" "$T/deleted"
expect "Flush {} of an empty table" "^ok 0$" "$(bc $ROOT_PATH/Table $TABLE Flush dict:)"

# --- Load a 10k-line save file made by conntrack -L -o save.
ip netns exec "$NS" "$CTFILL" --count 10000 --timeout 3000 >/dev/null 2>&1 || "$CTFILL" --count 10000 --timeout 3000 >/dev/null
conntrack -L -o save >"$T/save" 2>/dev/null
lines=$(grep -c . "$T/save")
[ "$lines" -ge 10000 ] && ok "save file of $lines lines" || fail "save file has $lines lines"
conntrack -F >/dev/null 2>&1
{ cat "$T/save"; echo "-A this is not a save line"; head -c 100000 /dev/zero | tr '\0' x; echo; echo "-A -t 10 -p tcp --sport 1"; } >"$T/save.bad"
out=$(bc $ROOT_PATH/Table $TABLE Load fd:4 s:save dict: 4<"$T/save.bad")
expect "Load: $lines loaded, 3 bad lines failed" "^ok $lines 3$" "$out"
conntrack -L -o save >"$T/save.after" 2>/dev/null
python3 "$CTCOMPARE" --tick 30 --label load "$T/save" "$T/save.after" >/dev/null &&
    ok "Load gives the same table (conntrack -L -o save)" || fail "table after Load differs: $(python3 "$CTCOMPARE" --tick 30 "$T/save" "$T/save.after" | head -5)"
grep -Eq "Load: line $((lines + 1)): " "$T/bus.log" && ok "a bad line is logged with its number" || fail "no line number logged"
out=$(bc $ROOT_PATH/Table $TABLE Load fd:4 s:save dict: 4<"$T/save")
# conntrack 1.4.7 -R takes EEXIST on an -A line as success and leaves the entry alone.
expect "Load of the same file again: the existing entries are no failures, none is added" "^ok 0 0$" "$out"
[ "$(conntrack -C)" = "$(grep -c . "$T/save.after")" ] && ok "...and the table has as many entries as before" ||
    fail "the table has $(conntrack -C) entries after the second Load, not $(grep -c . "$T/save.after")"
grep -Eq "Load: 0 loaded, 0 failed, $lines already present" "$T/bus.log" && ok "...which the log says" ||
    fail "no 'already present' count in the log"
finish
