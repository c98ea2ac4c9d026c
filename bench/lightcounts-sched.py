#!/usr/bin/env python3
"""Wake-up chains from `perf sched record` (bench/lightcounts, LIGHT_SCHED=1): who woke a server's threads and how long
each waited from being woken to running. Reads `perf script -F comm,tid,time,event,trace` on stdin.

Usage: perf script ... | bench/lightcounts-sched.py REQUESTS SERVER_TIDS WRK_TIDS BACKEND_TIDS
(TIDS: comma-separated thread IDs). Prints wake-ups per 1,000 requests by waker, and the wake-to-run delay's
percentiles."""
import re
import sys

LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+sched:(\w+):\s+(.*)$")


def tids(arg):
    return {int(t) for t in arg.split(",") if t}


def main():
    requests = max(int(sys.argv[1]), 1)
    server, wrk, backend = tids(sys.argv[2]), tids(sys.argv[3]), tids(sys.argv[4])
    by_waker = {}
    woken_at = {}
    delays = []
    blocked = 0
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        comm, tid, ts, event, rest = m.group(1), int(m.group(2)), float(m.group(3)), m.group(4), m.group(5)
        if event in ("sched_waking", "sched_wakeup"):
            target = re.search(r"comm=(.*?) pid=(\d+)", rest)
            if not target or int(target.group(2)) not in server:
                continue
            name, target = target.group(1), int(target.group(2))
            if target in woken_at and event == "sched_wakeup":
                continue  # the same wake-up, seen at both tracepoints
            if tid in server:
                who = "another thread of the server" if tid != target else "itself"
            elif tid in wrk:
                who = "wrk (a request arrived)"
            elif tid in backend:
                who = "bench_backend (an answer arrived)"
            else:
                # A wake-up from an interrupt (a timer expiring, a packet's softirq) runs in the context of whatever
                # was on that CPU: the idle task, a compiler, anything.
                who = "an interrupt (a timer; on whatever CPU time it came)"
            key = (name, who)
            by_waker[key] = by_waker.get(key, 0) + 1
            woken_at.setdefault(target, ts)
        elif event == "sched_switch":
            prev = re.search(r"prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+)", rest)
            if prev and int(prev.group(1)) in server and not prev.group(2).startswith("R"):
                blocked += 1
            nxt = re.search(r"next_pid=(\d+)", rest)
            if nxt and int(nxt.group(1)) in woken_at:
                delays.append(ts - woken_at.pop(int(nxt.group(1))))
    total = sum(by_waker.values())
    print(f"    its threads blocked (switched out asleep) {blocked * 1000 / requests:.1f} times per 1,000 requests")
    print(f"    wake-ups of its threads: {total * 1000 / requests:.1f} per 1,000 requests, by thread and who woke it:")
    for (name, who), n in sorted(by_waker.items(), key=lambda kv: -kv[1]):
        print(f"      {n * 1000 / requests:8.1f}  {name:<16} by {who}")
    if delays:
        delays.sort()
        pct = lambda p: delays[min(len(delays) - 1, int(p / 100 * len(delays)))] * 1e6
        mean = sum(delays) / len(delays) * 1e6
        print(f"    woken to running: mean {mean:.0f} us, p50 {pct(50):.0f} us, p90 {pct(90):.0f} us, p99 {pct(99):.0f} us")


if __name__ == "__main__":
    main()
