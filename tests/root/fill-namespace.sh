#!/bin/bash
# Fill a network namespace's conntrack table with a varied, mostly deterministic set of
# entries: the input of the differential test (differential.sh) and of scripts/run.sh.
#
# As a script:
#   tests/root/fill-namespace.sh [--light] [--once] NS
#     Creates NS if it does not exist, fills it, prints `conntrack -L -o extended`, then
#     keeps the live connections open until Ctrl-C / SIGTERM (or exits at once with
#     --once). Everything it created (NS if it made it, the client namespace, the traffic
#     process) is removed on exit. The labelled `conntrack -I` entries are made through
#     with_label_map (lib.sh): a private overlay on /etc with xtables/connlabel.conf.
# As a library (after `. tests/root/lib.sh`):
#   . tests/root/fill-namespace.sh
#   fill_namespace [--light] NS      # NS must exist (make_netns); cleanup via cleanup_all
#
# Topology: NS ("T", the namespace under test) and a client namespace C joined by veth:
#   C  vc 192.0.2.2/24 2001:db8::2/64  <-->  T  vt 192.0.2.1/24 2001:db8::1/64
#                                             T  lo 198.18.0.1/32 2001:db8:1::1/128
#   T route 198.18.9.0/24 via C: C does not forward, so a SYN sent there gets no answer.
# Only T's table is of interest; C has no ruleset and tracks nothing.
#
# In T (inside the namespace, per-netns on this kernel): nf_conntrack_acct=1,
# nf_conntrack_timestamp=1 and long timeouts for the short-lived states, so live entries
# keep their state for the whole test:
#   syn_sent 3001  close 3002  close_wait 3003  time_wait 3004  fin_wait 3005
#   unacknowledged 3006, max_retrans 3007 (SYN_SENT gets the latter: no window seen yet)
#   udp 3010  udp_stream 3011  icmp 3020  icmpv6 3021  gre 3030  gre_stream 3031
#   sctp: closed 3040  cookie_wait 3041  cookie_echoed 3042  established 3043
#   (tcp established stays 432000)
#
# LIVE entries (real packets through T's nft ruleset; traffic.py holds the sockets):
#   tcp  ESTABLISHED  192.0.2.2 -> 192.0.2.1:5001, data both ways, ct mark 0x2a, label 1
#   tcp  ESTABLISHED  192.0.2.2 -> 192.0.2.1:80 DNAT to 198.18.0.1:8080, data
#   tcp  ESTABLISHED  198.18.0.1 -> 192.0.2.2:7001 masqueraded to 192.0.2.1 (SNAT)
#   udp  replied      192.0.2.2 -> 192.0.2.1:53 DNAT to 198.18.0.1:5353, mark 0x7, label 2
#   udp  replied      198.18.0.1:6000 -> 192.0.2.2:7002 snat to 192.0.2.1:40000, mark 0xff000001
#   (full set only:)
#   tcp  TIME_WAIT    192.0.2.2 -> 192.0.2.1:5003 (clean close, client first)
#   tcp  CLOSE        192.0.2.2 -> 192.0.2.1:5004 (data, then the client resets: RST)
#   tcp  CLOSE_WAIT   192.0.2.2 -> 192.0.2.1:5005 (client shut down writing; both open)
#   tcp  ESTABLISHED  192.0.2.2 -> 192.0.2.1:21 with the ftp helper (helper=ftp-std)
#        + EXPECTATION 192.0.2.1 -> 192.0.2.2:30001 from the PORT command (-L expect)
#   tcp  SYN_SENT     192.0.2.1:40002 -> 198.18.9.9:5002 (one raw SYN, never answered)
#   tcp6 ESTABLISHED  2001:db8::2 -> 2001:db8::1:5001, data
#   tcp6 ESTABLISHED  2001:db8::2 -> [2001:db8::1]:80 DNAT to [2001:db8:1::1]:8080
#   udp  unreplied    192.0.2.2:41000 -> 192.0.2.1:5354
#   udp  replied      192.0.2.2:41001 -> 192.0.2.1:5355 in zone 3 (nft ct zone set)
#   udp6 replied      [2001:db8::2]:41002 -> [2001:db8::1]:5353
#   icmp echo         192.0.2.2 -> 192.0.2.1 id 0x4354, replied
#   icmp6 echo        2001:db8::2 -> 2001:db8::1 id 0x4336, replied
#   sctp ESTABLISHED  192.0.2.2:40132 -> 192.0.2.1:3868 and [2001:db8::2]:40136 ->
#                     [2001:db8::1]:3868, four-way handshake with raw sockets (this kernel
#                     has no SCTP sockets): ASSURED, vtags 0x01020304/0x0a0b0c0d
#   sctp CLOSED       192.0.2.2:40133 -> 192.0.2.1:2905, an INIT only
#   gre               192.0.2.2 -> 192.0.2.1, raw: version 0 with a key (keys shown 0x0)
#                     and version 1/PPTP call id 0x4321 (no GRE devices here); unreplied
# INSERTED entries (conntrack -I, full set only; timeouts 2001..2099):
#   sctp ESTABLISHED v4 with vtags and mark;
#   sctp COOKIE_WAIT/SHUTDOWN_SENT/CLOSED v4, sctp ESTABLISHED v6; gre v4 and v6 with keys;
#   icmp timestamp request, icmpv6 echo; udplite; dccp (no ports on 6.18: DCCP is gone);
#   generic protocol 99; tcp in zone 7 with mark 42 ASSURED; tcp SYN_RECV/LAST_ACK/
#   FIN_WAIT v6; tcp with a NAT-looking reply tuple; udp with mark 0xffffffff SEEN_REPLY;
#   labelled (via with_label_map; skipped when CTT_NO_LABEL_MAP is set): tcp in zone 65535
#   with labels 0,5,63,64,127, udp6 with label 2, sctp with labels 1,31 and a mark.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CTT_FILL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ctt_fill_sysctls() {
    local ns=$1
    ns_sysctl "$ns" net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1
    ns_sysctl "$ns" \
        net.netfilter.nf_conntrack_tcp_timeout_syn_sent=3001 \
        net.netfilter.nf_conntrack_tcp_timeout_close=3002 \
        net.netfilter.nf_conntrack_tcp_timeout_close_wait=3003 \
        net.netfilter.nf_conntrack_tcp_timeout_time_wait=3004 \
        net.netfilter.nf_conntrack_tcp_timeout_fin_wait=3005 \
        net.netfilter.nf_conntrack_tcp_timeout_unacknowledged=3006 \
        net.netfilter.nf_conntrack_tcp_timeout_max_retrans=3007 \
        net.netfilter.nf_conntrack_udp_timeout=3010 \
        net.netfilter.nf_conntrack_udp_timeout_stream=3011 \
        net.netfilter.nf_conntrack_icmp_timeout=3020 \
        net.netfilter.nf_conntrack_icmpv6_timeout=3021 \
        net.netfilter.nf_conntrack_gre_timeout=3030 \
        net.netfilter.nf_conntrack_gre_timeout_stream=3031 \
        net.netfilter.nf_conntrack_sctp_timeout_closed=3040 \
        net.netfilter.nf_conntrack_sctp_timeout_cookie_wait=3041 \
        net.netfilter.nf_conntrack_sctp_timeout_cookie_echoed=3042 \
        net.netfilter.nf_conntrack_sctp_timeout_established=3043
}

