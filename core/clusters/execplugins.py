"""Allowlisted kubeconfig ``exec`` credential plugins (EKS, GKE, OIDC helpers): the check and the run.

A kubeconfig's ``exec`` names a command. It is accepted only when it resolves to the same file as an
entry of ``USHADOW_EXEC_ALLOWLIST``: each entry (an absolute path, or a bare name looked up in this
process's ``PATH``) and the command (an absolute path, or a bare name looked up in ``PATH``; never a
relative path) are resolved to real absolute paths (symlinks followed) and compared. That resolved
file is what runs: without a shell, with a timeout, stdin closed, non-interactively, and with an
environment built from the names in ``PASSED_FROM_SERVER`` (read from this process) plus the
kubeconfig's ``env`` entries, which may only set names in ``SETTABLE_BY_KUBECONFIG``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import InvalidInput, Unauthorized
from core.untrusted import clip, cut

PASSED_FROM_SERVER = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "CLOUDSDK_CORE_PROJECT",
    "USE_GKE_GCLOUD_AUTH_PLUGIN",
    "AZURE_CONFIG_DIR",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
]
SETTABLE_BY_KUBECONFIG = frozenset(
    [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_STS_REGIONAL_ENDPOINTS",
        "CLOUDSDK_CORE_PROJECT",
        "USE_GKE_GCLOUD_AUTH_PLUGIN",
        "AAD_LOGIN_METHOD",
    ]
)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL byte")
    return value


class ExecEnvVar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    value: str

    _check = field_validator("name", "value")(_no_nul)


class ExecConfig(BaseModel):
    """The ``users[].user.exec`` block of a kubeconfig, strictly typed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    api_version: str | None = Field(None, alias="apiVersion")
    command: str
    args: list[str] | None = None
    env: list[ExecEnvVar] | None = None
    install_hint: str | None = Field(None, alias="installHint")
    provide_cluster_info: bool | None = Field(None, alias="provideClusterInfo")
    interactive_mode: str | None = Field(None, alias="interactiveMode")

    @field_validator("api_version", "command", "install_hint", "interactive_mode")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        return None if value is None else _no_nul(value)

    @field_validator("args")
    @classmethod
    def _plain_args(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_no_nul(v) for v in value]


@dataclass(frozen=True)
class ExecResult:
    token: str | None = field(default=None, repr=False)
    client_cert: bytes | None = field(default=None, repr=False)
    client_key: bytes | None = field(default=None, repr=False)
    expires: datetime | None = None  # ``status.expirationTimestamp``; None: no expiry given


def _expiry(status: dict[str, Any], command: str) -> datetime | None:
    stamp = status.get("expirationTimestamp")
    if stamp is None:
        return None
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError as exc:
        raise Unauthorized(
            f"the exec credential plugin {command} printed an expirationTimestamp that is not a time"
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def resolve_command(command: str) -> Path | None:
    """The real absolute path of an executable ``command`` (absolute, or a bare name on PATH)."""
    if not command or "\x00" in command:
        return None
    if "/" in command:
        if not os.path.isabs(command):
            return None  # ./x/aws means whatever the current directory holds: never
        candidate: str | None = command
    else:
        candidate = shutil.which(command)
    if candidate is None:
        return None
    try:
        real = Path(candidate).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real if real.is_file() and os.access(real, os.X_OK) else None


def allowed_paths(allowlist: frozenset[str]) -> frozenset[Path]:
    """Each allowlist entry resolved once to a real absolute path (missing ones drop out)."""
    return frozenset(p for p in (resolve_command(e) for e in allowlist) if p is not None)


def allowed_binary(command: str, allowlist: frozenset[str]) -> Path:
    """The file to run for ``command``; ``InvalidInput`` unless it is an allowlisted file."""
    refused = InvalidInput(
        f"the kubeconfig runs the command {clip(command)} to get a credential; refused, since an uploaded "
        "kubeconfig must not run commands on this server unless that exact program is allowlisted",
        hint="use a token or client certificate, or ask an admin to add the program (a name on PATH "
        "or an absolute path) to USHADOW_EXEC_ALLOWLIST",
    )
    if not allowlist:
        raise refused
    real = resolve_command(command)
    if real is None:
        if "/" in command and not os.path.isabs(command):
            raise refused
        raise InvalidInput(
            f"the exec credential plugin {clip(command)} is not installed on this server",
            hint="install it where the dashboard runs, or use a token instead",
        )
    if real not in allowed_paths(allowlist):
        raise refused
    return real


def parse_exec(user_name: str, raw: dict[str, Any]) -> ExecConfig:
    try:
        config = ExecConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"user {clip(user_name)} has an invalid exec field {cut(where, 60)}: {cut(first['msg'], 120)}",
            hint="exec needs a command (text), args (a list of text) and env (a list of name/value)",
        ) from exc
    for var in config.env or []:
        if var.name not in SETTABLE_BY_KUBECONFIG:
            raise InvalidInput(
                f"user {clip(user_name)} sets the variable {clip(var.name)} for its exec plugin; refused",
                hint="a kubeconfig may only set " + ", ".join(sorted(SETTABLE_BY_KUBECONFIG)),
            )
    return config


def check_exec(user_name: str, raw: dict[str, Any], allowlist: frozenset[str]) -> dict[str, Any]:
    """The validated exec block (as stored) when its command is allowlisted; ``InvalidInput`` otherwise."""
    config = parse_exec(user_name, raw)
    allowed_binary(config.command, allowlist)
    return config.model_dump(by_alias=True, exclude_none=True)


def plugin_environment(config: ExecConfig, exec_info: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_FROM_SERVER if name in os.environ}
    for var in config.env or []:
        if var.name in SETTABLE_BY_KUBECONFIG:
            env[var.name] = var.value
    env["KUBERNETES_EXEC_INFO"] = exec_info
    return env


def run_exec_plugin(
    spec: dict[str, Any], *, allowlist: frozenset[str], cluster_server: str, timeout: float
) -> ExecResult:
    config = parse_exec("user", spec)
    binary = allowed_binary(config.command, allowlist)
    command = clip(config.command)
    api_version = config.api_version or "client.authentication.k8s.io/v1"
    info = json.dumps({"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}})
    try:
        proc = subprocess.run(
            [str(binary), *(config.args or [])],
            env=plugin_environment(config, info),
            capture_output=True,
            timeout=timeout * 6,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Unauthorized(f"the exec credential plugin {command} did not answer in time") from exc
    except OSError as exc:
        raise Unauthorized(f"the exec credential plugin {command} could not start: {clip(str(exc))}") from exc
    if proc.returncode != 0:
        raise Unauthorized(
            f"the exec credential plugin {command} failed (exit {proc.returncode})",
            hint="run it by hand on the dashboard's machine to see why",
        )
    try:
        status = json.loads(proc.stdout)["status"]
        token = status.get("token")
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        expires = _expiry(status, command)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Unauthorized(f"the exec credential plugin {command} did not print an ExecCredential") from exc
    if (
        not isinstance(token, str | None)
        or not isinstance(cert, str | None)
        or not isinstance(key, str | None)
    ):
        raise Unauthorized(
            f"the exec credential plugin {command} printed an ExecCredential of the wrong shape"
        )
    if not token and not (cert and key):
        raise Unauthorized(f"the exec credential plugin {command} gave neither a token nor a certificate")
    return ExecResult(
        token=token or None,
        client_cert=cert.encode() if cert else None,
        client_key=key.encode() if key else None,
        expires=expires,
    )
