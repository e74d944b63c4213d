"""A webhook receiver on 127.0.0.1 for the notification tests: it records every POSTed JSON body
and its headers, and answers with the status the test sets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Hook:
    """What the webhook received, and the status it answers with."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 204


@contextmanager
def webhook(path: str) -> Iterator[tuple[Hook, str]]:
    """A running receiver and its URL (``http://127.0.0.1:PORT`` + ``path``)."""
    received = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.bodies.append(json.loads(self.rfile.read(length)))
            received.headers.append(dict(self.headers))
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
