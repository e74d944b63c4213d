"""Talking to a Docker Engine API (Docker, or podman's compatible service) with the official SDK.

A host's ``EngineCredential`` is its URL plus, for ``tcp://``, TLS client material (PEM). It is
stored encrypted; the certificate and key are handed to OpenSSL through memory-only files
(``memfd``), never written to disk. ``ssh://`` runs the ``ssh`` program and is refused unless
its ``[user@]host[:port]`` is in ``USHADOW_SSH_ALLOWLIST``. Every call has a timeout.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import docker
import docker.errors
import requests
from requests.adapters import HTTPAdapter

from core.errors import ClusterError, InvalidInput, Unreachable, UshadowError
from core.settings import Settings
from core.untrusted import clip

CONNECTED, UNREACHABLE, ERROR = "connected", "unreachable", "error"
MAX_PEM = 64 * 1024


@dataclass(frozen=True)
class EngineCredential:
    url: str
    ca_pem: str | None = None
    cert_pem: str | None = None
    key_pem: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> EngineCredential:
        return cls(**json.loads(data))

    @property
    def tls(self) -> bool:
        return self.cert_pem is not None


@dataclass(frozen=True)
class EngineHealth:
    status: str
    version: str | None = None
    api_version: str | None = None
    containers_running: int | None = None
    error: str | None = None
    hint: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == CONNECTED


def _pem(text: str | None, kind: str, what: str) -> str | None:
    if text is None:
        return None
    if len(text) > MAX_PEM or f"-----BEGIN {kind}" not in text:
        raise InvalidInput(f"the {what} is not a PEM {kind.lower()}", hint="give the PEM file docker uses")
    return text


def make_credential(
    url: str, settings: Settings, *, ca: str | None = None, cert: str | None = None, key: str | None = None
) -> EngineCredential:
    """Validate a host URL and its TLS material; refuse what cannot be reached safely."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.password is not None:
        raise InvalidInput(
            f"a Docker host URL must not hold a password ({parts.scheme}://{parts.username}:…@…): "
            "it would be stored and shown with the host",
            hint="use TLS client files for tcp:// (--tls-cert/--tls-key/--tls-ca) or an ssh key for ssh://",
        )
    if parts.scheme == "unix":
        if not parts.path.startswith("/"):
            raise InvalidInput(f"{clip(url)} names no socket path", hint="e.g. unix:///var/run/docker.sock")
        if cert or key or ca:
            raise InvalidInput("TLS files are for tcp:// hosts, not a unix socket")
        return EngineCredential(url)
    if parts.scheme == "tcp":
        if not parts.hostname or not parts.port:
            raise InvalidInput(f"{clip(url)} needs a host and a port", hint="e.g. tcp://docker.example:2376")
        if not (cert and key):
            raise InvalidInput(
                f"{clip(url)}: a tcp:// Docker host needs TLS client authentication (an engine API without "
                "it gives root on the host to anyone who can reach the port)",
                hint="give --tls-cert, --tls-key and --tls-ca (the files of `docker --tlsverify`)",
            )
        return EngineCredential(
            f"tcp://{parts.hostname}:{parts.port}",
            _pem(ca, "CERTIFICATE", "CA certificate"),
            _pem(cert, "CERTIFICATE", "client certificate"),
            _pem(key, "", "client key"),
        )
    if parts.scheme == "ssh":
        target = parts.netloc
        if target not in settings.ssh_allowlist:
            raise InvalidInput(
                f"{clip(url)}: reaching a Docker host over ssh runs the `ssh` program; "
                f"{clip(target)} is not in USHADOW_SSH_ALLOWLIST",
                hint="add it to USHADOW_SSH_ALLOWLIST (`:`-separated [user@]host[:port])",
            )
        return EngineCredential(url)
    raise InvalidInput(
        f"{clip(url)} is not a Docker Engine URL", hint="use unix:///path, tcp://host:port (TLS) or ssh://"
    )


def _memfd(name: str, data: str) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data.encode())
    return fd


