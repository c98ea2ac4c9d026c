#!/usr/bin/env python3
"""A real SMTP server for Portvakt's notification tests, built on aiosmtpd.

Every message received is written to DIR as N.eml (the raw message as it came over the wire, N counting from 1)
with N.json beside it (the envelope: sender, recipients, and the user that authenticated, if any). N.json is
written first and N.eml appears atomically, so a reader that lists *.eml never sees half a message.

The server listens on 127.0.0.1 only. It prints "ready" once it accepts connections, and exits when its standard
input closes (the test process ended, however it ended) or on SIGTERM/SIGINT, so no test leaves it running.

Options:
  --port N                  port to listen on (required)
  --starttls CERT KEY       offer STARTTLS with this PEM certificate and key
  --tls CERT KEY            implicit TLS (SMTPS) with this PEM certificate and key
  --auth USER:PASSWORD      offer AUTH PLAIN/LOGIN (after TLS only) and require it for mail
"""

import argparse
import json
import os
import signal
import ssl
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class SaveToDir:
    """Writes each message to the directory, numbered in arrival order."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        auth = session.auth_data
        if isinstance(auth, bytes):
            auth = auth.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth if isinstance(auth, str) else None,
        }
        with open(os.path.join(self.directory, f"{n}.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        tmp = os.path.join(self.directory, f"{n}.eml.tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        os.rename(tmp, os.path.join(self.directory, f"{n}.eml"))
        return "250 Message accepted for delivery"


def tls_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASSWORD")
    args = p.parse_args()

    smtp_kwargs = {}
    ssl_context = None
    if args.starttls:
        smtp_kwargs["tls_context"] = tls_context(*args.starttls)
        smtp_kwargs["require_starttls"] = False
    if args.tls:
        ssl_context = tls_context(*args.tls)
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            if ok:
                return AuthResult(success=True, auth_data=user)
            # handled=False makes aiosmtpd answer "535 Authentication credentials invalid" itself.
            return AuthResult(success=False, handled=False)

        smtp_kwargs["authenticator"] = authenticator
        smtp_kwargs["auth_required"] = True
        smtp_kwargs["auth_require_tls"] = True

    controller = Controller(
        SaveToDir(args.dir),
        hostname="127.0.0.1",
        port=args.port,
        ssl_context=ssl_context,
        server_hostname="localhost",
        **smtp_kwargs,
    )
    controller.start()

    # Messages are complete on disk (written, then renamed) before the reply, so stopping at any moment is safe:
    # leave at once, without the slower orderly shutdown.
    def leave(*_):
        os._exit(0)

    def watch_stdin():
        # os.read, not sys.stdin: it returns on EOF without holding the buffered reader's lock.
        try:
            while os.read(0, 4096):
                pass
        finally:
            leave()

    threading.Thread(target=watch_stdin, daemon=True).start()
    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)
    print("ready", flush=True)
    while True:
        time.sleep(3600)

if __name__ == "__main__":
    main()
