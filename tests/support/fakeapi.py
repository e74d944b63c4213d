"""A fake, possibly hostile, Kubernetes API server: a real HTTP server on 127.0.0.1 in a thread.

Each route maps a path to an :class:`Answer` (status, body, how slowly to send it); the route
``"*"`` answers every other path. Used by the
tests that check the client survives servers answering the wrong shape, trickling bytes, or
sending pages it must not show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.kubeconfig_factory import dump, kubeconfig


@dataclass
class Answer:
    body: bytes | str = b"{}"
    status: int = 200
    content_type: str = "application/json"
    trickle_every: float | None = None  # send the body one byte at a time, this many seconds apart
    trickle_headers: bool = False  # trickle the status line and headers too


@dataclass
class FakeAPI:
    routes: dict[str, Answer] = field(default_factory=dict)
    port: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kubeconfig(self) -> str:
        return dump(kubeconfig(server=self.url))


NORMAL = {
    "/version": Answer('{"major": "1", "minor": "31", "gitVersion": "v1.31.0"}'),
    "/api/v1/nodes": Answer('{"kind": "List", "items": [{"metadata": {"name": "n1"}}], "metadata": {}}'),
}


def _handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send_slowly(self, data: bytes, every: float) -> None:
            for i in range(len(data)):
                if api.stop.is_set():
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(every)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            answer = api.routes.get(path) or NORMAL.get(path) or api.routes.get("*")
            if answer is None:
                answer = Answer('{"kind": "Status", "message": "not here"}', status=404)
            body = answer.body.encode() if isinstance(answer.body, str) else answer.body
            head = (
                f"HTTP/1.1 {answer.status} X\r\nContent-Type: {answer.content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            try:
                if answer.trickle_every and answer.trickle_headers:
                    self._send_slowly(head + body, answer.trickle_every)
                elif answer.trickle_every:
                    self.wfile.write(head)
                    self.wfile.flush()
                    self._send_slowly(body, answer.trickle_every)
                else:
                    self.wfile.write(head + body)
            except OSError:
                pass  # the client hung up (as it should, at its deadline)
            self.close_connection = True

    return Handler


@contextmanager
def fake_api(routes: dict[str, Answer] | None = None) -> Iterator[FakeAPI]:
    api = FakeAPI(routes=dict(routes or {}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.stop.set()
        server.shutdown()
        server.server_close()
