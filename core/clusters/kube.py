"""One Kubernetes API client per cluster credential, with a deadline on every request.

The official client's global configuration is never touched. Certificate and key material that
urllib3 needs as files is kept in memory (``core.clusters.transport.KeyFiles``) for exactly as long
as the :class:`Kube` object. Every request has one overall deadline (connect and read together),
answers are bounded in size and validated (``core.clusters.apishapes``), and an error answer's body
is never shown: only its status and, from a Kubernetes ``Status``, a clipped, one-line message.
Errors from the client library are turned into ``core.errors`` here and nowhere else.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from pydantic import BaseModel, ValidationError

from core.clusters.apishapes import APIObject, ObjectList, Status
from core.clusters.execplugins import run_exec_plugin
from core.clusters.kubeconfigs import Credential
from core.clusters.transport import Deadlines, KeyFiles
from core.errors import ClusterError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unreachable
from core.settings import Settings
from core.untrusted import cut

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a list page of 500 big objects is a few MB
MAX_ERROR_BODY = 64 * 1024


def _status_message(body: Any) -> str:
    """The message of a Kubernetes ``Status`` body, clipped to one line; nothing of any other body."""
    if isinstance(body, bytes):
        body = body[:MAX_ERROR_BODY].decode(errors="replace")
    if not isinstance(body, str):
        return ""
    try:
        status = Status.model_validate_json(body[:MAX_ERROR_BODY])
    except (ValidationError, ValueError):
        return ""
    if status.kind != "Status" or not status.message:
        return ""
    return cut(" ".join(status.message.split()), 200)


def http_error(status: int, body: Any, *, server: str, what: str) -> Exception:
    """The ``core`` error for an HTTP error status from the API server."""
    message = _status_message(body)
    if status == 401:
        return Unauthorized(
            f"{server} rejected the credential (401 Unauthorized) while {what}",
            hint="the token or certificate is wrong or expired; get a fresh kubeconfig",
        )
    if status == 403:
        return Forbidden(
            f"forbidden while {what}: {message or '403 Forbidden'}",
            hint="the credential's RBAC role does not allow this; ask a cluster admin for the permission named",
        )
    if status == 404:
        return NotFound(f"not found while {what}: {message or '404 Not Found'}")
    if status == 409:
        return Conflict(f"conflict while {what}: {message or '409 Conflict'}")
    if status in (400, 422):
        return InvalidInput(f"the API server refused it while {what}: {message or f'HTTP {status}'}")
    return ClusterError(
        f"{server} answered HTTP {status} while {what}" + (f": {message}" if message else ""),
        hint="is the server URL the cluster's API server (not a proxy or a web page)?",
    )


def transport_error(exc: BaseException, *, server: str, timeout: float) -> Exception:
    """The ``core`` error for a failure below HTTP (connection, TLS, timeout)."""
    reason: BaseException | None = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    text = str(reason)
    if isinstance(reason, (urllib3.exceptions.SSLError, ssl.SSLError)) or "CERTIFICATE_VERIFY_FAILED" in text:
        found = re.search(r"certificate verify failed: ([^'\"(]+)", text)
        detail = found.group(1).strip() if found else "the TLS handshake failed"
        return ClusterError(
            f"TLS verification with {server} failed: {cut(detail, 200)}",
            hint="the kubeconfig's certificate-authority-data does not match the server's certificate",
        )
    if isinstance(reason, urllib3.exceptions.NewConnectionError) and "timed out" not in text:
        # (checked before timeouts: urllib3 2 makes NewConnectionError a ConnectTimeoutError)
        return Unreachable(
            f"cannot connect to {server}: {cut(text.split(': ', 1)[-1], 200)}",
            hint="is the cluster running, and is the server URL right?",
        )
    if isinstance(reason, (urllib3.exceptions.TimeoutError, TimeoutError)) or "timed out" in text:
        return Unreachable(
            f"{server} did not answer within {timeout:g}s",
            hint="check the address and your network path to the cluster; USHADOW_REQUEST_TIMEOUT sets the limit",
        )
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return Unreachable(
            f"the host of {server} cannot be resolved", hint="check the server URL in the kubeconfig"
        )
    return Unreachable(
        f"cannot connect to {server}: {cut(text.split(': ', 1)[-1], 200)}",
        hint="is the cluster running, and is the server URL right?",
    )


def api_error(exc: ApiException, *, server: str, what: str, timeout: float) -> Exception:
    """The ``core`` error for the client library's ApiException (status 0 wraps TLS failures)."""
    if not exc.status:
        reason = str(exc.reason or "")
        if "SSL" in reason or "CERTIFICATE" in reason:
            return transport_error(urllib3.exceptions.SSLError(reason), server=server, timeout=timeout)
        return ClusterError(f"request to {server} failed while {what}: {cut(reason, 200)}")
    return http_error(exc.status, exc.body, server=server, what=what)