def ssl_context(cred: EngineCredential) -> ssl.SSLContext:
    """TLS with the host's client certificate, loaded from memory-only files."""
    context = ssl.create_default_context(cadata=cred.ca_pem) if cred.ca_pem else ssl.create_default_context()
    fds = [_memfd("cert", cred.cert_pem or ""), _memfd("key", cred.key_pem or "")]
    try:
        context.load_cert_chain(f"/proc/self/fd/{fds[0]}", f"/proc/self/fd/{fds[1]}")
    except ssl.SSLError as exc:
        raise InvalidInput(f"the TLS client certificate or key is not usable: {exc.reason}") from exc
    finally:
        for fd in fds:
            os.close(fd)
    return context


class _ContextAdapter(HTTPAdapter):
    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)


def connect(
    cred: EngineCredential, settings: Settings, *, timeout: float | None = None
) -> docker.DockerClient:
    """A Docker SDK client for the host (no request made yet)."""
    seconds = int(max(1, timeout or settings.request_timeout))
    if cred.url.startswith("ssh://") and urlsplit(cred.url).netloc not in settings.ssh_allowlist:
        raise InvalidInput(
            "this host's ssh target left USHADOW_SSH_ALLOWLIST", hint="add it back, or remove the host"
        )
    if cred.tls:
        base = "https://" + cred.url.removeprefix("tcp://")
        client = docker.DockerClient(base_url=base, timeout=seconds, tls=True, version="1.41")
        adapter = _ContextAdapter(ssl_context(cred))
        client.api.mount("https://", adapter)
        client.api._custom_adapter = adapter
        client.api._version = client.api._retrieve_server_version()
        return client
    return docker.DockerClient(
        base_url=cred.url, timeout=seconds, version="auto", use_ssh_client=cred.url.startswith("ssh://")
    )


def engine_error(exc: Exception, url: str) -> UshadowError:
    """A library error as one of ours, with what to try."""
    if isinstance(exc, UshadowError):
        return exc
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, docker.errors.DockerException) and isinstance(
        cause, requests.exceptions.RequestException
    ):
        exc = cause  # the SDK wraps a failed version probe
    if isinstance(exc, requests.exceptions.SSLError):
        return Unreachable(
            f"{clip(url)}: TLS failed: {clip(str(exc), 200)}", hint="check the CA and client certificate"
        )
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, FileNotFoundError)):
        return Unreachable(
            f"the Docker engine at {clip(url)} does not answer",
            hint="is the engine running and the URL right?",
        )
    if isinstance(exc, docker.errors.APIError):
        return ClusterError(
            f"the Docker engine at {clip(url)} said: {clip(exc.explanation or str(exc), 300)}"
        )
    return ClusterError(
        f"the Docker engine at {clip(url)} failed: {type(exc).__name__}: {clip(str(exc), 300)}"
    )


@contextmanager
def engine(
    cred: EngineCredential, settings: Settings, *, timeout: float | None = None
) -> Iterator[docker.DockerClient]:
    """A connected client; library errors leave as the project's errors; closed at the end."""
    try:
        client = connect(cred, settings, timeout=timeout)
    except docker.errors.DockerException as exc:
        raise engine_error(exc, cred.url) from exc
    try:
        yield client
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise engine_error(exc, cred.url) from exc
    finally:
        client.close()


def check(cred: EngineCredential, settings: Settings) -> EngineHealth:
    """Version and running containers, or the status and reason it cannot be had."""
    try:
        with engine(cred, settings) as client:
            version: dict[str, Any] = client.version()
            running = len(client.api.containers(quiet=True, filters={"status": "running"}))
    except UshadowError as exc:
        status = UNREACHABLE if isinstance(exc, Unreachable) else ERROR
        return EngineHealth(status, error=exc.message, hint=exc.hint)
    name = next((c.get("Name") for c in version.get("Components") or [] if c.get("Name")), "Engine")
    return EngineHealth(
        CONNECTED,
        version=f"{name} {version.get('Version', '?')}"[:64],
        api_version=version.get("ApiVersion"),
        containers_running=running,
    )
