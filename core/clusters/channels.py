"""Websocket connections to a pod's ``exec`` and ``portforward`` subresources (the API server's
``v4.channel.k8s.io`` protocol): every frame starts with a channel byte. Calls out.

A small client of our own on ``websocket-client`` (which the official client also uses), so that
connecting, TLS and every read have a timeout and failures become ``core.errors`` like every other
request (``core.clusters.kube``).
"""

from __future__ import annotations

import json
import re
import ssl
from typing import Any
from urllib.parse import urlencode, urlparse

import websocket

from core.clusters.apierrors import http_error, transport_error
from core.clusters.kube import Kube
from core.errors import ClusterError

CHANNEL_PROTOCOL = "v4.channel.k8s.io"
STDIN, STDOUT, STDERR, ERROR = 0, 1, 2, 3
_EXIT = re.compile(r"exit (?:status|code)[: ]+(\d+)")


def _sslopt(kube: Kube) -> dict[str, Any]:
    tls = kube.tls
    if not tls.verify:
        opts: dict[str, Any] = {"cert_reqs": ssl.CERT_NONE}
    else:
        opts = {"cert_reqs": ssl.CERT_REQUIRED}
        if tls.ca_file:
            opts["ca_certs"] = tls.ca_file
    if tls.cert_file and tls.key_file:
        opts["certfile"], opts["keyfile"] = tls.cert_file, tls.key_file
    if tls.server_name:
        opts["server_hostname"] = tls.server_name
    return opts


def _headers(kube: Kube) -> list[str]:
    headers = [f"Sec-WebSocket-Protocol: {CHANNEL_PROTOCOL}"]
    for key, value in kube.headers.items():
        if key.lower() == "authorization" or key.lower().startswith("impersonate-"):
            headers.append(f"{key}: {value}")
    return headers


def connect(kube: Kube, path: str, query: list[tuple[str, str]], *, what: str) -> websocket.WebSocket:
    """A websocket to ``path`` on the API server, connected within the request timeout."""
    url = kube.server.rstrip("/") + path + "?" + urlencode(query)
    url = (
        "wss://" + url[len("https://") :] if url.startswith("https://") else "ws://" + url.split("://", 1)[1]
    )
    extra: dict[str, Any] = {}
    proxy = kube.proxy_url
    if proxy:
        parsed = urlparse(proxy)
        extra = {"http_proxy_host": parsed.hostname, "http_proxy_port": parsed.port, "proxy_type": "http"}
    try:
        return websocket.create_connection(
            url, header=_headers(kube), sslopt=_sslopt(kube), timeout=kube.timeout, **extra
        )
    except websocket.WebSocketBadStatusException as exc:
        raise http_error(exc.status_code, exc.resp_body or b"", server=kube.server, what=what) from exc
    except (websocket.WebSocketException, OSError) as exc:
        raise transport_error(exc, server=kube.server, timeout=kube.timeout) from exc


def exit_status(error_frame: bytes) -> int:
    """The command's exit status from the exec ``error`` channel's Status document."""
    if not error_frame.strip():
        return 0
    try:
        status = json.loads(error_frame)
    except ValueError as exc:
        raise ClusterError(f"the exec stream ended with: {error_frame[:200]!r}") from exc
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"])
    message = str(status.get("message") or "")
    found = _EXIT.search(message)
    if found:
        return int(found.group(1))
    raise ClusterError(
        f"the command could not run: {' '.join(message.split())[:300]}",
        hint="is the command there in the container's image? `--container` picks another container",
    )
