#!/usr/bin/env python3
"""Allocations per request by source, from `perf script` output of allocator uprobes recorded with call graphs.

Usage: perf script -i perf.data -F ip,sym,dso | bench/alloc_callers.py REQUESTS [TOP] [BINARY]

With BINARY, frames perf left as [unknown] in that file are named from its symbol table (`nm -C`): perf 6.1 names
none of a debug build's frames here ("build id ... not found"), although the addresses it unwound are right.

Each sample is one call of a probed allocator entry point (bench/counts, COUNTS_CALLERS). A sample belongs to
Portvakt when any frame of its stack is Portvakt's code (its filters run inside pingora-proxy's phases, and what
they call allocates on their behalf); otherwise to the crate of the innermost frame outside the allocator, the
standard library and generic containers (pingora-proxy, pingora-core, http, tokio, ...). Prints allocations per
request per source, and within each source per function (the innermost frame of that source).
"""
import bisect
import collections
import re
import subprocess
import sys

# Crates whose frames allocate on behalf of their caller: the allocator, std, generic containers and helpers.
PASS_THROUGH = {
    "mimalloc", "__rustc", "alloc", "core", "std", "hashbrown", "smallvec", "bytes", "serde", "serde_json",
    "indexmap", "async_trait",
}


# Crates whose innermost frame decides whether an allocation is Portvakt's (see main).
ENGINE = {"portvakt", "pingora_proxy", "pingora_core", "bare_proxy"}
# Portvakt's wrapper around pingora's connection handling: on the stack of every allocation of a connection.
EDGE = ("<portvakt::edge::", "portvakt::edge::")


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


class Symbols:
    """The text symbols of one ELF file, for naming the file offsets perf script prints for its frames."""

    def __init__(self, path):
        self.path = path
        out = subprocess.run(["nm", "-C", "--defined-only", path], capture_output=True, text=True, check=True).stdout
        syms = []
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
        syms.sort()
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]
        # perf prints offsets in the file; nm prints addresses: they differ by the executable segment's shift.
        self.shift = 0
        for line in subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout.splitlines():
            f = line.split()
            if f and f[0] == "LOAD" and " E " in line:
                self.shift = int(f[2], 16) - int(f[1], 16)
                break

    def name(self, offset):
        i = bisect.bisect_right(self.addrs, offset + self.shift) - 1
        return self.names[i] if i >= 0 else "[unknown]"


def samples(lines, symbols=None):
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
            sym, _, dso = parts[1].partition(" (")
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            if symbols and sym == "[unknown]" and dso.rstrip(")") == symbols.path:
                sym = symbols.name(int(parts[0], 16))
            stack.append(sym)
    if stack:
        yield stack


def main():
    requests = float(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    symbols = Symbols(sys.argv[3]) if len(sys.argv) > 3 else None
    by_source = collections.Counter()
    by_function = collections.defaultdict(collections.Counter)
    total = 0
    for stack in samples(sys.stdin, symbols):
        total += 1
        # The innermost frame of Portvakt or of the engine that runs it decides: Portvakt's filters run inside
        # pingora-proxy's phases, and pingora runs inside Portvakt's connection wrapper (`portvakt::edge`).
        decider = next((f for f in stack if crate_of(f) in ENGINE and not f.startswith(EDGE)), None)
        if decider and crate_of(decider) == "portvakt":
            callee = next((f for f in stack if crate_of(f) and crate_of(f) not in PASS_THROUGH), decider)
            source, fn = "portvakt", function_of(decider)
            if callee != decider:
                fn += "  -> " + function_of(callee)[:80]
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
