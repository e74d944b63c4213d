"""What the API client needs below HTTP: key material that never touches the disk, the connection
pool (TLS options, proxy, auth headers) built from a credential, and deadlines.

``KeyFiles``: urllib3 only takes a client certificate and key as file names. On Linux they are
anonymous in-memory files (``memfd_create``), opened through ``/proc/self/fd``; nothing is written
to disk. Elsewhere they go to a private (0700) temporary folder that ``close`` removes, and the
client closes it in a ``finally`` when construction fails.

``pool_manager``: one urllib3 pool per client, with no retries. TLS: the CA data (verified unless
``insecure-skip-tls-verify``), a client certificate, ``tls-server-name``. Proxy: the kubeconfig's
``proxy-url`` (http, https or SOCKS); without one, the environment's ``HTTPS_PROXY``/``HTTP_PROXY``/
``ALL_PROXY`` unless ``NO_PROXY`` names the host, as client-go does.

``Deadlines``: urllib3's timeouts apply to each socket operation, so a server that trickles a byte
every few seconds (in its answer, or in the TLS handshake) could hold a request open for ever. A
deadline is one timer per request: each socket the request uses is registered the moment it is
created (before any TLS handshake), and when the timer fires they are all shut down, which ends any
handshake or read in progress.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import urllib3

    from core.clusters.kubeconfigs import Credential

USER_AGENT = "ushadow-ops"
POOL_SIZE = 16  # connections kept per server: a scan lists with a few threads at once


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
    """One request's deadline: its sockets (each a duplicate handle), shut down if the timer fires."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._done = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def add(self, sock: Any) -> None:
        """Track ``sock`` through a duplicate of its descriptor: a TLS wrap detaches the original
        socket object, and the descriptor number could be reused once urllib3 closes it; the
        duplicate stays valid (and shuts down the same connection) until the request ends."""
        if sock is None:
            return
        try:
            handle = socket.socket(fileno=os.dup(sock.fileno()))
        except (OSError, ValueError, TypeError, AttributeError):
            return
        with self._lock:
            if self._done:
                handle.close()
                return
            self._socks.append(handle)
            if self.expired:  # connected after the deadline: end it at once
                _shut(handle)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._socks:
                _shut(sock)

    def start(self) -> None:
        self._timer.start()

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            socks, self._socks = self._socks, []
        for sock in socks:
            with suppress(OSError):
                sock.close()


def _shut(sock: socket.socket) -> None:
    with suppress(OSError, ValueError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read or handshake on the same connection


class Deadlines:
    """Per-thread request deadlines for one urllib3 pool manager."""

    def __init__(self, pool_manager: Any) -> None:
        self._local = threading.local()
        watches = self._local

        def watch_of() -> _Watch | None:
            return getattr(watches, "watch", None)

        def tracked_connection(base: type) -> type:
            def _new_conn(conn: Any) -> Any:
                sock = base._new_conn(conn)  # type: ignore[attr-defined]
                watch = watch_of()
                if watch is not None:
                    watch.add(sock)  # before any proxy tunnel or TLS handshake on it
                return sock

            return type(f"Deadline{base.__name__}", (base,), {"_new_conn": _new_conn})

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


# -- the connection pool of one credential ----------------------------------------------------------


@dataclass(frozen=True)
class TLS:
    """How to speak TLS to one server (file names from :class:`KeyFiles`)."""

    verify: bool
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None


def tls_of(credential: Credential, files: KeyFiles) -> TLS:
    has_cert = bool(credential.client_cert and credential.client_key)
    return TLS(
        verify=not credential.insecure,
        ca_file=files.add("ca.crt", credential.ca_data) if credential.ca_data else None,
        cert_file=files.add("client.crt", credential.client_cert)
        if has_cert and credential.client_cert
        else None,
        key_file=files.add("client.key", credential.client_key)
        if has_cert and credential.client_key
        else None,
        server_name=credential.tls_server_name,
    )


def auth_headers(credential: Credential) -> dict[str, str]:
    """The headers every request to the server carries: authorization and impersonation."""
    headers = {"User-Agent": USER_AGENT}
    if credential.token:
        headers["Authorization"] = "Bearer " + credential.token
    elif credential.username:
        basic = f"{credential.username}:{credential.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(basic).decode()
    if credential.impersonate:
        headers["Impersonate-User"] = credential.impersonate
    return headers


def _env(name: str) -> str:
    return os.environ.get(name.lower()) or os.environ.get(name.upper()) or ""


def bypasses_proxy(server: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (comma-separated hosts, domains, CIDRs or ``*``) names ``server``'s host."""
    parts = urlsplit(server)
    host = (parts.hostname or "").lower()
    if not host:
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            with suppress(ValueError):
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
        entry = entry.lstrip(".")
        netloc = parts.netloc.lower().rsplit("@", 1)[-1]
        if host == entry or host.endswith("." + entry) or netloc == entry:
            return True
    return False


def proxy_for(server: str, proxy_url: str | None) -> str | None:
    """The proxy for ``server``: the kubeconfig's ``proxy-url``, else the environment's (see above)."""
    if proxy_url:
        return proxy_url
    scheme = urlsplit(server).scheme.lower()
    found = _env(f"{scheme}_proxy") or _env("all_proxy")
    if not found or bypasses_proxy(server, _env("no_proxy")):
        return None
    return found


def pool_manager(tls: TLS, proxy: str | None) -> urllib3.PoolManager:
    """A pool with these TLS options, through ``proxy`` if any; no retries, no redirects."""
    import urllib3

    args: dict[str, Any] = {
        "cert_reqs": ssl.CERT_REQUIRED if tls.verify else ssl.CERT_NONE,
        "ca_certs": tls.ca_file,
        "cert_file": tls.cert_file,
        "key_file": tls.key_file,
        "retries": False,
        "maxsize": POOL_SIZE,
    }
    if tls.server_name:
        args["server_hostname"] = tls.server_name
    if not proxy:
        return urllib3.PoolManager(**args)
    if proxy.lower().startswith("socks"):
        from urllib3.contrib.socks import SOCKSProxyManager

        return SOCKSProxyManager(proxy, **args)
    return urllib3.ProxyManager(proxy, **args)
