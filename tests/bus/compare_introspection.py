#!/usr/bin/env python3
"""Compare a live Introspect of ctd with interfaces/*.xml.

Usage: compare_introspection.py INTERFACE_XML LIVE_XML
Every interface of INTERFACE_XML must be in LIVE_XML with the same methods (argument names,
types, directions in order), signals and properties (type, access, EmitsChangedSignal), and
nothing more. Annotations that only steer the code generator (Method.Async) are dropped;
comments do not matter. Prints the differences and exits 1 when there are any.
"""
import sys
import xml.etree.ElementTree as ET

GENERATOR_ONLY = {"org.freedesktop.DBus.Method.Async"}


def annotations(element):
    return tuple(sorted((a.get("name"), a.get("value"))
                        for a in element.findall("annotation")
                        if a.get("name") not in GENERATOR_ONLY))


def normalise(interface):
    members = {}
    for method in interface.findall("method"):
        args = tuple((a.get("name"), a.get("type"), a.get("direction", "in"))
                     for a in method.findall("arg"))
        members["method " + method.get("name")] = (args, annotations(method))
    for signal in interface.findall("signal"):
        args = tuple((a.get("name"), a.get("type")) for a in signal.findall("arg"))
        members["signal " + signal.get("name")] = (args, annotations(signal))
    for prop in interface.findall("property"):
        notes = dict(annotations(prop))
        # "true" is the default of EmitsChangedSignal: absent and "true" are the same.
        emits = notes.pop("org.freedesktop.DBus.Property.EmitsChangedSignal", "true")
        members["property " + prop.get("name")] = (prop.get("type"), prop.get("access"), emits,
                                                   tuple(sorted(notes.items())))
    return members


def main():
    expected_root = ET.parse(sys.argv[1]).getroot()
    live_root = ET.parse(sys.argv[2]).getroot()
    live = {i.get("name"): normalise(i) for i in live_root.findall("interface")}
    problems = []
    for interface in expected_root.findall("interface"):
        name = interface.get("name")
        want = normalise(interface)
        if name not in live:
            problems.append(f"{name}: missing from the live service")
            continue
        got = live[name]
        for member in sorted(set(want) | set(got)):
            if member not in got:
                problems.append(f"{name}: {member} missing live")
            elif member not in want:
                problems.append(f"{name}: {member} is live but not in the XML")
            elif want[member] != got[member]:
                problems.append(f"{name}: {member} differs: xml {want[member]} live {got[member]}")
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