ctt_fill_ruleset() {
    local ns=$1
    ip netns exec "$ns" nft -f - <<'EOF'
table inet ctt {
    ct helper ftp-std { type "ftp" protocol tcp; }

    chain raw_pre {
        type filter hook prerouting priority raw; policy accept;
        iifname "vt" udp dport 5355 ct zone set 3
    }
    chain raw_out {
        type filter hook output priority raw; policy accept;
        udp sport 5355 ct zone set 3
    }
    chain nat_pre {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "vt" ip daddr 192.0.2.1 tcp dport 80 dnat ip to 198.18.0.1:8080
        iifname "vt" ip daddr 192.0.2.1 udp dport 53 dnat ip to 198.18.0.1:5353
        iifname "vt" ip6 daddr 2001:db8::1 tcp dport 80 dnat ip6 to [2001:db8:1::1]:8080
    }
    chain nat_post {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "vt" ip saddr 198.18.0.1 meta l4proto tcp masquerade
        oifname "vt" ip saddr 198.18.0.1 udp sport 6000 snat ip to 192.0.2.1:40000
    }
    chain filt_pre {
        type filter hook prerouting priority filter; policy accept;
        ct state invalid counter
        ct state new tcp dport 5001 ct mark set 0x2a ct label set 1
        ct state new udp dport 5353 ct mark set 0x7 ct label set 2
        ct state new tcp dport 21 ct helper set "ftp-std"
    }
    chain filt_out {
        type filter hook output priority filter; policy accept;
        ct state new udp dport 7002 ct mark set 0xff000001
    }
}
EOF
}

