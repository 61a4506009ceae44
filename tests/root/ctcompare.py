#!/usr/bin/python3
"""Compare two conntrack table printouts byte for byte, modulo order and clock ticks.

    ctcompare.py [--tick N] [--label L] REFERENCE OURS

REFERENCE is conntrack's stdout, OURS the printer under test (run just after it).
- Line formats (default, extended, save, expect lines): the multisets of lines must be
  equal (kernel dump order may differ), including the trailing newline.
- XML: the text outside <flow>...</flow> elements must be equal as is; the flows are
  compared as a multiset.
- Time-dependent numbers may differ by at most --tick (default 1): the entry timeout
  (its column in line formats, `-t N` in save, the leading number of expect lines,
  <timeout>), delta-time= / <deltatime> (now - start, with nf_conntrack_timestamp), and
  the printing time <when> of expectations with -o xml,timestamp.
  Nothing else is masked.
Exit 0 when equal, 1 with a unified diff on stdout otherwise.
"""

import argparse
import difflib
import re
import sys

# Each regex's groups are numbers that may differ by --tick; groups named "any" may differ
# arbitrarily (sub-second part of a wall-clock time). A record may match several.
TIMEOUT_PATTERNS = [
    # -o timestamp on expectations: "[%-8ld.%-6ld]\t" = the time of printing
    re.compile(r"^\[(\d+)\.(?P<any>\d+ *)\]\t"),
    # default:  "tcp      6 431999 ESTABLISHED ..."; extended: "ipv4     2 tcp      6 431999 ..."
    # (each optionally after the "[sec.usec]\t" prefix)
    re.compile(r"^(?:\[\d+\.\d+ *\]\t)?(?:[a-z][a-z0-9]* +\d+ +)?[a-z][a-z0-9]* +\d+ +(\d+)(?= )"),
    re.compile(r"^(?:\[\d+\.\d+ *\]\t)?-[AIU] -t (\d+) "),  # save
    re.compile(r"^(?:\[\d+\.\d+ *\]\t)?(\d+) proto="),      # expect line
    re.compile(r" delta-time=(\d+)(?= |$)"),
    re.compile(r"<timeout>(\d+)</timeout>"),
    re.compile(r"<deltatime>(\d+)</deltatime>"),
    # -o xml,timestamp on expectations: <when> is the time of printing (hh:mm:ss as one
    # value, so a minute rolling over between the two printouts still counts as one tick)
    re.compile(r"<when>(<hour>\d+</hour><min>\d+</min><sec>\d+</sec>)"),
]
CLOCK_RE = re.compile(r"<hour>(\d+)</hour><min>(\d+)</min><sec>(\d+)</sec>")
FLOW_RE = re.compile(r"<flow>.*?</flow>", re.S)


def mask(record):
    """Return (masked record, [numbers]) with the time-dependent numbers cut out."""
    spans = []
    for pat in TIMEOUT_PATTERNS:
        anyg = pat.groupindex.get("any")
        for m in pat.finditer(record):
            for g in range(1, (pat.groups or 0) + 1):
                if m.span(g)[0] >= 0:
                    spans.append(m.span(g) + (g == anyg,))
    spans.sort()
    out, vals, pos = [], [], 0
    for a, b, anything in spans:
        if a < pos:
            continue
        out.append(record[pos:a])
        out.append("\x00T\x00")
        vals.append((record[a:b], anything))
        pos = b
    out.append(record[pos:])
    return "".join(out), vals


def close(va, vb, tick):
    """Every number within tick ("any" ones: same width), written without leading zeros."""
    for (x, anything), (y, _) in zip(va, vb):
        cx, cy = CLOCK_RE.fullmatch(x), CLOCK_RE.fullmatch(y)
        if cx or cy:
            if not (cx and cy):
                return False
            sx, sy = (int(h) * 3600 + int(m) * 60 + int(c) for h, m, c in (cx.groups(), cy.groups()))
            if min(abs(sx - sy), 86400 - abs(sx - sy)) > tick:
                return False
            continue
        if anything:
            if len(x) != len(y):
                return False
        elif str(int(x)) != x or str(int(y)) != y or abs(int(x) - int(y)) > tick:
            return False
    return True


def unmask(masked, vals):
    parts = masked.split("\x00T\x00")
    res = [parts[0]]
    for (v, _), p in zip(vals, parts[1:]):
        res.append(v)
        res.append(p)
    return "".join(res)


def split_records(text):
    """(skeleton, records). Skeleton is compared as is; records as a multiset."""
    if "<flow>" in text or text.startswith("<?xml"):
        records = FLOW_RE.findall(text)
        skeleton = FLOW_RE.sub("<flow/>", text)
        return skeleton, records
    return "", text.split("\n")


def canonical(ref_recs, our_recs, tick):
    """Pair records with equal masked text; within tolerance, give ours the reference's
    numbers. Returns the two sorted canonical lists."""
    from collections import defaultdict

    groups_ref, groups_our = defaultdict(list), defaultdict(list)
    for r in ref_recs:
        m, v = mask(r)
        groups_ref[m].append(v)
    for r in our_recs:
        m, v = mask(r)
        groups_our[m].append(v)
    out_ref, out_our = [], []
    for key in set(groups_ref) | set(groups_our):
        a = sorted(groups_ref.get(key, []))
        b = sorted(groups_our.get(key, []))
        for i in range(max(len(a), len(b))):
            va = a[i] if i < len(a) else None
            vb = b[i] if i < len(b) else None
            if va is not None:
                out_ref.append(unmask(key, va))
            if vb is not None:
                if va is not None and close(va, vb, tick):
                    vb = va
                out_our.append(unmask(key, vb))
    return sorted(out_ref), sorted(out_our)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tick", type=int, default=1)
    ap.add_argument("--label", default="")
    ap.add_argument("reference")
    ap.add_argument("ours")
    args = ap.parse_args()
    with open(args.reference, encoding="utf-8", errors="surrogateescape") as f:
        ref = f.read()
    with open(args.ours, encoding="utf-8", errors="surrogateescape") as f:
        our = f.read()
    if ref == our:
        return 0
    sk_ref, rec_ref = split_records(ref)
    sk_our, rec_our = split_records(our)
    c_ref, c_our = canonical(rec_ref, rec_our, args.tick)
    ok = sk_ref == sk_our and c_ref == c_our
    if ok:
        return 0
    lab = args.label or "output"
    if sk_ref != sk_our:
        sys.stdout.write("--- structure outside <flow> elements differs (%s)\n" % lab)
        sys.stdout.writelines(
            difflib.unified_diff(
                sk_ref.splitlines(True), sk_our.splitlines(True),
                "conntrack/" + lab, "ours/" + lab))
        sys.stdout.write("\n")
    if c_ref != c_our:
        sys.stdout.writelines(
            difflib.unified_diff(
                [r + "\n" for r in c_ref], [r + "\n" for r in c_our],
                "conntrack/" + lab + " (sorted)", "ours/" + lab + " (sorted)", n=1))
    return 1


if __name__ == "__main__":
    sys.exit(main())
