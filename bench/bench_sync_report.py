#!/usr/bin/env python3
"""Summarise bench/bench-sync.sh's RESULT lines; optionally write docs/performance.md's
"Sync engine" section (between the bench-sync.sh markers, other sections kept).

    bench_sync_report.py --results FILE [--started ISO] [--command TEXT] [--write DOC]

A line that does not parse is reported and skipped (the file is our own output, but a
trial that died half-way leaves partial lines).
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import machine, replace_section  # noqa: E402

BEGIN = "<!-- bench-sync.sh begin -->"
END = "<!-- bench-sync.sh end -->"
IMPLS = ("ctd", "conntrackd")


def parse(path):
    rows = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            toks = line.split()
            if len(toks) < 3 or toks[0] != "RESULT":
                continue
            try:
                fields = dict(t.split("=", 1) for t in toks[2:])
            except ValueError:
                print(f"{path}:{no}: unparsable line skipped", file=sys.stderr)
                continue
            fields["kind"] = toks[1]
            rows.append(fields)
    return rows


def num(row, key):
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return None


def spread(values, fmt="{:.3f}"):
    """median (min-max, n)"""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def per_entry(rows, before, after, count_key):
    out = []
    for r in rows:
        b, a, n = num(r, before), num(r, after), num(r, count_key)
        if b is not None and a is not None and n:
            out.append((a - b) * 1024 / n)
    return out


def bulk_section(rows):
    lines = []
    by = {i: [r for r in rows if r["kind"] == "bulk" and r.get("impl") == i] for i in IMPLS}
    if not any(by.values()):
        return lines
    count = next(r["count"] for i in IMPLS for r in by[i])
    lines += [
        f"### 1. Bulk send of {count} entries, FTFW over UDP, 1.2 MB socket buffers",
        "",
        "Entries missing from B's external cache 60 s after `-B` on A began (A's internal",
        "cache full from its start-up dump; B's external cache empty, flushed first where",
        "A's start-up had sent it, as ctd's does); time until B held them all.",
        "",
        "| implementation | runs | runs with loss | missing per run | complete after (s) |",
        "|---|---|---|---|---|",
    ]
    for i in IMPLS:
        rs = by[i]
        if not rs:
            continue
        missing = [int(r["bulk_missing"]) for r in rs]
        lossy = sum(1 for m in missing if m > 0)
        done = [num(r, "bulk_s") for r in rs if num(r, "bulk_s") is not None and num(r, "bulk_s") >= 0]
        lines.append(f"| {i} | {len(rs)} | {lossy} | {' '.join(map(str, missing))} | "
                     f"{spread(done, '{:.2f}')} |")
    lines += [
        "",
        f"### 2. Commit of the external cache into B's kernel (about {count} entries)",
        "",
        "From the `-c` command until B's namespace counts every entry of B's external cache",
        "(its nf_conntrack_count, read every 5 ms); runs whose bulk lost entries are left out.",
        "Median (min-max).",
        "",
        "| implementation | runs | command returns (s) | kernel complete (s) |",
        "|---|---|---|---|",
    ]
    med = {}
    for i in IMPLS:
        rs = by[i]
        if not rs:
            continue
        # Only runs that commit the full count: a lossy bulk leaves fewer to commit.
        full = [r for r in rs if r.get("commit_expected") == r.get("count")]
        t = [num(r, "commit_s") for r in full if (num(r, "commit_s") or -1) >= 0]
        med[i] = statistics.median(t) if t else None
        lines.append(f"| {i} | {len(full)} | {spread([num(r, 'commit_cmd_s') for r in full])} | {spread(t)} |")
    if med.get("ctd") and med.get("conntrackd"):
        lines += ["", f"conntrackd / ctd: {med['conntrackd'] / med['ctd']:.2f}× (target ≥ 3×)."]
    lines += [
        "",
        "### 3. Resident memory per cached entry",
        "",
        "(VmRSS with the cache full − VmRSS right after start on an empty table) / entries;",
        "ctd: the ctd process; conntrackd: the daemon. Internal = A (filled by its start-up",
        "dump of the table), external = B (filled by the bulk send). Median (min-max).",
        "",
        "| implementation | internal (bytes/entry) | external (bytes/entry) | A + B at the count (MiB) |",
        "|---|---|---|---|",
    ]
    for i in IMPLS:
        rs = by[i]
        if not rs:
            continue
        tot = [(num(r, "rss_a1") + num(r, "rss_b1")) / 1024 for r in rs]
        lines.append(f"| {i} | {spread(per_entry(rs, 'rss_a0', 'rss_a1', 'internal'), '{:.0f}')} | "
                     f"{spread(per_entry(rs, 'rss_b0', 'rss_b1', 'bulk_final'), '{:.0f}')} | "
                     f"{spread(tot, '{:.1f}')} |")
    lines.append("")
    return lines


def churn_section(rows):
    lines = []
    rs_all = [r for r in rows if r["kind"] == "churn"]
    if not rs_all:
        return lines
    r0 = rs_all[0]
    lines += [
        f"### 4. Event intake: {r0['target']} creates+deletes/s for {r0['seconds']} s",
        "",
        f"`bench/ctchurn` in A's namespace over a window of {r0['window']} live entries",
        f"(NetlinkOverrunResync {r0.get('resync', '?')} on both nodes); after the churn settles,",
        "A's table vs A's internal cache (`-i`) and B's external cache (`-e`, full",
        "comparison with `check_external_matches`). Both nodes run the same implementation.",
        "",
        "| implementation | run | achieved ops/s | A's table | A internal | B external | B matches A | converged after (s) | A: netlink overruns | A: kernel resyncs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i in IMPLS:
        for k, r in enumerate([r for r in rs_all if r.get("impl") == i], 1):
            conv = r.get("converged_s", "-1")
            conv = "no" if conv.startswith("-") else conv
            lines.append(f"| {i} | {k} | {r['achieved']} | {r['kernel']} | {r['internal']} | "
                         f"{r['external']} | {r['match']} | {conv} | {r.get('overruns', '-')} | "
                         f"{r.get('resyncs', '-')} |")
    lines.append("")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True, action="append",
                    help="RESULT lines; may be given more than once")
    ap.add_argument("--started", default="")
    ap.add_argument("--command", default="bench/bench-sync.sh")
    ap.add_argument("--write")
    args = ap.parse_args()
    rows = [row for path in args.results for row in parse(path)]
    body = [
        BEGIN,
        "## Sync engine (issue 6): ctd against conntrackd 1.4.7",
        "",
        "Written by `bench/bench-sync.sh` (on demand, not in CI) on the two-node harness of",
        "tests/root/sync: two namespaces joined by a veth, FTFW over UDP, the same",
        "conntrackd.conf for both implementations, a fresh pair for every run, both",
        "implementations in the same run (interleaved).",
        "",
        f"Machine: {machine()}; started {args.started}.",
        f"Command: `{args.command}`.",
        "",
    ]
    body += bulk_section(rows)
    body += churn_section(rows)
    body.append(END)
    section = "\n".join(body)
    print(section)
    if args.write:
        replace_section(args.write, section, BEGIN, END)
        print(f"wrote {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
