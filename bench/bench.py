#!/usr/bin/env python3
"""Benchmark ctd's core against conntrack-tools 1.4.7 in the same run (step 1 targets).

Fills a throwaway namespace with N unique UDP entries (1 % dport 53, 1 % dport 9999,
accounting and timestamps off), then times, median of --runs runs, every output to
/dev/null:
  full listing      ctdump -o F            vs  conntrack -L -o F   (default, extended, xml)
  filtered listing  ctdump -p udp --dport 53  vs  conntrack -L -p udp --dport 53
  filtered delete   ctdump -D -p udp --dport 9999 vs conntrack -D -p udp --dport 9999
                    (the 1 % is refilled before every run)
and the peak RSS of each. Writes docs/performance.md unless --no-write.

Global sysctls (nf_conntrack_max, nf_conntrack_buckets) are raised in the initial
namespace for the run and restored afterwards, whatever happens.
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import SYSCTLS, TOP, machine, read, replace_section, write  # noqa: E402


def run_timed(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd; returns (seconds, peak RSS in KiB of that command).

    The RSS comes from /usr/bin/time around the command itself: Python starts children
    with vfork, so the child's own ru_maxrss would include this interpreter's memory.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd],
                              stdout=stdout, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}")
        rss = int(rss_file.read().split()[-1])
    return elapsed, rss


class Namespace:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        for knob in ("nf_conntrack_acct", "nf_conntrack_timestamp"):
            self.sh(f"sysctl -qw net.netfilter.{knob}=0")
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name], check=False)

    def cmd(self, *argv):
        return ["ip", "netns", "exec", self.name, *argv]

    def sh(self, line):
        subprocess.run(self.cmd("sh", "-c", line), check=True)


def fill(ns, build, n, only=None):
    argv = [os.path.join(build, "bench", "ctfill"), "--count", str(n)]
    if only is not None:
        argv += ["--only-dport", str(only)]
    subprocess.run(ns.cmd(*argv), check=True, stdout=subprocess.DEVNULL)


def paired_runs(runs, ours, theirs, before=None):
    """Times ours and theirs alternately, runs times each, after one untimed warm-up each.

    Alternating puts both commands under the same background load at nearly the same
    moment, so a burst of noise moves both sides of a ratio instead of one. Returns the
    medians, the median of the per-pair ratios and the peak RSS of each side.
    """
    for cmd in (ours, theirs):
        if before:
            before()
        run_timed(cmd)
    t_ours, t_ref, pair_ratios, rss_ours, rss_ref = [], [], [], 0, 0
    for _ in range(runs):
        if before:
            before()
        t_o, r_o = run_timed(ours)
        if before:
            before()
        t_r, r_r = run_timed(theirs)
        t_ours.append(t_o)
        t_ref.append(t_r)
        pair_ratios.append(t_o / t_r if t_r else float("nan"))
        rss_ours, rss_ref = max(rss_ours, r_o), max(rss_ref, r_r)
    return (statistics.median(t_ours), statistics.median(t_ref),
            statistics.median(pair_ratios), rss_ours, rss_ref)


def bench_size(args, n):
    rows = []
    ns_name = f"ctbench{os.getpid()}"
    dump = os.path.join(args.build, "tests", "tools", "ctdump")
    with Namespace(ns_name) as ns:
        t0 = time.perf_counter()
        fill(ns, args.build, n)
        print(f"  filled {n} entries in {time.perf_counter() - t0:.2f} s", flush=True)
        cases = [
            ("list (default)", [dump, "-L"], ["conntrack", "-L"], None),
            ("list -o extended", [dump, "-L", "-o", "extended"], ["conntrack", "-L", "-o", "extended"], None),
            ("list -o xml", [dump, "-L", "-o", "xml"], ["conntrack", "-L", "-o", "xml"], None),
            ("list -p udp --dport 53 (1 %)", [dump, "-L", "-p", "udp", "--dport", "53"],
             ["conntrack", "-L", "-p", "udp", "--dport", "53"], None),
            ("delete -p udp --dport 9999 (1 %)", [dump, "-D", "-p", "udp", "--dport", "9999"],
             ["conntrack", "-D", "-p", "udp", "--dport", "9999"],
             lambda: fill(ns, args.build, n // 100, only=9999)),
        ]
        for label, ours, theirs, refill in cases:
            if refill:
                # the first fill already holds the 1 %: delete it so every run starts equal
                subprocess.run(ns.cmd(*theirs), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            t_ours, t_ref, pair_ratio, rss_ours, rss_ref = paired_runs(
                args.runs, ns.cmd(*ours), ns.cmd(*theirs), refill)
            ratio = t_ours / t_ref if t_ref else float("nan")
            rows.append((n, label, t_ours, t_ref, ratio, pair_ratio, rss_ours, rss_ref))
            print(f"  {label:36s} ours {t_ours:7.3f} s  conntrack {t_ref:7.3f} s  "
                  f"ratio {ratio:5.2f} (pairs {pair_ratio:5.2f})  "
                  f"rss {rss_ours / 1024:6.1f} / {rss_ref / 1024:6.1f} MiB",
                  flush=True)
    return rows


TARGETS = {
    "list (default)": 0.5, "list -o extended": 0.5, "list -o xml": 0.5,
    "list -p udp --dport 53 (1 %)": 0.2, "delete -p udp --dport 9999 (1 %)": 0.2,
}


def write_report(args, rows):
    out = [
        BEGIN,
        "## Step 1: core dump, format, filter and delete",
        "",
        "Written by `bench/bench.py` (on demand, not in CI). Ratios are ours (`ctdump`, the",
        "core in process) / conntrack-tools 1.4.7 measured in the same run; absolute times",
        "depend on the machine.",
        "",
        f"Machine: {machine()}; "
        f"date {datetime.date.today().isoformat()}; median of {args.runs} runs, ours and",
        "conntrack's alternating after one warm-up each; \"pairs\" is the median of the",
        "per-pair ratios, which a burst of background load moves less.",
        "",
        "| N | case | ours (s) | conntrack (s) | ratio | pairs | target | met | peak RSS ours / conntrack (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, label, t_ours, t_ref, ratio, pair_ratio, rss_ours, rss_ref in rows:
        target = TARGETS.get(label)
        met = "yes" if target and ratio <= target else "no"
        out.append(f"| {n} | {label} | {t_ours:.3f} | {t_ref:.3f} | {ratio:.2f} | {pair_ratio:.2f} | "
                   f"≤ {target} | {met} | {rss_ours / 1024:.1f} / {rss_ref / 1024:.1f} |")
    by_n = {}
    for n, label, *_rest, rss_ours, _ in rows:
        by_n.setdefault(label, {})[n] = rss_ours
    flat = []
    for label, sizes in by_n.items():
        if len(sizes) == 2:
            small, big = sorted(sizes)
            flat.append((label, sizes[big] / sizes[small]))
    if flat:
        out += ["", "Memory flatness (peak RSS at the largest N / at the smallest; target ≤ 1.2):", ""]
        out += [f"- {label}: {r:.2f}" for label, r in flat]
    out.append(END)
    path = os.path.join(TOP, "docs", "performance.md")
    replace_section(path, "\n".join(out), BEGIN, END, first=True)
    print(f"wrote {path}")


BEGIN = "<!-- bench.py begin -->"
END = "<!-- bench.py end -->"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--build", default=os.path.join(TOP, "build"), help="meson build directory")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py needs root (namespaces, global conntrack sysctls)")
    saved = {path: read(path) for path in SYSCTLS}
    try:
        for path, value in SYSCTLS.items():
            write(path, value)
        rows = []
        for n in (int(s) for s in args.sizes.split(",")):
            print(f"N = {n}", flush=True)
            rows += bench_size(args, n)
    finally:
        for path, value in saved.items():
            write(path, value)
    if not args.no_write:
        write_report(args, rows)


if __name__ == "__main__":
    main()
