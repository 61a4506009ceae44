#!/usr/bin/python3
"""Normalise and compare conntrack tables and conntrackd caches for the sync tests.

    sync_tables.py compare [--tolerance S] [--ignore FIELD]... [--label-a A] [--label-b B] FILE_A FILE_B
        FILE_* hold `conntrack -L -o extended` output (one entry a line). Equal when the
        multisets of entries match after dropping counters (packets=, bytes=), id=, use=,
        delta-time= and the timeout column, and when the timeouts of matched entries differ
        by at most --tolerance seconds (default 2). Exit 0 equal, 1 with a diff, 2 on bad
        input.
    sync_tables.py cache-vs-table [--subset] [--ignore FIELD]... CACHE TABLE
        CACHE holds `conntrackd -e` (or -i) output, TABLE `conntrack -L -o extended`.
        conntrackd prints only the original tuple of external entries and no timeout, so
        both sides are reduced to: protocol, TCP/SCTP/DCCP state, original tuple, status
        flags and the remaining key=value fields (mark=, zone=, ...). Exit 0 equal, 1 diff.
        --subset: only every cache entry must be in the table (for lossy runs).
    sync_tables.py normalise [--cache] FILE
        Print the normalised form (for debugging and for the tests' logs).
    sync_tables.py count [--cache] FILE
        Number of parsable entries.

Why a parser rather than sed: the kernel line has the flags in fixed but different places
than conntrackd's cache printout ([ASSURED] after the reply tuple in `conntrack -L`,
after the original tuple in `conntrackd -e`), and the timeout column is absent in the
cache, so both are brought to one token model first. Input is treated as untrusted: a line
that does not parse is reported with its number, never crashes the tool.
"""

import argparse
import collections
import difflib
import re
import sys

# Tokens that change without any sync event (kernel counters, object ids, refcounts, the
# time since creation): never compared.
DROP_PREFIXES = ("packets=", "bytes=", "id=", "use=", "delta-time=")
# conntrackd's cache printout ends with "[active since 12s]" (time in its cache), or in
# ALARM mode with "[expires in 29s]" (CacheTimeout countdown).
ACTIVE_SINCE = re.compile(r"\s*\[(?:active since|expires in) \d+s\]")
# Fields of a tuple in conntrack's line format, in print order.
TUPLE_KEYS = {"src", "dst", "sport", "dport", "type", "code", "id", "srckey", "dstkey",
              "vtag"}
L3_NAMES = {"ipv4", "ipv6", "unknown"}


class ParseError(Exception):
    pass


Entry = collections.namedtuple("Entry", "proto state orig reply flags extras timeout raw")


def parse_line(line, cache):
    """Split one printed entry into an Entry; raise ParseError on nonsense."""
    text = ACTIVE_SINCE.sub("", line.strip())
    toks = text.split()
    if not toks:
        raise ParseError("empty line")
    i = 0
    # Table lines (-o extended) start with "ipv4 2"; cache lines start at the L4 name.
    if not cache and toks[0] in L3_NAMES:
        if len(toks) < 2 or not toks[1].isdigit():
            raise ParseError("layer 3 name without its number")
        i = 2
    if len(toks) < i + 2 or not toks[i + 1].isdigit():
        raise ParseError("no protocol name/number")
    proto = f"{toks[i]}/{toks[i + 1]}"
    i += 2
    timeout = None
    if not cache:
        if i >= len(toks) or not toks[i].isdigit():
            raise ParseError("no timeout column")
        timeout = int(toks[i])
        i += 1
    state = ""
    if i < len(toks) and "=" not in toks[i] and not toks[i].startswith("["):
        state = toks[i]
        i += 1
    orig, reply, flags, extras = [], [], [], []
    tuple_no = 0  # 0: none yet, 1: original, 2: reply, 3: past the tuples
    for tok in toks[i:]:
        if tok.startswith("[") and tok.endswith("]"):
            flags.append(tok)
            continue
        key, eq, _ = tok.partition("=")
        if not eq:
            raise ParseError(f"unexpected token {tok!r}")
        if key == "src":
            if tuple_no >= 2:
                raise ParseError("a third tuple")
            tuple_no += 1
        if key in TUPLE_KEYS and tuple_no in (1, 2):
            # "id=" inside a tuple is the ICMP id; after the tuples it is the entry id.
            (orig if tuple_no == 1 else reply).append(tok)
            continue
        if tuple_no:
            tuple_no = 3
        if tok.startswith(DROP_PREFIXES):
            continue
        extras.append(tok)
    if not orig:
        raise ParseError("no original tuple")
    return Entry(proto, state, tuple(orig), tuple(reply), tuple(sorted(flags)),
                 tuple(sorted(extras)), timeout, line.rstrip("\n"))


def load(path, cache):
    entries, errors = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("conntrack v"):
                continue  # the "N flow entries have been shown" trailer (on stderr anyway)
            try:
                entries.append(parse_line(line, cache))
            except ParseError as e:
                errors.append(f"{path}:{n}: {e}: {line.rstrip()}")
    return entries, errors


