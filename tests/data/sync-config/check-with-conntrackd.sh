#!/bin/sh
# Differential check of the fixtures against the real conntrackd 1.4.7 parser: every file
# ctd accepts under examples/ debian/ manpage/ full/ must also get past "conntrackd -C FILE"
# (except manpage/stats-example.conf, which 1.4.7 rejects), every broken/ file but
# two-defaults.conf must be refused. conntrackd runs as a client (-s) in a private mount
# namespace with a tmpfs on /run, so it never reaches a real daemon. Needs root; 77 = skip.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
command -v conntrackd >/dev/null || { echo "no conntrackd"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root (unshare -m)"; exit 77; }
verdict() { # prints "parse-error" or "parsed"
    out=$(unshare -m sh -c "mount -t tmpfs none /run && timeout 5 conntrackd -C '$1' -s 2>&1")
    case "$out" in
    *"parsing config file"*|*"cannot use"*|*"too many dedicated"*) echo parse-error ;;
    *) echo parsed ;;
    esac
}
fail=0
for f in "$dir"/examples/*/conntrackd.conf "$dir"/examples/*/*/conntrackd.conf \
         "$dir"/debian/*.conf "$dir"/manpage/*.conf "$dir"/full/*.conf; do
    want=parsed
    case "$f" in */manpage/stats-example.conf) want=parse-error ;; esac
    got=$(verdict "$f")
    [ "$got" = "$want" ] || { echo "FAIL $f: conntrackd $got, expected $want"; fail=1; }
done
for f in "$dir"/broken/*.conf; do
    want=parse-error
    case "$f" in */two-defaults.conf) want=parsed ;; esac # ctd is stricter here
    got=$(verdict "$f")
    [ "$got" = "$want" ] || { echo "FAIL $f: conntrackd $got, expected $want"; fail=1; }
done
[ $fail = 0 ] && echo "all fixtures agree with conntrackd $(conntrackd -v | sed -n 's/.*daemon v\([0-9.]*\).*/\1/p')"
exit $fail
