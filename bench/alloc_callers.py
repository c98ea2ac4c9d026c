#!/usr/bin/env python3
"""Allocations per request by source, from `perf script` output of allocator uprobes recorded with call graphs.

Usage: perf script -i perf.data -F event,ip,sym | bench/alloc_callers.py REQUESTS [TOP]

Each sample is one call of a probed allocator entry point (bench/counts, COUNTS_CALLERS). A sample belongs to
Portvakt when any frame of its stack is Portvakt's code (its filters run inside pingora-proxy's phases, and what
they call allocates on their behalf); otherwise to the crate of the innermost frame outside the allocator, the
standard library and generic containers (pingora-proxy, pingora-core, http, tokio, ...). Prints allocations per
request per source, and within each source per function (the innermost frame of that source).
"""
import collections
import re
import sys

# Crates whose frames allocate on behalf of their caller: the allocator, std, generic containers and helpers.
PASS_THROUGH = {
    "mimalloc", "__rustc", "alloc", "core", "std", "hashbrown", "smallvec", "bytes", "serde", "serde_json",
    "indexmap", "async_trait",
}


def crate_of(sym):
    """The crate a demangled symbol belongs to (for `<A as B>::f`, A's crate)."""
    s = sym.lstrip("<&*").replace("mut ", "").replace("dyn ", "")
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", s)
    return m.group(1) if m else None


def function_of(sym):
    """A symbol without its hash, closure and generic suffixes, short enough for a table."""
    s = re.sub(r"::h[0-9a-f]{16}$", "", sym)
    s = re.sub(r"::\{\{closure\}\}", "", s)
    s = re.sub(r"\+0x[0-9a-f]+$", "", s)
    return s[:150]


def samples(lines):
    """Stacks (innermost frame first) of the samples in `perf script` output."""
    stack = None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack is not None:
                yield stack
            stack = None
            continue
        if not line.startswith((" ", "\t")):
            if stack is not None:
                yield stack
            stack = []
            continue
        parts = line.split(None, 1)
        if stack is None:
            stack = []
        if len(parts) == 2:
            stack.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1].split(" (")[0]))
    if stack:
        yield stack


def main():
    requests = float(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    by_source = collections.Counter()
    by_function = collections.defaultdict(collections.Counter)
    total = 0
    for stack in samples(sys.stdin):
        total += 1
        ours = [f for f in stack if crate_of(f) == "portvakt"]
        if ours:
            source, fn = "portvakt", function_of(ours[0])
        else:
            owner = next((f for f in stack if crate_of(f) and crate_of(f) not in PASS_THROUGH), None)
            source = crate_of(owner) if owner else "(unknown)"
            fn = function_of(owner) if owner else "(no frame outside the allocator and std)"
        by_source[source] += 1
        by_function[source][fn] += 1
    print(f"{total} allocator calls over {requests:.0f} requests: {total / requests:.2f} per request")
    for source, n in by_source.most_common():
        print(f"{n / requests:8.2f}  {source}")
        for fn, k in by_function[source].most_common(top):
            print(f"    {k / requests:8.2f}  {fn}")


if __name__ == "__main__":
    main()
