#!/usr/bin/env python3
"""Returning TLS clients for bench/run (standard library only): N clients each make one HTTPS request with a full
handshake and keep the session the server gave them, as a browser does; then each comes back once with its own
session. Prints the share of returning clients whose session was resumed, and the server's on-CPU time per
connection in each round, from /proc/PID/task/*/schedstat of the given server processes.

Every loop here is bounded by the number of clients, and only loopback addresses are accepted.
"""

import argparse
import glob
import ipaddress
import socket
import ssl
import sys
import time

TIMEOUT = 10.0


def loopback(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit(f"refusing non-loopback address {addr}")
    return addr


def cpu_ns(pids):
    """On-CPU nanoseconds so far of every thread of the given processes."""
    total = 0
    for pid in pids:
        for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
            try:
                with open(path) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # a thread that ended between the glob and the read
    return total


def visit(ctx, host, port, path, session):
    """One connection: handshake (resuming `session` if given), one request, the whole answer read.

    Returns (resumed, session to keep, status line). The answer is read to its end so that TLS 1.3 session tickets,
    which servers send after the handshake, have arrived before the session is taken."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
        # As browsers do: without it, Nagle holds the request behind the client's Finished for a delayed ACK.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while len(answer) < 1 << 20:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                answer += chunk
            return tls.session_reused, tls.session, answer.split(b"\r\n", 1)[0].decode(errors="replace")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--path", default="/")
    p.add_argument("--cafile", required=True, help="the server's (self-signed) certificate, trusted as a browser would")
    p.add_argument("--clients", type=int, default=600)
    p.add_argument("--pid", type=int, action="append", default=[], help="a server process whose CPU counts")
    p.add_argument("--label", default="server")
    a = p.parse_args()
    host = loopback(a.host)
    if not 1 <= a.clients <= 5000:
        sys.exit("--clients must be 1..5000")

    ctx = ssl.create_default_context(cafile=a.cafile)
    sessions = [None] * a.clients
    rounds = []
    for rnd in ("first", "return"):
        resumed = 0
        statuses = set()
        before, t0 = cpu_ns(a.pid), time.monotonic()
        for i in range(a.clients):
            was_resumed, sessions[i], status = visit(ctx, host, a.port, a.path, sessions[i])
            resumed += was_resumed
            statuses.add(status)
        cpu = cpu_ns(a.pid) - before
        rounds.append((rnd, resumed, cpu / a.clients / 1000, time.monotonic() - t0, statuses))
    first, back = rounds
    if first[1]:
        sys.exit(f"{a.label}: {first[1]} first visits claim a resumed session")
    print(
        f"TLS label={a.label} clients={a.clients} resumed={back[1]} share={back[1] / a.clients:.3f} "
        f"cpu_full_us={first[2]:.1f} cpu_return_us={back[2]:.1f} "
        f"seconds_first={first[3]:.2f} seconds_return={back[3]:.2f} "
        f"status={'|'.join(sorted(first[4] | back[4])).replace(' ', '_')}"
    )


if __name__ == "__main__":
    main()
