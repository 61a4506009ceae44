#!/bin/bash
# A live Introspect of every object matches interfaces/*.xml (normalised), and the root
# object carries ObjectManager: docs and reality cannot drift.
. "$(dirname "$0")/lib.sh"
bus_setup "$@"
start_bus
start_polkit
install_activation --idle-timeout 30
here=$(dirname "$0")
for iface in Manager Table Expectations Stats; do
    case $iface in Manager) path=$ROOT_PATH ;; *) path=$ROOT_PATH/$iface ;; esac
    gdbus introspect --system --dest $NAME --object-path "$path" --xml >"$T/$iface.live.xml" 2>&1 ||
        { fail "Introspect $path: $(cat "$T/$iface.live.xml")"; continue; }
    if diff_out=$(python3 "$here/compare_introspection.py" \
            "$CTD_SOURCE_ROOT/interfaces/org.netfilter.Conntrack1.$iface.xml" "$T/$iface.live.xml"); then
        ok "$path matches org.netfilter.Conntrack1.$iface.xml"
    else
        fail "$path differs from the XML: $diff_out"
    fi
done
grep -q 'interface name="org.freedesktop.DBus.ObjectManager"' "$T/Manager.live.xml" &&
    ok "ObjectManager on $ROOT_PATH" || fail "no ObjectManager on $ROOT_PATH"
out=$(call "" org.freedesktop.DBus.ObjectManager.GetManagedObjects)
expect "GetManagedObjects answers" "^\(" "$out"
# The comparison itself must notice a difference (a test that cannot fail proves nothing).
sed 's/name="Count"/name="Counted"/' "$CTD_SOURCE_ROOT/interfaces/org.netfilter.Conntrack1.Table.xml" >"$T/broken.xml"
python3 "$here/compare_introspection.py" "$T/broken.xml" "$T/Table.live.xml" >/dev/null &&
    fail "comparison missed a renamed property" || ok "comparison catches a renamed property"
finish
