"""What a port of a kwok fake pod answers: kwok runs this once per forwarded connection (the local
control plane's ``ClusterPortForward``), with the connection as stdin and stdout.

With a file ``port-forward-target`` (``HOST:PORT``) in the control plane's directory, the
connection is relayed to that address (tests point it at a small HTTP server they start);
otherwise it answers one small HTTP response, so ``curl`` through a port-forward shows it worked.
Runs as a script (``python fakeport.py STATE_DIR``): no imports from the project.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
from pathlib import Path

BODY = b"ushadow-local: this port-forward reached a kwok fake pod\n"


def _answer() -> None:
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        ready, _, _ = select.select([0], [], [], 2.0)
        if not ready:
            break
        chunk = os.read(0, 4096)
        if not chunk:
            break
        head += chunk
    response = (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(BODY)
        + BODY
    )
    os.write(1, response)


def _relay(target: str) -> None:
    host, _, port = target.strip().rpartition(":")
    upstream = socket.create_connection((host, int(port)), timeout=10)
    upstream.settimeout(None)

    def inbound() -> None:
        while chunk := os.read(0, 65536):
            upstream.sendall(chunk)
        upstream.shutdown(socket.SHUT_WR)

    threading.Thread(target=inbound, daemon=True).start()
    while chunk := upstream.recv(65536):
        os.write(1, chunk)


def main() -> int:
    state = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    target = state / "port-forward-target"
    if target.is_file() and target.read_text().strip():
        _relay(target.read_text())
    else:
        _answer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
