"""One Kubernetes API client per cluster credential, raw JSON over urllib3, with a deadline on every request.

The client is our own: a urllib3 pool built from the credential (``core.clusters.transport``: TLS
options, CA data, client certificates from memory, proxy, auth headers), so the paths that read
raw JSON (scans, checks, deploys, day-2) never import the ``kubernetes`` package. Only
:attr:`Kube.api`, the official typed client, loads it, on first use, on the same pool.

Every request has one overall deadline (connect, TLS handshake and read together), answers are
bounded in size and validated (``core.clusters.apishapes``), and an error answer's body is never
shown (``core.clusters.apierrors``). An exec credential plugin's output is cached per process
(``core.clusters.execcache``); a 401 makes the client run the plugin again, once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import urllib3
from pydantic import BaseModel, ValidationError

from core.clusters.apierrors import MAX_ERROR_BODY, http_error, late, transport_error
from core.clusters.apishapes import APIObject, AppliedObject, ObjectList
from core.clusters.execcache import forget, plugin_result
from core.clusters.kubeconfigs import Credential
from core.clusters.transport import Deadlines, KeyFiles, auth_headers, pool_manager, proxy_for, tls_of
from core.errors import ClusterError, InvalidInput
from core.settings import Settings
from core.untrusted import cut

if TYPE_CHECKING:
    from kubernetes import client

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a list page of 500 big objects is a few MB
_SETUP_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    ImportError,
    OSError,
    ssl.SSLError,
    urllib3.exceptions.HTTPError,
)


class Kube:
    """An API client for one credential. Use as a context manager (or call ``close``)."""

    def __init__(
        self,
        credential: Credential,
        *,
        timeout: float,
        workdir: Path | None = None,
        exec_allowlist: frozenset[str] = frozenset(),
    ) -> None:
        self.stored = credential  # as stored: an exec plugin's output is not part of it
        self.server = credential.server
        self.timeout = timeout
        self._workdir = workdir
        self._allowlist = exec_allowlist
        self._typed: client.ApiClient | None = None
        self._refreshed = False
        self._refresh_lock = threading.Lock()
        self._files: KeyFiles | None = None
        self._connect(self._with_plugin())

    def _with_plugin(self) -> Credential:
        if not self.stored.exec_spec:
            return self.stored
        got = plugin_result(self.stored, allowlist=self._allowlist, timeout=self.timeout)
        return dataclasses.replace(
            self.stored,
            token=got.token or self.stored.token,
            client_cert=got.client_cert or self.stored.client_cert,
            client_key=got.client_key or self.stored.client_key,
        )

    def _connect(self, credential: Credential) -> None:
        files = KeyFiles(self._workdir)
        try:
            tls = tls_of(credential, files)
            proxy = proxy_for(credential.server, credential.proxy_url)
            pool = pool_manager(tls, proxy)
            deadlines = Deadlines(pool)
        except _SETUP_ERRORS as exc:
            files.close()
            raise InvalidInput(
                f"cannot set up a client for {self.server}: {cut(str(exc) or type(exc).__name__, 200)}",
                hint="check the kubeconfig's proxy-url, certificates and server URL",
            ) from exc
        except BaseException:
            files.close()
            raise
        self.credential, self.tls, self.proxy_url = credential, tls, proxy
        self.pool, self._deadlines, self._files = pool, deadlines, files
        self.headers = auth_headers(credential)

    def _disconnect(self) -> None:
        try:
            if self._typed is not None:
                self._typed.close()
            self.pool.clear()
        finally:
            self._typed = None
            if self._files is not None:
                self._files.close()

    def close(self) -> None:
        self._disconnect()

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def api(self) -> client.ApiClient:
        """The official typed client on this client's pool, headers and deadlines (loaded on first use)."""
        if self._typed is None:
            from core.clusters.typedclient import typed_client

            self._typed = typed_client(self.server, self.pool, self.headers, self._deadlines, self.timeout)
        return self._typed

    # -- raw requests ---------------------------------------------------------------------------

    def _body(self, response: Any, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= limit:
                chunk = response.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            if size > limit:
                response.close()  # the rest is not wanted: drop the connection
            else:
                response.release_conn()
        return b"".join(chunks)

    def _exchange(
        self,
        method: str,
        url: str,
        payload: str | bytes | None,
        headers: dict[str, str],
        limit: float,
        doing: str,
    ) -> tuple[int, bytes]:
        """One request within one deadline: (status, body bytes, bounded)."""
        with self._deadlines.within(limit) as watch:
            try:
                response = self.pool.request(
                    method,
                    url,
                    body=payload,
                    headers={**self.headers, **headers},
                    timeout=urllib3.Timeout(total=limit),
                    preload_content=False,
                    retries=False,
                    redirect=False,
                )
                status = response.status
                data = self._body(response, MAX_ERROR_BODY if status >= 300 else MAX_RESPONSE_BYTES)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if watch.expired:
                    raise late(self.server, limit, doing) from exc
                raise transport_error(exc, server=self.server, timeout=limit) from exc
        return status, data

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        what: str | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """One request; the answer's bytes (a 2xx). Raises ``core.errors`` on any failure."""
        url = self.server + path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": accept}
        payload: str | bytes | None = None
        if body is not None:
            headers["Content-Type"] = content_type
            payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
        limit = timeout or self.timeout
        doing = what or f"{method} {path}"
        used = self.headers
        status, data = self._exchange(method, url, payload, headers, limit, doing)
        if status == 401 and self.stored.exec_spec:
            with self._refresh_lock:  # the plugin's credential was refused: run it again, once
                if not self._refreshed:
                    self._refreshed = True
                    forget(self.stored)
                    self._disconnect()
                    self._connect(self._with_plugin())
            if self.headers is not used:  # (another thread may have renewed it meanwhile)
                status, data = self._exchange(method, url, payload, headers, limit, doing)
        if status >= 300:
            raise http_error(status, data, server=self.server, what=doing)
        if len(data) > MAX_RESPONSE_BYTES:
            raise ClusterError(f"{self.server} sent more than {MAX_RESPONSE_BYTES >> 20} MiB while {doing}")
        return data

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """``request_raw``, its answer parsed as JSON (None for an empty answer), not yet validated."""
        doing = kwargs.get("what") or f"{method} {path}"
        data = self.request_raw(method, path, **kwargs)
        if not data:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ClusterError(f"{self.server} sent a response that is not JSON while {doing}") from exc

    def send(
        self,
        method: str,
        path: str,
        *,
        kind: str | None,
        shape: type[APIObject] | type[AppliedObject] = APIObject,
        body: Any = None,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
        what: str,
    ) -> dict[str, Any]:
        """A write (POST, PATCH, PUT, DELETE) whose answer must have ``shape`` and be an object of
        ``kind`` (any kind when None, as a DELETE answers the object or a ``Status``); a
        ``ClusterError`` naming what was wrong if not."""
        data = self.request_json(method, path, query=query, body=body, content_type=content_type, what=what)
        self.checked(data, shape, kind=kind, what=what)
        result: dict[str, Any] = data
        return result

    def checked(self, data: Any, shape: type[Model], *, kind: str | None, what: str) -> Model:
        """``validated``, and the answer's ``kind`` is ``kind`` (when given)."""
        answer = self.validated(data, shape, what)
        found = getattr(answer, "kind", None)
        if kind is not None and found != kind:
            raise ClusterError(
                f"{self.server} answered with {cut(repr(found), 60)} where a {kind} was expected while {what}",
                hint="is the server URL a Kubernetes API server (not a proxy or a web page)?",
            )
        return answer

    def get_json(self, path: str, query: dict[str, str] | None = None, *, what: str | None = None) -> Any:
        """A GET of one object: the answer must be a JSON object (with object metadata, if any)."""
        doing = what or f"GET {path}"
        data = self.request_json("GET", path, query=query, what=doing)
        self.validated(data, APIObject, doing)
        return data

    def get_text(self, path: str, query: dict[str, str] | None = None, *, what: str) -> str:
        """A GET of plain text (a container's log)."""
        data = self.request_raw("GET", path, query=query, accept="*/*", what=what)
        return data.decode("utf-8", errors="replace")

    def get_model(
        self,
        path: str,
        shape: type[Model],
        query: dict[str, str] | None = None,
        *,
        what: str | None = None,
        accept: str = "application/json",
    ) -> Model:
        """A GET whose answer must have ``shape``; a wrong shape is a ``ClusterError``."""
        doing = what or f"GET {path}"
        return self.validated(
            self.request_json("GET", path, query=query, what=doing, accept=accept), shape, doing
        )

    def validated(self, data: Any, shape: type[Model], doing: str) -> Model:
        """``data`` (an answer of this server) checked against ``shape``; a ``ClusterError`` if not."""
        try:
            return shape.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "the answer"
            raise ClusterError(
                f"{self.server} sent an answer of an unexpected shape while {doing} "
                f"({cut(where, 60)}: {cut(first['msg'], 80)})",
                hint="is the server URL a Kubernetes API server?",
            ) from exc

    def list_all(
        self, path: str, query: dict[str, str] | None = None, *, page_size: int = 500, what: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following ``continue`` tokens (each page validated)."""
        items: list[dict[str, Any]] = []
        params = dict(query or {})
        params["limit"] = str(page_size)
        doing = what or f"listing {path}"
        while True:
            data = self.get_json(path, params, what=doing)
            page = self.validated(data, ObjectList, doing)
            items.extend(data.get("items") or [])
            token = page.next_token
            if not token:
                return items
            params["continue"] = token

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a typed API call (e.g. ``CoreV1Api(kube.api).read_namespace``) with error mapping."""
        from core.clusters.typedclient import api_error, is_api_exception

        with self._deadlines.within(self.timeout) as watch:
            try:
                return fn(*args, **kwargs)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if watch.expired:
                    raise late(self.server, self.timeout, what) from exc
                raise transport_error(exc, server=self.server, timeout=self.timeout) from exc
            except Exception as exc:
                if not is_api_exception(exc):
                    raise
                if watch.expired:
                    raise late(self.server, self.timeout, what) from exc
                raise api_error(exc, server=self.server, what=what, timeout=self.timeout) from exc  # type: ignore[arg-type]


@contextmanager
def open_kube(credential: bytes | Credential, settings: Settings) -> Iterator[Kube]:
    """A :class:`Kube` for a stored credential (bytes) or a parsed one, closed afterwards."""
    if isinstance(credential, bytes):
        credential = Credential.from_bytes(credential, exec_allowlist=settings.exec_allowlist)
    kube = Kube(
        credential,
        timeout=settings.request_timeout,
        workdir=settings.data_dir / "tmp",
        exec_allowlist=settings.exec_allowlist,
    )
    try:
        yield kube
    finally:
        kube.close()
