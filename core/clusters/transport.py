"""What the API client needs below HTTP: key material that never touches the disk, and deadlines.

``KeyFiles``: urllib3 only takes a client certificate and key as file names. On Linux they are
anonymous in-memory files (``memfd_create``), opened through ``/proc/self/fd``; nothing is written
to disk. Elsewhere they go to a private (0700) temporary folder that ``close`` removes, and the
client closes it in a ``finally`` when construction fails.

``Deadlines``: urllib3's timeouts apply to each socket operation, so a server that trickles a byte
every few seconds could hold a request open for ever. A deadline is one timer per request: when it
fires, the sockets the request uses are shut down, which ends any read or connect in progress.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any


def _memfd_usable() -> bool:
    return hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir()


class KeyFiles:
    """File names for secret material, in memory where the platform allows."""

    def __init__(self, workdir: Path | None) -> None:
        self._workdir = workdir
        self._fds: list[int] = []
        self._dir: Path | None = None

    def add(self, name: str, data: bytes) -> str:
        if _memfd_usable():
            fd = os.memfd_create(name, os.MFD_CLOEXEC)
            self._fds.append(fd)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return f"/proc/self/fd/{fd}"
        if self._dir is None:
            if self._workdir is not None:
                self._workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._workdir.chmod(0o700)
            self._dir = Path(tempfile.mkdtemp(prefix="kube-", dir=self._workdir))
        path = self._dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return str(path)

    def close(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            with suppress(OSError):
                os.close(fd)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class _Watch:
    """One request's deadline: the sockets it used, shut down if the timer fires first."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._socks: list[Any] = []
        self._done = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def add(self, sock: Any) -> None:
        if sock is None:
            return
        with self._lock:
            if not self._done:
                self._socks.append(sock)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._socks:
                # the plain socket call: works for TLS sockets too, and wakes a blocked read
                with suppress(OSError, ValueError, TypeError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def start(self) -> None:
        self._timer.start()

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._socks.clear()


class Deadlines:
    """Per-thread request deadlines for one urllib3 pool manager."""

    def __init__(self, pool_manager: Any) -> None:
        self._local = threading.local()
        watches = self._local

        def watch_of() -> _Watch | None:
            return getattr(watches, "watch", None)

        def tracked_connection(base: type) -> type:
            def connect(conn: Any) -> None:
                base.connect(conn)  # type: ignore[attr-defined]
                watch = watch_of()
                if watch is not None:
                    watch.add(conn.sock)  # the socket the response reads from (TLS or plain)

            return type(f"Deadline{base.__name__}", (base,), {"connect": connect})

        def tracked_pool(base: type) -> type:
            def _get_conn(pool: Any, timeout: float | None = None) -> Any:
                conn = base._get_conn(pool, timeout)  # type: ignore[attr-defined]
                watch = watch_of()
                if watch is not None:
                    watch.add(getattr(conn, "sock", None))  # a kept-alive connection, already open
                return conn

            attrs = {"_get_conn": _get_conn, "ConnectionCls": tracked_connection(base.ConnectionCls)}  # type: ignore[attr-defined]
            return type(f"Deadline{base.__name__}", (base,), attrs)

        pool_manager.pool_classes_by_scheme = {
            scheme: tracked_pool(cls) for scheme, cls in pool_manager.pool_classes_by_scheme.items()
        }

    def active(self) -> bool:
        return getattr(self._local, "watch", None) is not None

    @contextmanager
    def within(self, seconds: float) -> Iterator[_Watch]:
        """Everything in the block that goes through the pool manager ends by ``seconds`` from now."""
        outer = getattr(self._local, "watch", None)
        watch = _Watch(seconds)
        self._local.watch = watch
        watch.start()
        try:
            yield watch
        finally:
            watch.finish()
            self._local.watch = outer