ctt_fill_topology() {
    local ns=$1 cns=$2
    ip link add vt netns "$ns" type veth peer name vc netns "$cns"
    ip -n "$ns" addr add 192.0.2.1/24 dev vt
    ip -n "$ns" addr add 2001:db8::1/64 dev vt nodad
    ip -n "$ns" addr add 198.18.0.1/32 dev lo
    ip -n "$ns" addr add 2001:db8:1::1/128 dev lo
    ip -n "$cns" addr add 192.0.2.2/24 dev vc
    ip -n "$cns" addr add 2001:db8::2/64 dev vc nodad
    ip -n "$ns" link set vt up
    ip -n "$cns" link set vc up
    ip -n "$ns" route add 198.18.9.0/24 via 192.0.2.2
    ip -n "$cns" -6 route add 2001:db8:1::/64 via 2001:db8::1
    wait_until 5 ctt_link_ready "$ns" vt || ctt_die "veth in $ns did not come up"
    wait_until 5 ctt_link_ready "$cns" vc || ctt_die "veth in $cns did not come up"
}

ctt_link_ready() {
    ip -n "$1" -o link show "$2" | grep -q 'state UP' &&
        ! ip -n "$1" -o addr show dev "$2" | grep -q tentative
}

# Inserted entries. ci: conntrack -I in the namespace under test, quiet on success.
ctt_ci() {
    local out
    if ! out=$(${CTT_CI_WRAP:-} ip netns exec "$CTT_FILL_NS" conntrack -I "$@" 2>&1); then
        ctt_die "conntrack -I $*: $out"
    fi
}

ctt_fill_inserted() {
    CTT_FILL_NS=$1
    local v4a=192.0.2 v4b=198.18.1
    # SCTP (no SCTP sockets on this kernel: inserted)
    ctt_ci -p sctp -s $v4a.10 -d $v4b.10 --sport 30000 --dport 3868 --state ESTABLISHED \
        --orig-vtag 0x11223344 --reply-vtag 0x55667788 -t 2001 -u ASSURED -m 0x100
    ctt_ci -p sctp -s $v4a.11 -d $v4b.11 --sport 30001 --dport 2905 --state COOKIE_WAIT \
        --orig-vtag 1 --reply-vtag 0 -t 2002
    ctt_ci -p sctp -s $v4a.12 -d $v4b.12 --sport 30002 --dport 9899 --state SHUTDOWN_SENT \
        --orig-vtag 7 --reply-vtag 8 -t 2003
    ctt_ci -p sctp -s $v4a.13 -d $v4b.13 --sport 30003 --dport 36412 --state CLOSED \
        --orig-vtag 9 --reply-vtag 10 -t 2004
    ctt_ci -p sctp -s 2001:db8::10 -d 2001:db8:2::10 --sport 30004 --dport 3868 \
        --state ESTABLISHED --orig-vtag 0xdeadbeef --reply-vtag 0xcafef00d -t 2005
    # GRE (no GRE devices: inserted)
    ctt_ci -p gre -s $v4a.20 -d $v4b.20 --srckey 0x1234 --dstkey 0x5678 -t 2010
    ctt_ci -p gre -s 2001:db8::20 -d 2001:db8:2::20 --srckey 1 --dstkey 2 -t 2011
    # ICMP / ICMPv6
    ctt_ci -p icmp -s $v4a.30 -d $v4b.30 --icmp-type 13 --icmp-code 0 --icmp-id 4242 -t 2020
    ctt_ci -p icmpv6 -s 2001:db8::30 -d 2001:db8:2::30 --icmpv6-type 128 --icmpv6-code 0 \
        --icmpv6-id 4243 -t 2021
    # Other protocols
    ctt_ci -p udplite -s $v4a.40 -d $v4b.40 --sport 5060 --dport 5061 -t 2030
    ctt_ci -p dccp -s $v4a.41 -d $v4b.41 --sport 5004 --dport 5005 --state OPEN \
        --role client -t 2031
    ctt_ci -p 99 -s $v4a.42 -d $v4b.42 -t 2032
    # TCP in other states, zones, marks, status bits
    ctt_ci -p tcp -s $v4a.50 -d $v4b.50 --sport 1 --dport 2 --state ESTABLISHED -t 2040 \
        -u ASSURED,SEEN_REPLY --zone 7 -m 42
    ctt_ci -p tcp -s 2001:db8::51 -d 2001:db8:2::51 --sport 1025 --dport 443 \
        --state SYN_RECV -t 2041
    ctt_ci -p tcp -s 2001:db8::52 -d 2001:db8:2::52 --sport 1026 --dport 443 \
        --state LAST_ACK -t 2042 --zone 4
    ctt_ci -p tcp -s 2001:db8::53 -d 2001:db8:2::53 --sport 1027 --dport 22 \
        --state FIN_WAIT -t 2043 -u SEEN_REPLY
    # NAT-looking: the reply tuple is not the inverse of the original
    ctt_ci -p tcp -s $v4a.54 -d $v4b.54 --sport 33000 --dport 80 \
        -r 198.18.2.54 -q 198.18.3.54 --reply-port-src 8080 --reply-port-dst 33001 \
        --state ESTABLISHED -t 2044 -u SEEN_REPLY,ASSURED
    ctt_ci -p udp -s $v4a.55 -d $v4b.55 --sport 123 --dport 123 -t 2045 -u SEEN_REPLY \
        -m 0xffffffff
    # Labels need names from /etc/xtables/connlabel.conf (with_label_map).
    if [[ -n "${CTT_NO_LABEL_MAP:-}" ]]; then
        ctt_log "CTT_NO_LABEL_MAP set: labelled conntrack -I entries skipped"
    else
        local CTT_CI_WRAP=with_label_map
        ctt_ci -p tcp -s $v4a.56 -d $v4b.56 --sport 40000 --dport 8443 --state ESTABLISHED \
            -t 2046 --zone 65535 --label-add ctt-zero,ctt-five,ctt-63,ctt-64,ctt-last
        ctt_ci -p udp -s 2001:db8::57 -d 2001:db8:2::57 --sport 53 --dport 53 -t 2047 \
            --label-add ctt-dns
        ctt_ci -p sctp -s $v4a.58 -d $v4b.58 --sport 30058 --dport 3868 --state ESTABLISHED \
            --orig-vtag 58 --reply-vtag 59 -t 2048 --label-add ctt-web,ctt-31 -m 0x58
    fi
}

