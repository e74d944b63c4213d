"""Forwarding local ports to a pod through the API server's ``portforward`` subresource, as
``kubectl port-forward`` does: one websocket per accepted local connection. Calls out.

:func:`parse_ports` is pure. :class:`Forwarder` listens, relays, and stops when told (``stop``, or
Ctrl-C in the caller); a pod that goes away ends it with a ``core`` error that says so.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import websocket

from core.clusters.channels import connect
from core.clusters.kube import Kube
from core.errors import InvalidInput, NotFound, UshadowError

Say = Callable[[str], None]
CHUNK = 64 * 1024


@dataclass(frozen=True)
class PortPair:
    local: int  # 0: any free port
    remote: int


# printed inside the CLI's "error: ... (hint)" brackets, so no brackets of its own
PORTS_HINT = "give the remote port, or local:remote: e.g. 80, 8080:80, or :80 for a free local port"


def _port(text: str, what: str, *, zero: bool) -> int:
    if not text.isdigit() or not (0 if zero else 1) <= int(text) <= 65535:
        raise InvalidInput(f"{what} port {text!r} is not a port number", hint=PORTS_HINT)
    return int(text)


def parse_ports(specs: Sequence[str]) -> list[PortPair]:
    """``[LOCAL:]REMOTE`` arguments (LOCAL empty or 0: a free port) as pairs."""
    if not specs:
        raise InvalidInput("name at least one port to forward", hint=PORTS_HINT)
    pairs: list[PortPair] = []
    for spec in specs:
        local, sep, remote = spec.partition(":")
        if not sep:
            local, remote = remote or local, local
        pairs.append(PortPair(_port(local or "0", "local", zero=True), _port(remote, "remote", zero=False)))
    return pairs


class Forwarder:
    """Local listeners relaying each connection to a port of one pod."""

    def __init__(
        self, kube: Kube, namespace: str, pod: str, pairs: Sequence[PortPair], *, address: str = "127.0.0.1"
    ) -> None:
        self.kube, self.namespace, self.pod = kube, namespace, pod
        self._stop = threading.Event()
        self.failure: UshadowError | None = None
        self.listeners: list[tuple[socket.socket, int]] = []
        try:
            for pair in pairs:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, pair.local))
                sock.listen(16)
                self.listeners.append((sock, pair.remote))
        except OSError as exc:
            self.close()
            raise InvalidInput(
                f"cannot listen on {address}: {exc.strerror or exc}", hint="pick another local port"
            ) from exc

    @property
    def bound(self) -> list[tuple[str, int, int]]:
        """(address, local port, remote port) of each listener."""
        return [(str(s.getsockname()[0]), int(s.getsockname()[1]), remote) for s, remote in self.listeners]

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        for sock, _ in self.listeners:
            with contextlib.suppress(OSError):
                sock.close()

    def serve(self, say: Say = lambda _m: None) -> None:
        """Accept and relay until stopped; raises the error that ended it (the pod went away)."""
        by_fd = {s.fileno(): (s, remote) for s, remote in self.listeners}
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([s for s, _ in self.listeners], [], [], 0.5)
                for sock in ready:
                    conn, peer = sock.accept()
                    remote = by_fd[sock.fileno()][1]
                    say(f"handling connection from {peer[0]}:{peer[1]} for port {remote}")
                    threading.Thread(target=self._relay, args=(conn, remote, say), daemon=True).start()
                if self.failure is not None:
                    raise self.failure
        finally:
            self.close()

    def _open(self, remote: int) -> websocket.WebSocket:
        path = f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/portforward"
        try:
            return connect(self.kube, path, [("ports", str(remote))], what=f"forwarding to pod {self.pod}")
        except NotFound as exc:
            raise NotFound(
                f"pod {self.pod} is gone from {self.namespace}: port-forward stopped",
                hint="run port-forward again: it picks a ready pod of the workload",
            ) from exc

    def _relay(self, conn: socket.socket, remote: int, say: Say) -> None:
        try:
            ws = self._open(remote)
        except UshadowError as exc:
            conn.close()
            if isinstance(exc, NotFound):
                self.failure = exc
            say(f"error: {exc.message}")
            return
        try:
            _pump(ws, conn, self._stop, say)
        except (OSError, websocket.WebSocketException) as exc:
            say(f"connection for port {remote} ended: {exc}")
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            ws.close()


def _pump(ws: websocket.WebSocket, conn: socket.socket, stop: threading.Event, say: Say) -> None:
    """Copy bytes both ways; channel 0 carries data, 1 errors; each opens with the port number."""
    seen = [False, False]
    ws.settimeout(None)
    remote = ws.sock
    if remote is None:
        return
    while not stop.is_set():
        ready, _, _ = select.select([conn, remote], [], [], 0.5)
        if conn in ready:
            data = conn.recv(CHUNK)
            if not data:
                return
            ws.send_binary(b"\x00" + data)
        if remote in ready or _pending(ws):
            while True:
                opcode, frame = ws.recv_data_frame(True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    return
                payload = frame.data or b""
                if opcode == websocket.ABNF.OPCODE_BINARY and payload and payload[0] in (0, 1):
                    channel = payload[0]
                    if not seen[channel]:
                        seen[channel] = True  # the first frame of a channel is the port number
                    elif channel == 0:
                        conn.sendall(payload[1:])
                    elif payload[1:]:
                        say(f"error from the pod: {payload[1:].decode(errors='replace').strip()}")
                        return
                if not _pending(ws):
                    break


def _pending(ws: websocket.WebSocket) -> bool:
    sock = ws.sock
    return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
