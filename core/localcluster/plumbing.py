"""Plumbing for the local control plane: free ports, process checks, the admin kubeconfig's text and a
small HTTPS client with client certificates for readiness checks (stdlib only).
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from core.errors import LocalClusterError
from core.localcluster.pki import KeyPair

HOST = "127.0.0.1"
"""Everything of the local control plane listens here only."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def alive(pid: int, binary: str | None = None) -> bool:
    """True when ``pid`` runs and (if given) is the binary we started, not a recycled pid."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":  # a zombie has exited
        return False
    return binary is None or cmdline == binary


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_yaml(server: str, ca: KeyPair, client: KeyPair, user: str) -> str:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "ushadow-local",
                "cluster": {"server": server, "certificate-authority-data": b64(ca.cert_pem())},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(client.cert_pem()),
                    "client-key-data": b64(client.key_pem()),
                },
            }
        ],
        "contexts": [{"name": "ushadow-local", "context": {"cluster": "ushadow-local", "user": user}}],
        "current-context": "ushadow-local",
    }
    return yaml.safe_dump(doc, sort_keys=False)


class Http:
    """Minimal HTTPS client with the admin certificate, for readiness checks and node setup."""

    def __init__(self, server: str, ca: Path, cert: Path, key: Path) -> None:
        self.server = server
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.ctx.load_cert_chain(str(cert), str(key))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: float = 5,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float,
    procs: dict[str, subprocess.Popen[bytes]],
    logs: Path,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                tail = (logs / f"{name}.log").read_text(errors="replace").strip().splitlines()[-12:]
                raise LocalClusterError(f"{name} exited while waiting for {what}:\n" + "\n".join(tail))
        try:
            if check():
                return
        except (OSError, ssl.SSLError, ValueError):
            pass
        time.sleep(0.25)
    raise LocalClusterError(
        f"timed out after {timeout:.0f}s waiting for {what}", hint=f"see the logs in {logs}"
    )