# fill_namespace [--light] NS
fill_namespace() {
    local light="" ns cns ready
    if [[ "${1:-}" == --light ]]; then
        light=--light
        shift
    fi
    ns=${1:?fill_namespace: namespace name}
    ip netns pids "$ns" >/dev/null 2>&1 || ctt_die "namespace $ns does not exist"
    ctt_init_tmpdir
    make_netns "ctc" cns
    CTT_FILL_CLIENT_NS=$cns
    export CTT_FILL_CLIENT_NS

    ctt_fill_sysctls "$ns"
    ctt_fill_ruleset "$ns"
    ctt_fill_topology "$ns" "$cns"

    ready="$CTT_TMPDIR/traffic-ready.$ns"
    rm -f "$ready"
    spawn_bg ip netns exec "$ns" "$CTT_PYTHON" "$CTT_FILL_DIR/traffic.py" \
        --client-ns "$cns" --ready "$ready" $light
    CTT_TRAFFIC_PID=$CTT_LAST_PID
    if ! wait_until 20 test -s "$ready"; then
        kill -0 "$CTT_TRAFFIC_PID" 2>/dev/null || ctt_die "traffic.py failed (see above)"
        ctt_die "traffic.py not ready after 20 s"
    fi
    [[ -n "$light" ]] || ctt_fill_inserted "$ns"
    wait_table_stable "$ns" 10 || ctt_log "warning: table of $ns still changing"
}

ctt_fill_main() {
    local once=0 light="" created=0 ns
    while (($#)); do
        case $1 in
        --once) once=1 ;;
        --light) light=--light ;;
        -h | --help)
            sed -n '2,14p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        -*) ctt_die "unknown option $1" ;;
        *) break ;;
        esac
        shift
    done
    ns=${1:?usage: fill-namespace.sh [--light] [--once] NS}
    require_root_or_skip conntrack nft ip unshare
    if ! ip netns pids "$ns" >/dev/null 2>&1; then
        make_netns "$ns" >/dev/null
        created=1
    fi
    ((created)) || ctt_log "filling existing namespace $ns"
    fill_namespace $light "$ns"
    with_label_map ip netns exec "$ns" conntrack -L -o extended,labels
    ip netns exec "$ns" conntrack -L expect
    if ((once)); then
        return 0
    fi
    ctt_log "holding the live connections; Ctrl-C to clean up"
    while :; do
        sleep 3600 &
        CTT_PIDS+=("$!") # killed by cleanup_all when a signal ends the wait
        wait "$!" || true
    done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    ctt_fill_main "$@"
fi
