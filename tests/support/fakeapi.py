"""A fake, possibly hostile, Kubernetes API server: a real HTTP server on 127.0.0.1 in a thread.

Each route maps a path (any method) or ``"METHOD /path"`` (that method only, looked up first) to
an :class:`Answer` (status, body, how slowly to send it); the route ``"*"`` (or ``"METHOD *"``) answers every other
path. Every request is recorded (``FakeAPI.requests``: method and path). Used by the tests that
check the client survives servers answering the wrong shape, trickling bytes, or sending pages it
must not show. A request through it as a proxy (an absolute URL) is answered for the URL's path.

:func:`trickling_tls` is a server of another kind: it accepts a connection and then sends a TLS
handshake one byte at a time, for ever, counting the bytes it sent; as a proxy (``proxy=True``) it
reads the client's ``CONNECT`` and trickles the answer to it instead.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    requests: list[tuple[str, str]] = field(default_factory=list)
    tokens: set[str] | None = None  # when set, a request without one of these bearer tokens gets a 401
    headers: list[dict[str, str]] = field(default_factory=list)  # each request's headers

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
            if "://" in path:  # asked as a proxy: the absolute URL's path
                path = "/" + path.split("://", 1)[1].partition("/")[2]
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            api.requests.append((self.command, self.path))
            api.headers.append(dict(self.headers.items()))
            bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            refused = Answer('{"kind": "Status", "message": "Unauthorized"}', status=401)
            answer = refused if api.tokens is not None and bearer not in api.tokens else None
            answer = answer or (
                api.routes.get(f"{self.command} {path}")
                or api.routes.get(path)
                or NORMAL.get(path)
                or api.routes.get(f"{self.command} *")
                or api.routes.get("*")
            )
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

        do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

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


@dataclass
class Trickle:
    """A server that answers every connection with a TLS record header announcing 16 kB of
    handshake, then one byte of it every ``every`` seconds (never enough to finish), until
    ``limit`` bytes went out on a connection or the server stops."""

    every: float = 0.05
    limit: int = 2000
    proxy: bool = False  # trickle the answer to a CONNECT (a proxy's tunnel) instead of a handshake
    port: int = 0
    sent: int = 0  # bytes sent, all connections together
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"{'http' if self.proxy else 'https'}://127.0.0.1:{self.port}"

    def kubeconfig(self) -> str:
        return dump(kubeconfig(server=self.url))


def _trickle_to(server: Trickle, conn: socket.socket) -> None:
    record = b"\x16\x03\x03\x40\x00" + b"\x02" + b"\x00" * 20000  # handshake, ServerHello...
    if server.proxy:
        seen = b""
        conn.settimeout(5)
        with suppress(OSError):
            while b"\r\n\r\n" not in seen:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                seen += chunk
        record = b"HTTP/1.1 200 Connection established" + b"x" * 20000  # a status line never ended
    with conn:
        for i in range(min(server.limit, len(record))):
            if server.stop.is_set():
                return
            try:
                conn.sendall(record[i : i + 1])
            except OSError:
                return  # the client gave up
            server.sent += 1
            time.sleep(server.every)


@contextmanager
def trickling_tls(every: float = 0.05, limit: int = 2000, *, proxy: bool = False) -> Iterator[Trickle]:
    server = Trickle(every=every, limit=limit, proxy=proxy)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    server.port = listener.getsockname()[1]

    def serve() -> None:
        while not server.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_trickle_to, args=(server, conn), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        thread.join(timeout=5)
        listener.close()