def without(fields, ignore):
    return tuple(t for t in fields if t.partition("=")[0] not in ignore
                 and t.strip("[]") not in ignore)


def table_key(e, ignore):
    parts = [e.proto, e.state, *e.orig, "|", *e.reply, *without(e.flags, ignore),
             *without(e.extras, ignore)]
    return " ".join(p for p in parts if p)


def cache_key(e, ignore):
    # conntrackd -e prints the original tuple only; the reply (NAT) is checked after commit.
    parts = [e.proto, e.state, *e.orig, *without(e.flags, ignore), *without(e.extras, ignore)]
    return " ".join(p for p in parts if p)


def report_errors(errors):
    for e in errors:
        print(f"unparsable: {e}", file=sys.stderr)
    return 2 if errors else 0


def multiset_diff(a_keys, b_keys, label_a, label_b):
    a_sorted, b_sorted = sorted(a_keys), sorted(b_keys)
    if a_sorted == b_sorted:
        return []
    return list(difflib.unified_diff(a_sorted, b_sorted, label_a, label_b, lineterm="", n=1))


def cmd_compare(args):
    a, ea = load(args.a, cache=False)
    b, eb = load(args.b, cache=False)
    if report_errors(ea + eb):
        return 2
    ignore = set(args.ignore)
    ka = collections.defaultdict(list)
    kb = collections.defaultdict(list)
    for e in a:
        ka[table_key(e, ignore)].append(e.timeout)
    for e in b:
        kb[table_key(e, ignore)].append(e.timeout)
    diff = multiset_diff([k for k, v in ka.items() for _ in v],
                         [k for k, v in kb.items() for _ in v], args.label_a, args.label_b)
    slow = []
    for k in ka.keys() & kb.keys():
        for ta, tb in zip(sorted(ka[k]), sorted(kb[k])):
            if abs(ta - tb) > args.tolerance:
                slow.append(f"timeout {ta} vs {tb} (> {args.tolerance} s apart): {k}")
    if not diff and not slow:
        print(f"tables equal: {len(a)} entries")
        return 0
    print(f"tables differ: {args.label_a} has {len(a)} entries, {args.label_b} has {len(b)}")
    for line in diff:
        print(line)
    for line in sorted(slow):
        print(line)
    return 1


def cmd_cache_vs_table(args):
    c, ec = load(args.cache, cache=True)
    t, et = load(args.table, cache=False)
    if report_errors(ec + et):
        return 2
    ignore = set(args.ignore)
    tkeys = [cache_key(e, ignore) for e in t]
    ckeys = [cache_key(e, ignore) for e in c]
    if args.subset:
        # Under loss the cache may hold fewer entries, but never one the table lacks.
        extra = collections.Counter(ckeys) - collections.Counter(tkeys)
        if not extra:
            print(f"cache is a subset of the table: {len(c)} of {len(t)} entries")
            return 0
        print(f"cache has {sum(extra.values())} entries not in the table:")
        for k in sorted(extra.elements()):
            print(f"+{k}")
        return 1
    diff = multiset_diff(tkeys, ckeys, args.label_table, args.label_cache)
    if not diff:
        print(f"cache matches table: {len(c)} entries")
        return 0
    print(f"cache differs: {args.label_table} has {len(t)} entries, "
          f"{args.label_cache} has {len(c)}")
    for line in diff:
        print(line)
    return 1


def cmd_normalise(args):
    entries, errors = load(args.file, cache=args.cache)
    for e in sorted(entries, key=lambda e: table_key(e, set())):
        key = cache_key(e, set()) if args.cache else table_key(e, set())
        print(key if e.timeout is None else f"{e.timeout:>7} {key}")
    return report_errors(errors)


def cmd_count(args):
    entries, errors = load(args.file, cache=args.cache)
    print(len(entries))
    return report_errors(errors)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--tolerance", type=int, default=2)
    c.add_argument("--ignore", action="append", default=[],
                   help="field name (mark, zone, ASSURED...) left out of the comparison")
    c.add_argument("--label-a", default="A")
    c.add_argument("--label-b", default="B")
    c.add_argument("a")
    c.add_argument("b")
    c.set_defaults(fn=cmd_compare)
    v = sub.add_parser("cache-vs-table")
    v.add_argument("--ignore", action="append", default=[])
    v.add_argument("--subset", action="store_true",
                   help="only require every cache entry to be in the table")
    v.add_argument("--label-cache", default="cache")
    v.add_argument("--label-table", default="table")
    v.add_argument("cache")
    v.add_argument("table")
    v.set_defaults(fn=cmd_cache_vs_table)
    for name, fn in (("normalise", cmd_normalise), ("count", cmd_count)):
        n = sub.add_parser(name)
        n.add_argument("--cache", action="store_true", help="input is conntrackd -e/-i output")
        n.add_argument("file")
        n.set_defaults(fn=fn)
    args = p.parse_args()
    try:
        return args.fn(args)
    except OSError as e:
        print(f"sync_tables.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
