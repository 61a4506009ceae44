#!/usr/bin/env python3
"""Benchmark the conntrack drop-in through ctd against conntrack-tools 1.4.7 (step 3 targets).

The drop-in is ctctl started as `conntrack` (a symlink), talking to the built ctd over a
private system bus inside a throwaway network namespace; the reference is Debian's
/usr/sbin/conntrack 1.4.7 on the same table, in the same run, runs of the two alternating.
Every client runs under `nsenter --net`, output to /dev/null. Cases, median of --runs:

  list       -L of N unique UDP entries (bench/ctfill: 1 % dport 53, 1 % dport 9999,
             accounting and timestamps off)                               target <= 0.5x
  filtered   -L -p udp --dport 53 and -D -p udp --dport 9999 (the 1 % refilled before
             every delete run)                                            target <= 0.2x
  load       -R of a save file (`conntrack -L -o save` of the filled table), the table
             flushed before every run                                     target >= 4x faster
             peak RSS: the client's (/usr/bin/time), ctd's (VmHWM, reset before each run)
  events     -E of both at the same time, each to a file, while bench/ctchurn makes
             --event-rate creates+deletes per second for --event-seconds; lines of each
             against the events generated, and what each says about loss (stderr, and the
             drop-in's `# ctd: lost` records)

Global sysctls (nf_conntrack_max, nf_conntrack_buckets) are raised in the initial
namespace for the run and restored afterwards, whatever happens. Namespaces, bus and ctd
are torn down on exit. With --write the results replace the "conntrack drop-in (step 3)"
section of docs/performance.md.
"""
import argparse
import datetime
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_common import (SYSCTLS, machine, peak_rss_kib, read, replace_section,  # noqa: E402
                          start_ctd_on_bus, write)

REFERENCE = "/usr/sbin/conntrack"
BEGIN, END = "<!-- bench_dropin.py begin -->", "<!-- bench_dropin.py end -->"


class Setup:
    """A namespace with N entries, its own dbus-daemon and ctd, a `conntrack` symlink to ctctl."""

    def __init__(self, build, n, tag):
        self.build, self.n = build, n
        self.ns = f"ctdropin{os.getpid()}{tag}"
        self.netns = f"/run/netns/{self.ns}"
        self.tmp = tempfile.mkdtemp(prefix="ctd-dropin.")
        self.procs = []

    def enter(self, *argv):
        # nsenter joins only the network namespace and execs argv (same pid, so wait4 and
        # /usr/bin/time see the client itself); ip netns exec would also remount /sys.
        return ["nsenter", f"--net={self.netns}", *argv]

    def run(self, *argv, **kw):
        return subprocess.run(self.enter(*argv), env=self.env, **kw)

    def __enter__(self):
        try:
            return self._start()
        except BaseException:
            self.__exit__()
            raise

    def _start(self):
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        self.env = dict(os.environ)
        for knob in ("nf_conntrack_acct", "nf_conntrack_timestamp"):
            self.run("sysctl", "-qw", f"net.netfilter.{knob}=0", check=True)
        if self.n:
            self.fill(self.n)
        self.env, self.ctd_pid = start_ctd_on_bus(self.build, self.tmp, self.enter, self.procs)
        os.mkdir(os.path.join(self.tmp, "bin"))
        self.dropin = os.path.join(self.tmp, "bin", "conntrack")
        os.symlink(os.path.join(self.build, "ctl", "ctctl"), self.dropin)
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run(["ip", "netns", "del", self.ns], check=False, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fill(self, n, only=None):
        argv = [os.path.join(self.build, "bench", "ctfill"), "--count", str(n)]
        if only is not None:
            argv += ["--only-dport", str(only)]
        t0 = time.perf_counter()
        self.run(*argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0

    def flush(self):
        self.run(REFERENCE, "-F", check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def count(self):
        # /proc/sys/net shows the reader's namespace: read it from inside.
        r = self.run("sysctl", "-n", "net.netfilter.nf_conntrack_count", check=True,
                     capture_output=True, text=True)
        return int(r.stdout)

    def reset_ctd_peak(self):
        write(f"/proc/{self.ctd_pid}/clear_refs", "5")


def timed(s, argv, stdin=None):
    """Runs argv in the namespace; (seconds, client peak RSS KiB). The RSS comes from
    /usr/bin/time around nsenter, which execs the client: Python's vfork'd child would
    otherwise count this interpreter."""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *s.enter(*argv)],
                              env=s.env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-400:]}")
        return elapsed, int(rss_file.read().split()[-1])