def _with_plugin(credential: Credential, exec_allowlist: frozenset[str], timeout: float) -> Credential:
    if not credential.exec_spec:
        return credential
    got = run_exec_plugin(
        credential.exec_spec, allowlist=exec_allowlist, cluster_server=credential.server, timeout=timeout
    )
    return dataclasses.replace(
        credential,
        token=got.token or credential.token,
        client_cert=got.client_cert or credential.client_cert,
        client_key=got.client_key or credential.client_key,
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
        credential = _with_plugin(credential, exec_allowlist, timeout)
        self.credential = credential
        self.server = credential.server
        self.timeout = timeout
        self._files = KeyFiles(workdir)
        try:
            self.api = client.ApiClient(configuration=self._configuration(credential))
            self._deadlines = Deadlines(self.api.rest_client.pool_manager)
        except (
            ValueError,
            TypeError,
            LookupError,
            ImportError,
            OSError,
            urllib3.exceptions.HTTPError,
        ) as exc:
            self._files.close()
            raise InvalidInput(
                f"cannot set up a client for {self.server}: {cut(str(exc) or type(exc).__name__, 200)}",
                hint="check the kubeconfig's proxy-url, certificates and server URL",
            ) from exc
        except BaseException:
            self._files.close()
            raise
        if credential.impersonate:
            self.api.set_default_header("Impersonate-User", credential.impersonate)
        self._install_default_timeout()

    def _configuration(self, credential: Credential) -> client.Configuration:
        cfg = client.Configuration()
        cfg.host = credential.server
        cfg.retries = False  # one attempt per request: no retry storms against a dead cluster
        cfg.verify_ssl = not credential.insecure
        if credential.ca_data:
            cfg.ssl_ca_cert = self._files.add("ca.crt", credential.ca_data)
        if credential.tls_server_name:
            cfg.tls_server_name = credential.tls_server_name
        if credential.proxy_url:
            cfg.proxy = credential.proxy_url
        if credential.client_cert and credential.client_key:
            cfg.cert_file = self._files.add("client.crt", credential.client_cert)
            cfg.key_file = self._files.add("client.key", credential.client_key)
        if credential.token:
            cfg.api_key = {"authorization": "Bearer " + credential.token}
        elif credential.username:
            basic = base64.b64encode(f"{credential.username}:{credential.password or ''}".encode()).decode()
            cfg.api_key = {"authorization": "Basic " + basic}
        return cfg

    def _install_default_timeout(self) -> None:
        """Give every request made through ``self.api`` (typed APIs included) a timeout and a deadline."""
        rest = self.api.rest_client
        original = rest.request
        timeout = self.timeout
        deadlines = self._deadlines

        def request(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("_request_timeout") is None:
                kwargs["_request_timeout"] = timeout
            if deadlines.active():
                return original(*args, **kwargs)
            with deadlines.within(timeout):
                return original(*args, **kwargs)

        rest.request = request  # type: ignore[method-assign]

    def close(self) -> None:
        try:
            self.api.close()
        finally:
            self._files.close()

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw JSON ---------------------------------------------------------------------------

    def _late(self, limit: float, doing: str) -> Unreachable:
        return Unreachable(
            f"{self.server} did not answer within {limit:g}s (the whole request, connect and read) while {doing}",
            hint="check the address and your network path to the cluster; USHADOW_REQUEST_TIMEOUT sets the limit",
        )

    def _body(self, response: Any, limit: int) -> bytes:
        raw = getattr(response, "response", None)
        if raw is None or not hasattr(raw, "read"):
            return bytes(response.read() or b"")[: limit + 1]
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= limit:
                chunk = raw.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            if size > limit:
                raw.close()  # the rest is not wanted: drop the connection
            else:
                raw.release_conn()
        return b"".join(chunks)

    def request_json(
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
    ) -> Any:
        """One request, returning parsed JSON. Raises ``core.errors`` on any failure."""
        url_path = path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        _m, url, headers, _b, _p = self.api.param_serialize(
            method, url_path, header_params=headers, auth_settings=["BearerToken"]
        )
        payload: Any = body
        if "json" in content_type and isinstance(body, (str, bytes)):
            payload = json.loads(body)  # the client library serialises JSON bodies itself
        elif "json" not in content_type and body is not None and not isinstance(body, (str, bytes)):
            payload = json.dumps(body)  # YAML content types take JSON text as it is
        limit = timeout or self.timeout
        doing = what or f"{method} {path}"
        with self._deadlines.within(limit) as watch:
            try:
                response = self.api.call_api(
                    method, url, header_params=headers, body=payload, _request_timeout=limit
                )
                status = response.status
                data = self._body(response, MAX_ERROR_BODY if status >= 400 else MAX_RESPONSE_BYTES)
            except ApiException as exc:
                if watch.expired:
                    raise self._late(limit, doing) from exc
                raise api_error(exc, server=self.server, what=doing, timeout=limit) from exc
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if watch.expired:
                    raise self._late(limit, doing) from exc
                raise transport_error(exc, server=self.server, timeout=limit) from exc
        if status >= 400:
            raise http_error(status, data, server=self.server, what=doing)
        if len(data) > MAX_RESPONSE_BYTES:
            raise ClusterError(f"{self.server} sent more than {MAX_RESPONSE_BYTES >> 20} MiB while {doing}")
        if not data:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise ClusterError(f"{self.server} sent a response that is not JSON while {doing}") from exc

    def get_json(self, path: str, query: dict[str, str] | None = None, *, what: str | None = None) -> Any:
        """A GET of one object: the answer must be a JSON object (with object metadata, if any)."""
        doing = what or f"GET {path}"
        data = self.request_json("GET", path, query=query, what=doing)
        self.validated(data, APIObject, doing)
        return data

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
        with self._deadlines.within(self.timeout) as watch:
            try:
                return fn(*args, **kwargs)
            except ApiException as exc:
                if watch.expired:
                    raise self._late(self.timeout, what) from exc
                raise api_error(exc, server=self.server, what=what, timeout=self.timeout) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if watch.expired:
                    raise self._late(self.timeout, what) from exc
                raise transport_error(exc, server=self.server, timeout=self.timeout) from exc


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
