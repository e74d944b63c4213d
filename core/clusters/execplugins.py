"""Running an allowlisted kubeconfig ``exec`` credential plugin (EKS, GKE, OIDC helpers).

Only commands named in ``USHADOW_EXEC_ALLOWLIST`` ever get here (``core.clusters.kubeconfigs`` refuses the
rest). The plugin runs without a shell, with a timeout, non-interactively, and its
``ExecCredential`` answer gives a token or a client certificate for one connection.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput, Unauthorized


@dataclass(frozen=True)
class ExecResult:
    token: str | None = None
    client_cert: bytes | None = None
    client_key: bytes | None = None


def run_exec_plugin(
    spec: dict[str, Any], *, allowlist: frozenset[str], cluster_server: str, timeout: float
) -> ExecResult:
    command = str(spec.get("command") or "")
    if command not in allowlist and os.path.basename(command) not in allowlist:
        raise InvalidInput(f"the exec command {command!r} is not in USHADOW_EXEC_ALLOWLIST")
    binary = shutil.which(command)
    if binary is None:
        raise InvalidInput(
            f"the exec credential plugin {command!r} is not installed on this server",
            hint="install it where the dashboard runs, or use a token instead",
        )
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
    env = dict(os.environ)
    for item in spec.get("env") or []:
        if isinstance(item, dict) and "name" in item:
            env[str(item["name"])] = str(item.get("value", ""))
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    )
    args = [str(a) for a in spec.get("args") or []]
    try:
        proc = subprocess.run(
            [binary, *args],
            env=env,
            capture_output=True,
            timeout=timeout * 6,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Unauthorized(f"the exec credential plugin {command!r} did not answer in time") from exc
    if proc.returncode != 0:
        raise Unauthorized(
            f"the exec credential plugin {command!r} failed (exit {proc.returncode})",
            hint="run it by hand on the dashboard's machine to see why",
        )
    try:
        status = json.loads(proc.stdout)["status"]
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized(f"the exec credential plugin {command!r} did not print an ExecCredential") from exc
    token = status.get("token")
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if not token and not (cert and key):
        raise Unauthorized(f"the exec credential plugin {command!r} gave neither a token nor a certificate")
    return ExecResult(
        token=str(token) if token else None,
        client_cert=str(cert).encode() if cert else None,
        client_key=str(key).encode() if key else None,
    )
