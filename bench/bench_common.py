"""What the bench scripts share: the global sysctls they raise, small file helpers, the
machine line of a report, the section markers of docs/performance.md, and ctd on a
private system bus inside a throwaway namespace (bench_bus.py, bench_dropin.py).

Import it from a script in bench/ (the scripts' own folder is on sys.path).
"""
import os
import platform
import subprocess
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Raised in the initial namespace for a run, restored afterwards by the caller.
SYSCTLS = {
    "/proc/sys/net/netfilter/nf_conntrack_max": "1200000",
    "/proc/sys/net/netfilter/nf_conntrack_buckets": "1048576",
}
NAME = "org.netfilter.Conntrack1"
# A system-type bus on a socket of our own; root callers skip polkit, so no polkitd.
BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="root"/><allow own="*"/><allow send_destination="*"/>
    <allow receive_type="method_call"/><allow receive_type="method_return"/>
    <allow receive_type="error"/><allow receive_type="signal"/></policy>
</busconfig>
"""


def read(path):
    with open(path) as f:
        return f.read().strip()


def write(path, value):
    with open(path, "w") as f:
        f.write(value)


def peak_rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def machine():
    """"CPU model, N CPUs, kernel X" for a report's Machine line."""
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, kernel {platform.release()}"


def replace_section(path, section, begin, end, first=False):
    """Writes section (which starts with begin and ends with end) into the file at path in
    place of what stands between those markers, keeping the rest. A file without them gets
    the section at the end, or with first=True right after its title paragraph; a missing
    file starts as "# Performance"."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        text = "# Performance\n"
    section = section.rstrip("\n")
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    elif first:
        head, _, rest = text.partition("\n\n")
        text = head.rstrip("\n") + "\n\n" + section + "\n" + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    write(path, text)


def start_ctd_on_bus(build, tmp, enter, procs):
    """Starts dbus-daemon (socket in tmp) and the built ctd, each under enter(*argv) (the
    namespace's command prefix), appending both to procs for the caller's teardown. Returns
    (env for bus clients, pid of the ctd that owns the name)."""
    sock = os.path.join(tmp, "bus.sock")
    conf = os.path.join(tmp, "bus.conf")
    write(conf, BUS_CONF.format(sock=sock))
    procs.append(subprocess.Popen(enter("dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile"),
                                  stderr=subprocess.DEVNULL))
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + sock)
    procs.append(subprocess.Popen(enter(os.path.join(build, "service", "ctd"), "--idle-timeout", "0",
                                        "--log-level", "warning"), env=env))
    for _ in range(200):
        r = subprocess.run(["busctl", "status", NAME], env=env, capture_output=True, text=True)
        if r.returncode == 0:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("ctd did not take its bus name")
    # The command prefix may fork (ip netns exec): the pid that owns the name is the one
    # to watch.
    return env, int([l for l in r.stdout.splitlines() if l.startswith("PID=")][0][4:])
