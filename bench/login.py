#!/usr/bin/env python3
"""Login clients for bench/run (standard library only): one login for a cookie, a paced login storm, and CPU
per login measured from the gateway's /proc/PID/stat.

Every loop here is bounded by a count or a duration, and only loopback addresses are accepted.
"""

import argparse
import http.client
import ipaddress
import os
import re
import sys
import threading
import time
import urllib.parse

CSRF_COOKIE = "portvakt-csrf"
SESSION_COOKIE = "portvakt"
TIMEOUT = 10.0
WARMUP_LOGINS = 20


def loopback(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit(f"refusing non-loopback address {addr}")
    return addr


class Client:
    """One browser-like client: its own connection, its own cookies."""

    def __init__(self, host, port, source=None):
        self.conn = http.client.HTTPConnection(
            loopback(host), port, timeout=TIMEOUT, source_address=(loopback(source), 0) if source else None
        )
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = {"Accept": "text/html", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return resp.status, resp.getheader("location", ""), text

    def close(self):
        self.conn.close()


def hidden(text, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), text)
    return m.group(1) if m else ""


def password_login(c, user, password, rd="/app/"):
    """GET the login page (CSRF cookie and form token), then POST the password. Returns the redirect target."""
    status, _, page = c.request("GET", "/.portvakt/login?rd=" + urllib.parse.quote(rd, safe=""))
    if status != 200:
        raise RuntimeError(f"login page: HTTP {status}")
    form = {"csrf": hidden(page, "csrf"), "username": user, "password": password, "rd": rd}
    status, location, _ = c.request("POST", "/.portvakt/login", form)
    if status != 303 or SESSION_COOKIE not in c.cookies:
        raise RuntimeError(f"login POST: HTTP {status}")
    return location


def cpu_ticks(pid):
    """(utime, stime) of a process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def cmd_cookie(a):
    c = Client(a.host, a.port)
    password_login(c, a.user, a.password)
    print(c.cookies[SESSION_COOKIE])


def cmd_storm(a):
    """`rate` password logins per second for `duration` seconds, each on its own connection, started on a fixed
    schedule (not one after another) so slow logins don't lower the rate; at most `max_inflight` at once."""
    total = int(a.rate * a.duration)
    lock = threading.Lock()
    lat, failures, skipped = [], [0], [0]
    inflight = threading.BoundedSemaphore(a.max_inflight)

    def one():
        t0 = time.monotonic()
        c = Client(a.host, a.port)
        try:
            password_login(c, a.user, a.password)
            with lock:
                lat.append(time.monotonic() - t0)
        except Exception:
            with lock:
                failures[0] += 1
        finally:
            c.close()
            inflight.release()

    threads = []
    start = time.monotonic()
    for i in range(total):
        delay = start + i / a.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if not inflight.acquire(blocking=False):
            skipped[0] += 1
            continue
        t = threading.Thread(target=one, daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(TIMEOUT * 2 + 1)
    elapsed = time.monotonic() - start
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000 if lat else 0.0

    print(
        f"STORM scheduled={total} ok={len(lat)} failed={failures[0]} skipped={skipped[0]} seconds={elapsed:.2f} "
        f"achieved_per_s={len(lat) / elapsed:.1f} login_p50_ms={pct(50):.1f} login_p99_ms={pct(99):.1f}"
    )


def read_code(log, offset, email, deadline):
    """The code in the first e-mail to `email` printed after `offset` in the gateway's stdout."""
    pat = re.compile(r"\[portvakt\] e-mail to " + re.escape(email) + r":.*?\n.*?\b([A-Z0-9]{3}-[A-Z0-9]{3})\b", re.S)
    while time.monotonic() < deadline:
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            m = pat.search(f.read())
        if m:
            return m.group(1)
        time.sleep(0.005)
    raise RuntimeError(f"no code for {email} in {log}")


def full_login(a, i):
    user = f"{a.user}{i:02d}"
    email = f"{user}@bench.invalid"
    c = Client(a.host, a.port, a.source)
    try:
        location = password_login(c, user, a.password)
        if "/.portvakt/second-factor" not in location:
            raise RuntimeError(f"{user}: expected the second-factor step, got {location!r} (is {a.source} internal?)")
        status, _, page = c.request("GET", location)
        csrf = hidden(page, "csrf")
        offset = os.path.getsize(a.log)
        # A send is POST-redirect-GET: 303 to the code page, whose query names the result (`r=sent`).
        status, sent_to, _ = c.request("POST", "/.portvakt/second-factor/send", {"csrf": csrf, "channel": "email", "rd": "/app/"})
        if status != 303 or "r=sent" not in (sent_to or ""):
            raise RuntimeError(f"{user}: code send: HTTP {status} {sent_to!r}")
        code = read_code(a.log, offset, email, time.monotonic() + TIMEOUT)
        status, location, _ = c.request(
            "POST", "/.portvakt/second-factor/verify", {"csrf": csrf, "code": code, "rd": "/app/"}
        )
        if status != 303 or location != "/app/":
            raise RuntimeError(f"{user}: code verify: HTTP {status} {location!r}")
        return c
    except Exception:
        c.close()
        raise


def cmd_cpu(a):
    """CPU time of the gateway per login, sequential logins, from utime+stime deltas of its /proc/PID/stat."""
    hz = os.sysconf("SC_CLK_TCK")
    # Untimed password logins first, so one-time costs are not counted: blocking threads starting and argon2's
    # 19 MiB of working memory being faulted in (measured: 5 ms of system time per login over the first 20).
    # Otherwise whichever measurement runs first pays them.
    for _ in range(WARMUP_LOGINS):
        c = Client(a.host, a.port)
        password_login(c, a.user, a.password)
        c.close()
    before = cpu_ticks(a.pid)
    t0 = time.monotonic()
    last = None
    for i in range(1, a.n + 1):
        if a.full:
            last = full_login(a, i)
            if i < a.n:
                last.close()
        else:
            c = Client(a.host, a.port, a.source)
            password_login(c, a.user, a.password)
            c.close()
    wall = time.monotonic() - t0
    after = cpu_ticks(a.pid)
    user, system = after[0] - before[0], after[1] - before[1]
    if last is not None:
        # The last full login's cookie must open the protected service from the non-internal address.
        status, _, _ = last.request("GET", "/app/")
        last.close()
        if status != 200:
            sys.exit(f"after a full login the service answered HTTP {status}")
    kind = "full" if a.full else "password"
    per = 1000 / hz / a.n
    print(
        f"LOGINCPU kind={kind} n={a.n} cpu_ms_per_login={(user + system) * per:.1f} user_ms={user * per:.1f} "
        f"sys_ms={system * per:.1f} wall_ms_per_login={wall * 1000 / a.n:.1f}"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="bench")
    p.add_argument("--password", default="bench-password")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("cookie", help="log in once and print the session cookie value")
    s = sub.add_parser("storm", help="paced password logins for a bounded time")
    s.add_argument("--rate", type=float, default=20.0)
    s.add_argument("--duration", type=float, default=10.0)
    s.add_argument("--max-inflight", type=int, default=32)
    c = sub.add_parser("cpu", help="gateway CPU per login")
    c.add_argument("--pid", type=int, required=True)
    c.add_argument("--n", type=int, default=20)
    c.add_argument("--full", action="store_true", help="password + e-mail code (users USER01..USERnn, each once)")
    c.add_argument("--source", default=None, help="client address to connect from, e.g. 127.0.0.2")
    c.add_argument("--log", help="the gateway's stdout, where the log e-mail sender prints codes")
    a = p.parse_args()
    if a.cmd == "storm" and not (0 < a.duration <= 3600 and 0 < a.rate <= 1000):
        sys.exit("the storm is bounded: at most 3600 s and 1000 logins/s")
    if a.cmd == "cpu" and not 0 < a.n <= 96:
        sys.exit("--n must be between 1 and 96")
    {"cookie": cmd_cookie, "storm": cmd_storm, "cpu": cmd_cpu}[a.cmd](a)


if __name__ == "__main__":
    main()
