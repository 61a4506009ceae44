#!/usr/bin/env python3
"""Benchmark ctd's Table.List through the bus against ctdump in process (step 2 target).

Fills a throwaway namespace with N unique UDP entries (bench/ctfill), starts a private
dbus-daemon and ctd inside the namespace (root callers skip polkit, so no polkitd), then
times, median of --runs runs:
  bus     bus_client Table.List(format) with fd 3 a pipe read by cat into /dev/null
  core    ctdump -L -o format > /dev/null (the step 1 in-process dump)
and ctd's peak RSS while it serves each List (VmHWM, reset before every run through
/proc/PID/clear_refs). Target: bus / core <= 1.1 and peak RSS < 30 MiB.

Global sysctls (nf_conntrack_max, nf_conntrack_buckets) are raised in the initial
namespace for the run and restored afterwards, whatever happens. With --write the
results replace the "Step 2" section of docs/performance.md.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import (SYSCTLS, TOP, machine, peak_rss_kib, read, replace_section,  # noqa: E402
                          start_ctd_on_bus, write)

BEGIN, END = "<!-- bench_bus.py begin -->", "<!-- bench_bus.py end -->"


class Setup:
    """Namespace, private bus and ctd; everything torn down on exit."""

    def __init__(self, build, n):
        self.build, self.n = build, n
        self.ns = f"ctbus{os.getpid()}"
        self.tmp = tempfile.mkdtemp(prefix="ctd-bench.")
        self.procs = []

    def cmd(self, *argv):
        return ["ip", "netns", "exec", self.ns, *argv]

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        for knob in ("nf_conntrack_acct", "nf_conntrack_timestamp"):
            subprocess.run(self.cmd("sysctl", "-qw", f"net.netfilter.{knob}=0"), check=True)
        t0 = time.perf_counter()
        subprocess.run(self.cmd(os.path.join(self.build, "bench", "ctfill"), "--count", str(self.n)),
                       check=True, stdout=subprocess.DEVNULL)
        print(f"  filled {self.n} entries in {time.perf_counter() - t0:.2f} s", flush=True)
        self.env, self.ctd_pid = start_ctd_on_bus(self.build, self.tmp, self.cmd, self.procs)
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["ip", "netns", "del", self.ns], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


def time_bus(s, fmt):
    client = os.path.join(s.build, "tests", "bus", "bus_client")
    write(f"/proc/{s.ctd_pid}/clear_refs", "5")  # reset VmHWM
    start = time.perf_counter()
    r = subprocess.run(["sh", "-c", f'"$0" --timeout 600 /org/netfilter/Conntrack1/Table '
                        f'org.netfilter.Conntrack1.Table List dict: s:{fmt} fd:3 3>&1 >&2 | cat >/dev/null',
                        client], env=s.env, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if f"ok {s.n}" not in r.stderr:
        raise RuntimeError(f"List failed: {r.stderr.strip()}")
    return elapsed, peak_rss_kib(s.ctd_pid)


def time_core(s, fmt):
    dump = os.path.join(s.build, "tests", "tools", "ctdump")
    argv = [dump, "-L"] + (["-o", fmt] if fmt != "plain" else [])
    start = time.perf_counter()
    subprocess.run(s.cmd(*argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=1000000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--formats", default="plain,extended")
    p.add_argument("--build", default=os.path.join(TOP, "build"), help="meson build directory")
    p.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_bus.py needs root (namespaces, global conntrack sysctls)")
    saved = {path: read(path) for path in SYSCTLS}
    rows = []
    try:
        for path, value in SYSCTLS.items():
            write(path, value)
        with Setup(args.build, args.size) as s:
            for fmt in args.formats.split(","):
                bus, core, rss = [], [], []
                for _ in range(args.runs):
                    t, r = time_bus(s, fmt)
                    bus.append(t)
                    rss.append(r)
                    core.append(time_core(s, fmt))
                tb, tc = statistics.median(bus), statistics.median(core)
                rows.append((fmt, tb, tc, tb / tc, max(rss)))
                print(f"  List {fmt:10s} bus {tb:6.3f} s  ctdump {tc:6.3f} s  ratio {tb / tc:5.2f}  "
                      f"ctd peak RSS {max(rss) / 1024:5.1f} MiB", flush=True)
    finally:
        for path, value in saved.items():
            write(path, value)
    if args.write:
        write_report(args, rows)


def write_report(args, rows):
    section = [
        BEGIN,
        "## Step 2: Table.List through the bus",
        "",
        "Written by `bench/bench_bus.py`: ctd's `Table.List` of N entries into a pipe drained to",
        "/dev/null vs `ctdump` (in process) in the same run; ctd's peak RSS while serving it.",
        f"Machine: {machine()}; "
        f"date {datetime.date.today().isoformat()}; N = {args.size}; median of {args.runs} runs.",
        "",
        "| format | bus (s) | ctdump (s) | ratio | target | met | ctd peak RSS (MiB) | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt, tb, tc, ratio, rss in rows:
        section.append(f"| {fmt} | {tb:.3f} | {tc:.3f} | {ratio:.2f} | ≤ 1.1 | {'yes' if ratio <= 1.1 else 'no'} | "
                       f"{rss / 1024:.1f} | < 30 | {'yes' if rss < 30 * 1024 else 'no'} |")
    section.append(END)
    path = os.path.join(TOP, "docs", "performance.md")
    replace_section(path, "\n".join(section), BEGIN, END)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