def compare(s, runs, args, before=None):
    """Alternates drop-in and reference runs; medians and peak RSS (client, and ctd's)."""
    ours, ref, rss_ours, rss_ref, rss_ctd = [], [], [], [], []
    for _ in range(runs):
        for side in ("ours", "ref"):
            if before:
                before()
            if side == "ours":
                s.reset_ctd_peak()
                t, r = timed(s, [s.dropin, *args])
                ours.append(t)
                rss_ours.append(r)
                rss_ctd.append(peak_rss_kib(s.ctd_pid))
            else:
                t, r = timed(s, [REFERENCE, *args])
                ref.append(t)
                rss_ref.append(r)
    return dict(ours=statistics.median(ours), ref=statistics.median(ref),
                rss_ours=max(rss_ours), rss_ref=max(rss_ref), rss_ctd=max(rss_ctd))


def bench_table(build, n, runs):
    rows = []
    with Setup(build, n, "t") as s:
        print(f"N = {n}: filled, ctd pid {s.ctd_pid}", flush=True)
        if s.count() != n:
            raise RuntimeError(f"table holds {s.count()} entries, wanted {n}")
        refill = lambda: s.fill(n // 100, only=9999)  # noqa: E731
        cases = [
            ("-L", ["-L"], None),
            ("-L -p udp --dport 53 (1 %)", ["-L", "-p", "udp", "--dport", "53"], None),
            ("-D -p udp --dport 9999 (1 %)", ["-D", "-p", "udp", "--dport", "9999"], refill),
        ]
        for label, args, before in cases:
            if before:
                # the fill holds the 1 % already: delete it so that every run starts equal
                s.run(REFERENCE, "-D", "-p", "udp", "--dport", "9999",
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rows.append(dict(n=n, case=label, **compare(s, runs, args, before)))
            if before:
                before()  # the last run deleted the 1 %: the save file below wants all N
            report_row(rows[-1])
        # -R: a save file of this table, loaded into an emptied table by each side.
        save = os.path.join(s.tmp, "table.save")
        with open(save, "w") as f:
            s.run(REFERENCE, "-L", "-o", "save", check=True, stdout=f, stderr=subprocess.DEVNULL)
        lines = sum(1 for _ in open(save))
        if lines != n:
            raise RuntimeError(f"save file has {lines} lines, wanted {n}")
        # Both sides read the file as `conntrack -R FILE`; the table is emptied first.
        res = compare(s, runs, ["-R", save], s.flush)
        if s.count() != n:
            raise RuntimeError(f"after -R the table holds {s.count()} entries, wanted {n}")
        rows.append(dict(n=n, case="-R (load)", **res))
        report_row(rows[-1])
    return rows


def report_row(r):
    print(f"  {r['case']:30s} drop-in {r['ours']:7.3f} s  1.4.7 {r['ref']:7.3f} s  "
          f"ratio {r['ours'] / r['ref']:5.2f}  RSS drop-in {r['rss_ours'] / 1024:6.1f}  "
          f"ctd {r['rss_ctd'] / 1024:6.1f}  1.4.7 {r['rss_ref'] / 1024:7.1f} MiB", flush=True)


def count_lines(path):
    events = loss_lines = 0
    loss_text = []
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"# ctd: lost"):
                loss_lines += 1
                loss_text.append(line.decode(errors="replace").strip())
            else:
                events += 1
    return events, loss_lines, loss_text


def bench_events(build, rate, seconds, window, runs):
    """Both -E listeners at once while ctchurn churns; counts against what was generated."""
    results = []
    with Setup(build, 0, "e") as s:
        churn = os.path.join(build, "bench", "ctchurn")
        for run in range(runs):
            s.flush()
            files = {side: os.path.join(s.tmp, f"events-{side}-{run}") for side in ("ours", "ref")}
            listeners = {}
            for side, prog in (("ours", s.dropin), ("ref", REFERENCE)):
                out = open(files[side], "wb")
                err = open(files[side] + ".err", "wb")
                listeners[side] = subprocess.Popen(s.enter(prog, "-E"), env=s.env, stdout=out, stderr=err)
                out.close()
                err.close()
            time.sleep(1.5)  # both subscribed (the drop-in's Watch returns at once)
            s.reset_ctd_peak()
            r = s.run(churn, "--rate", str(rate), "--seconds", str(seconds), "--window", str(window),
                      capture_output=True, text=True)
            header = dict(kv.split("=", 1) for kv in r.stdout.split() if "=" in kv)
            if r.returncode != 0 or "ops" not in header:
                print(f"  warning: ctchurn: {r.stdout.strip()} {r.stderr.strip()}", flush=True)
                header.setdefault("ops", "0")
            # Every create (the untimed window included) is a NEW event, every delete a DESTROY.
            generated = window + int(header["ops"])
            # Let both readers drain what is queued, then stop them as a user would (^C).
            last = (-1, -1)
            for _ in range(60):
                time.sleep(0.5)
                now = (os.path.getsize(files["ours"]), os.path.getsize(files["ref"]))
                if now == last:
                    break
                last = now
            time.sleep(1)
            for p in listeners.values():
                p.send_signal(signal.SIGINT)
            for p in listeners.values():
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            row = dict(generated=generated, achieved=float(header.get("achieved", 0)),
                       ctd_rss=peak_rss_kib(s.ctd_pid))
            for side in ("ours", "ref"):
                events, loss_lines, loss_text = count_lines(files[side])
                stderr = open(files[side] + ".err", errors="replace").read().strip()
                row[side] = dict(events=events, loss_lines=loss_lines, loss_text=loss_text, stderr=stderr)
            results.append(row)
            print(f"  -E run {run + 1}: generated {generated} (churn {row['achieved']:.0f} ops/s), "
                  f"drop-in {row['ours']['events']} ({row['ours']['events'] / generated:.1%}), "
                  f"1.4.7 {row['ref']['events']} ({row['ref']['events'] / generated:.1%})", flush=True)
            for side in ("ours", "ref"):
                notes = row[side]["loss_text"] + [l for l in row[side]["stderr"].splitlines()]
                if notes:
                    print(f"    {side} said: " + " | ".join(notes[:6]), flush=True)
    return results


def machine_line(runs):
    return (f"Machine: {machine()}; "
            f"date {datetime.date.today().isoformat()}; median of {runs} runs.")


TARGETS = {  # case -> (ratio bound, how it is read)
    "-L": 0.5,
    "-L -p udp --dport 53 (1 %)": 0.2,
    "-D -p udp --dport 9999 (1 %)": 0.2,
    "-R (load)": 0.25,  # >= 4x faster
}


def write_report(args, rows, events):
    out = [
        BEGIN,
        "## conntrack drop-in (step 3)",
        "",
        "Written by `bench/bench_dropin.py`: the drop-in (ctctl started as `conntrack`, through a",
        "private system bus to ctd, in a throwaway namespace) against Debian's conntrack 1.4.7 on",
        "the same table in the same run, runs alternating; clients under `nsenter --net`, output",
        "to /dev/null. Ratio = drop-in / 1.4.7. RSS: clients' peak (/usr/bin/time), ctd's peak",
        "(VmHWM, reset before each run).",
        machine_line(args.runs),
        "",
        "| N | case | drop-in (s) | 1.4.7 (s) | ratio | target | met | peak RSS drop-in / ctd / 1.4.7 (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["ours"] / r["ref"]
        bound = TARGETS[r["case"]]
        target = f"≤ {bound} (≥ 4× faster)" if r["case"].startswith("-R") else f"≤ {bound}"
        out.append(f"| {r['n']} | `{r['case']}` | {r['ours']:.3f} | {r['ref']:.3f} | {ratio:.2f} | {target} | "
                   f"{'yes' if ratio <= bound else 'no'} | {r['rss_ours'] / 1024:.1f} / {r['rss_ctd'] / 1024:.1f}"
                   f" / {r['rss_ref'] / 1024:.1f} |")
    loads = {r["n"]: r for r in rows if r["case"].startswith("-R")}
    if len(loads) >= 2:
        small, big = min(loads), max(loads)
        f = lambda key: loads[big][key] / loads[small][key]  # noqa: E731
        out += [""] + textwrap.wrap(
            f"`-R` memory from N = {small} to {big} (peak RSS ratio; flat is ≈ 1): "
            f"drop-in {f('rss_ours'):.2f}, ctd {f('rss_ctd'):.2f}, 1.4.7 {f('rss_ref'):.2f}.", 92)
    if events:
        out += [""] + textwrap.wrap(
            f"`-E` at {args.event_rate} events/s: bench/ctchurn `--rate {args.event_rate} --seconds "
            f"{args.event_seconds:g} --window {args.event_window}` in the namespace (the untimed window "
            "fill counts: every create is a NEW event, every delete a DESTROY), both listeners "
            "running at once, each to a file.", 92) + ["",
                "| run | generated | churn ops/s | drop-in lines | % | 1.4.7 lines | % | drop-in loss records "
                "(stdout) / on stderr | 1.4.7 ENOBUFS warnings (stderr) | ctd peak RSS (MiB) |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for i, e in enumerate(events, 1):
            warn = sum(1 for l in e["ref"]["stderr"].splitlines() if "ENOBUFS" in l)
            said = sum(1 for l in e["ours"]["stderr"].splitlines() if "lost" in l or "ENOBUFS" in l)
            out.append(f"| {i} | {e['generated']} | {e['achieved']:.0f} | {e['ours']['events']} | "
                       f"{e['ours']['events'] / e['generated']:.1%} | {e['ref']['events']} | "
                       f"{e['ref']['events'] / e['generated']:.1%} | {e['ours']['loss_lines']} / {said} | {warn} | "
                       f"{e['ctd_rss'] / 1024:.1f} |")
        kept = sum(1 for e in events if e["ours"]["events"] == e["generated"])
        out += ["", f"The drop-in kept every event in {kept} of {len(events)} runs."]
    out.append(END)
    path = os.path.join(TOP, "docs", "performance.md")
    replace_section(path, "\n".join(out), BEGIN, END)
    print(f"wrote {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--event-rate", type=int, default=100000)
    p.add_argument("--event-seconds", type=float, default=5)
    p.add_argument("--event-window", type=int, default=20000)
    p.add_argument("--event-runs", type=int, default=5)
    p.add_argument("--only", choices=("table", "events"), help="run one half only")
    p.add_argument("--build", default=os.path.join(TOP, "build"), help="meson build directory")
    p.add_argument("--write", action="store_true", help="update docs/performance.md")
    p.add_argument("--keep-sysctls", action="store_true",
                   help="leave the global sysctls as they are (small trial runs)")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)  # the drop-in symlink must not depend on the cwd
    if os.geteuid() != 0:
        print("bench_dropin.py needs root (namespaces, global conntrack sysctls)", file=sys.stderr)
        sys.exit(77)
    for tool in ("nsenter", "dbus-daemon", "busctl", "/usr/bin/time", REFERENCE):
        if not shutil.which(tool):
            print(f"bench_dropin.py: {tool} missing", file=sys.stderr)
            sys.exit(77)
    saved = {path: read(path) for path in SYSCTLS}
    rows, events = [], []
    # A signal must still restore the sysctls and remove the namespaces.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for path, value in SYSCTLS.items():
            if not args.keep_sysctls:
                write(path, value)
        if args.only != "events":
            for n in (int(x) for x in args.sizes.split(",")):
                rows += bench_table(args.build, n, args.runs)
        if args.only != "table":
            print(f"-E at {args.event_rate}/s for {args.event_seconds} s", flush=True)
            events = bench_events(args.build, args.event_rate, args.event_seconds, args.event_window,
                                  args.event_runs)
    finally:
        for path, value in saved.items():
            write(path, value)
    if args.write:
        write_report(args, rows, events)


if __name__ == "__main__":
    main()
