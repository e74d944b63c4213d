"""One Kubernetes API client per cluster credential, with a timeout on every request.

The official client's global configuration is never touched. Certificate and key material that
urllib3 needs as files is written to a private (0700) temporary directory that lives exactly as
long as the :class:`Kube` object and is removed on close. Errors from the client library are turned
into ``core.errors`` here and nowhere else.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from core.clusters.execplugins import run_exec_plugin
from core.clusters.kubeconfigs import Credential
from core.errors import ClusterError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unreachable
from core.settings import Settings

log = logging.getLogger(__name__)


def _status_message(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    if isinstance(body, str):
        try:
            data = json.loads(body)
        except ValueError:
            return body.strip()[:300]
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"])
        return body.strip()[:300]
    return ""


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
        return InvalidInput(f"the API server refused it while {what}: {message}")
    return ClusterError(f"{server} answered HTTP {status} while {what}: {message}")


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
            f"TLS verification with {server} failed: {detail[:200]}",
            hint="the kubeconfig's certificate-authority-data does not match the server's certificate",
        )
    if isinstance(reason, urllib3.exceptions.NewConnectionError) and "timed out" not in text:
        # (checked before timeouts: urllib3 2 makes NewConnectionError a ConnectTimeoutError)
        return Unreachable(
            f"cannot connect to {server}: {text.split(': ', 1)[-1][:200]}",
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
        f"cannot connect to {server}: {text.split(': ', 1)[-1][:200]}",
        hint="is the cluster running, and is the server URL right?",
    )


def api_error(exc: ApiException, *, server: str, what: str, timeout: float) -> Exception:
    """The ``core`` error for the client library's ApiException (status 0 wraps TLS failures)."""
    if not exc.status:
        reason = str(exc.reason or "")
        if "SSL" in reason or "CERTIFICATE" in reason:
            return transport_error(urllib3.exceptions.SSLError(reason), server=server, timeout=timeout)
        return ClusterError(f"request to {server} failed while {what}: {reason[:200]}")
    return http_error(exc.status, exc.body, server=server, what=what)


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
        if credential.exec_spec:
            got = run_exec_plugin(
                credential.exec_spec,
                allowlist=exec_allowlist,
                cluster_server=credential.server,
                timeout=timeout,
            )
            credential = dataclasses.replace(
                credential,
                token=got.token or credential.token,
                client_cert=got.client_cert or credential.client_cert,
                client_key=got.client_key or credential.client_key,
            )
        self.credential = credential
        self.server = credential.server
        self.timeout = timeout
        if workdir is not None:
            workdir.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix="kube-", dir=workdir))
        self._tmp.chmod(0o700)
        cfg = client.Configuration()
        cfg.host = credential.server
        cfg.retries = False  # one attempt per request: no retry storms against a dead cluster
        cfg.verify_ssl = not credential.insecure
        if credential.ca_data:
            cfg.ssl_ca_cert = self._write("ca.crt", credential.ca_data)
        if credential.tls_server_name:
            cfg.tls_server_name = credential.tls_server_name
        if credential.proxy_url:
            cfg.proxy = credential.proxy_url
        if credential.client_cert and credential.client_key:
            cfg.cert_file = self._write("client.crt", credential.client_cert)
            cfg.key_file = self._write("client.key", credential.client_key)
        if credential.token:
            cfg.api_key = {"authorization": "Bearer " + credential.token}
        elif credential.username:
            basic = base64.b64encode(f"{credential.username}:{credential.password or ''}".encode()).decode()
            cfg.api_key = {"authorization": "Basic " + basic}
        self.api = client.ApiClient(configuration=cfg)
        if credential.impersonate:
            self.api.set_default_header("Impersonate-User", credential.impersonate)
        self._install_default_timeout()

    def _write(self, name: str, data: bytes) -> str:
        path = self._tmp / name
        path.touch(mode=0o600)
        path.write_bytes(data)
        return str(path)

    def _install_default_timeout(self) -> None:
        """Give every request made through ``self.api`` (typed APIs included) a timeout."""
        rest = self.api.rest_client
        original = rest.request
        timeout = self.timeout

        def request(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("_request_timeout") is None:
                kwargs["_request_timeout"] = timeout
            return original(*args, **kwargs)

        rest.request = request  # type: ignore[method-assign]

    def close(self) -> None:
        try:
            self.api.close()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw JSON ---------------------------------------------------------------------------

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
        try:
            response = self.api.call_api(
                method, url, header_params=headers, body=payload, _request_timeout=limit
            )
            data = response.read()
        except ApiException as exc:
            raise api_error(exc, server=self.server, what=doing, timeout=limit) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise transport_error(exc, server=self.server, timeout=limit) from exc
        status = response.status
        if status >= 400:
            raise http_error(status, data, server=self.server, what=doing)
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ClusterError(f"{self.server} sent a response that is not JSON while {doing}") from exc

    def get_json(self, path: str, query: dict[str, str] | None = None, *, what: str | None = None) -> Any:
        return self.request_json("GET", path, query=query, what=what)

    def list_all(
        self, path: str, query: dict[str, str] | None = None, *, page_size: int = 500, what: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following ``continue`` tokens."""
        items: list[dict[str, Any]] = []
        params = dict(query or {})
        params["limit"] = str(page_size)
        while True:
            page = self.get_json(path, params, what=what or f"listing {path}")
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = token

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a typed API call (e.g. ``CoreV1Api(kube.api).read_namespace``) with error mapping."""
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            raise api_error(exc, server=self.server, what=what, timeout=self.timeout) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
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
