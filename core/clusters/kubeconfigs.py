"""Reading untrusted kubeconfigs (pure: no I/O, no network, nothing is executed).

A kubeconfig comes from an upload or a paste. It is parsed with pydantic models, one context is
picked, and the result is a :class:`Credential` holding only that context's server and user,
which is what gets stored (encrypted). Anything that would make this server read its own files
(``certificate-authority: /path``) or run a command (``exec``, ``auth-provider``) is refused,
unless the command is in ``USHADOW_EXEC_ALLOWLIST``.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import InvalidInput

MAX_BYTES = 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ClusterEntry(_Strict):
    server: str | None = None
    certificate_authority_data: str | None = Field(None, alias="certificate-authority-data")
    certificate_authority: str | None = Field(None, alias="certificate-authority")
    insecure_skip_tls_verify: bool = Field(False, alias="insecure-skip-tls-verify")
    tls_server_name: str | None = Field(None, alias="tls-server-name")
    proxy_url: str | None = Field(None, alias="proxy-url")
    disable_compression: bool | None = Field(None, alias="disable-compression")
    extensions: list[Any] | None = None


class UserEntry(_Strict):
    client_certificate_data: str | None = Field(None, alias="client-certificate-data")
    client_key_data: str | None = Field(None, alias="client-key-data")
    client_certificate: str | None = Field(None, alias="client-certificate")
    client_key: str | None = Field(None, alias="client-key")
    token: str | None = None
    token_file: str | None = Field(None, alias="tokenFile")
    username: str | None = None
    password: str | None = None
    exec: dict[str, Any] | None = None
    auth_provider: dict[str, Any] | None = Field(None, alias="auth-provider")
    impersonate: str | None = Field(None, alias="as")
    impersonate_groups: list[str] | None = Field(None, alias="as-groups")
    impersonate_uid: str | None = Field(None, alias="as-uid")
    impersonate_user_extra: dict[str, Any] | None = Field(None, alias="as-user-extra")
    extensions: list[Any] | None = None


class ContextEntry(_Strict):
    cluster: str
    user: str
    namespace: str | None = None
    extensions: list[Any] | None = None


class NamedCluster(_Strict):
    name: str
    cluster: ClusterEntry


class NamedUser(_Strict):
    name: str
    user: UserEntry | None = None


class NamedContext(_Strict):
    name: str
    context: ContextEntry


class Kubeconfig(_Strict):
    api_version: str | None = Field(None, alias="apiVersion")
    kind: str | None = None
    clusters: list[NamedCluster] = Field(default_factory=list)
    users: list[NamedUser] = Field(default_factory=list)
    contexts: list[NamedContext] = Field(default_factory=list)
    current_context: str | None = Field(None, alias="current-context")
    preferences: dict[str, Any] | None = None
    extensions: list[Any] | None = None

    def context_names(self) -> list[str]:
        return [c.name for c in self.contexts]


@dataclass(frozen=True)
class Credential:
    """One context's connection details. ``repr`` never shows secret material."""

    context: str
    cluster_name: str
    server: str
    namespace: str | None = None
    ca_data: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = None
    client_cert: bytes | None = field(default=None, repr=False)
    client_key: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    exec_spec: dict[str, Any] | None = field(default=None, repr=False)
    impersonate: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    user_name: str = "user"

    def to_kubeconfig(self) -> dict[str, Any]:
        """A minimal single-context kubeconfig: the form that is stored (encrypted)."""
        cluster: dict[str, Any] = {"server": self.server}
        if self.ca_data:
            cluster["certificate-authority-data"] = _b64(self.ca_data)
        if self.insecure:
            cluster["insecure-skip-tls-verify"] = True
        if self.tls_server_name:
            cluster["tls-server-name"] = self.tls_server_name
        if self.proxy_url:
            cluster["proxy-url"] = self.proxy_url
        user: dict[str, Any] = {}
        if self.client_cert:
            user["client-certificate-data"] = _b64(self.client_cert)
        if self.client_key:
            user["client-key-data"] = _b64(self.client_key)
        if self.token:
            user["token"] = self.token
        if self.username:
            user["username"] = self.username
        if self.password:
            user["password"] = self.password
        if self.exec_spec:
            user["exec"] = self.exec_spec
        if self.impersonate:
            user["as"] = self.impersonate
        if self.impersonate_groups:
            user["as-groups"] = list(self.impersonate_groups)
        context: dict[str, Any] = {"cluster": self.cluster_name, "user": self.user_name}
        if self.namespace:
            context["namespace"] = self.namespace
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": self.cluster_name, "cluster": cluster}],
            "users": [{"name": self.user_name, "user": user}],
            "contexts": [{"name": self.context, "context": context}],
            "current-context": self.context,
        }

    def to_bytes(self) -> bytes:
        return yaml.safe_dump(self.to_kubeconfig(), sort_keys=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes, *, exec_allowlist: frozenset[str] = frozenset()) -> Credential:
        kc = parse_kubeconfig(data)
        return resolve(kc, None, exec_allowlist=exec_allowlist)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _field_path(loc: tuple[int | str, ...], raw: Any) -> str:
    """Turn pydantic's location into ``users[name=dev].user.token`` style paths."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            entry = node[item] if item < len(node) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            parts[-1] = f"{parts[-1]}[{name!r}]" if name else f"{parts[-1]}[{item}]"
            node = entry
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def parse_kubeconfig(text: str | bytes) -> Kubeconfig:
    """Parse and validate kubeconfig text, with errors that say where and what."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InvalidInput("the kubeconfig is larger than 1 MiB", hint="upload a single kubeconfig file")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                "the kubeconfig is not UTF-8 text", hint="upload the YAML file itself"
            ) from exc
    if not text.strip():
        raise InvalidInput("the kubeconfig is empty", hint="paste the YAML of a kubeconfig file")
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInput(
            f"the kubeconfig is not valid YAML{where}: {exc.problem or exc.context}",
            hint="check indentation and quoting there",
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the kubeconfig is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(
            "this is not a kubeconfig: expected a YAML mapping with clusters, users and contexts",
            hint="`kubectl config view --minify --flatten` prints one",
        )
    if raw.get("kind") not in (None, "Config") or not any(
        k in raw for k in ("clusters", "contexts", "users")
    ):
        raise InvalidInput(
            f"this is not a kubeconfig (kind: {raw.get('kind')!r}; no clusters, users or contexts)",
            hint="`kubectl config view --minify --flatten` prints one",
        )
    for key in ("clusters", "users", "contexts"):
        if raw.get(key) is None:
            raw[key] = []
    try:
        return Kubeconfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _field_path(tuple(first["loc"]), raw)
        raise InvalidInput(
            f"the kubeconfig has an invalid field {where}: {first['msg']}",
            hint="fix that field, or export the kubeconfig again with `kubectl config view --minify --flatten`",
        ) from exc


def _decode(value: str, what: str, expect_pem: str) -> bytes:
    try:
        data = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            f"{what} is not valid base64",
            hint="it must be the base64 of a PEM file, as `kubectl config view --flatten` writes it",
        ) from exc
    if f"-----BEGIN {expect_pem}".encode() not in data and b"-----BEGIN" not in data:
        raise InvalidInput(f"{what} decodes to something that is not PEM", hint="re-export the kubeconfig")
    return data


def _refuse_file(kind: str, path: str) -> InvalidInput:
    return InvalidInput(
        f"the kubeconfig points at the file {path!r} for {kind}; a file on this server is never read",
        hint="embed it instead (`kubectl config view --minify --flatten` writes the *-data fields)",
    )


def _check_exec(name: str, user: UserEntry, allowlist: frozenset[str]) -> dict[str, Any] | None:
    if user.auth_provider is not None:
        provider = str(user.auth_provider.get("name", "?"))
        raise InvalidInput(
            f"user {name!r} uses the auth-provider {provider!r}, which can run commands on this server; refused",
            hint="use a token or client certificate (e.g. a ServiceAccount token) instead",
        )
    if user.exec is None:
        return None
    command = str(user.exec.get("command") or "")
    base = os.path.basename(command)
    if not command or (command not in allowlist and base not in allowlist):
        raise InvalidInput(
            f"user {name!r} runs the command {command!r} to get a credential; refused, since an uploaded "
            "kubeconfig must not run commands on this server",
            hint="use a token or client certificate, or ask an admin to add the command to USHADOW_EXEC_ALLOWLIST",
        )
    return dict(user.exec)


def resolve(
    kc: Kubeconfig, context: str | None, *, exec_allowlist: frozenset[str] = frozenset()
) -> Credential:
    """Pick one context and check that it is complete and safe to use."""
    names = kc.context_names()
    if not names:
        raise InvalidInput("the kubeconfig has no contexts", hint="it needs at least one context")
    chosen = context or kc.current_context or (names[0] if len(names) == 1 else None)
    if chosen is None:
        raise InvalidInput(
            "the kubeconfig has several contexts and no current-context",
            hint=f"pick one of: {', '.join(names)}",
        )
    ctx = next((c for c in kc.contexts if c.name == chosen), None)
    if ctx is None:
        raise InvalidInput(
            f"the kubeconfig has no context {chosen!r}", hint=f"pick one of: {', '.join(names)}"
        )
    cluster = next((c for c in kc.clusters if c.name == ctx.context.cluster), None)
    if cluster is None:
        raise InvalidInput(
            f"context {chosen!r} refers to cluster {ctx.context.cluster!r}, which the kubeconfig does not define",
            hint="add it under clusters, or re-export with `kubectl config view --minify --flatten`",
        )
    user_entry = next((u for u in kc.users if u.name == ctx.context.user), None)
    if user_entry is None:
        raise InvalidInput(
            f"context {chosen!r} refers to user {ctx.context.user!r}, which the kubeconfig does not define",
            hint="add it under users, or re-export with `kubectl config view --minify --flatten`",
        )
    spec = cluster.cluster
    if not spec.server:
        raise InvalidInput(
            f"cluster {cluster.name!r} has no server URL", hint="set clusters[].cluster.server"
        )
    parts = urlsplit(spec.server)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(
            f"cluster {cluster.name!r} has server {spec.server!r}, which is not an http(s) URL",
            hint="it looks like https://host:6443",
        )
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise InvalidInput(f"cluster {cluster.name!r} has a malformed port in {spec.server!r}") from exc
    if spec.certificate_authority:
        raise _refuse_file("the certificate authority", spec.certificate_authority)
    user = user_entry.user or UserEntry()
    for kind, path in (
        ("the client certificate", user.client_certificate),
        ("the client key", user.client_key),
        ("the token", user.token_file),
    ):
        if path:
            raise _refuse_file(kind, path)
    exec_spec = _check_exec(user_entry.name, user, exec_allowlist)
    ca = (
        _decode(
            spec.certificate_authority_data, f"cluster {cluster.name!r} certificate-authority-data", "CERT"
        )
        if spec.certificate_authority_data
        else None
    )
    cert = (
        _decode(user.client_certificate_data, f"user {user_entry.name!r} client-certificate-data", "CERT")
        if user.client_certificate_data
        else None
    )
    key = (
        _decode(user.client_key_data, f"user {user_entry.name!r} client-key-data", "PRIVATE")
        if user.client_key_data
        else None
    )
    if (cert is None) != (key is None):
        raise InvalidInput(
            f"user {user_entry.name!r} has a client certificate without its key (or a key without its certificate)",
            hint="a client certificate needs both client-certificate-data and client-key-data",
        )
    if not (cert or user.token or user.username or exec_spec):
        raise InvalidInput(
            f"user {user_entry.name!r} has no credential (no token, client certificate or username)",
            hint="add a token or client certificate to the user",
        )
    return Credential(
        context=chosen,
        cluster_name=cluster.name,
        server=spec.server.rstrip("/"),
        namespace=ctx.context.namespace,
        ca_data=ca,
        insecure=spec.insecure_skip_tls_verify,
        tls_server_name=spec.tls_server_name,
        proxy_url=spec.proxy_url,
        client_cert=cert,
        client_key=key,
        token=user.token.strip() if user.token else None,
        username=user.username,
        password=user.password,
        exec_spec=exec_spec,
        impersonate=user.impersonate,
        impersonate_groups=tuple(user.impersonate_groups or ()),
        user_name=user_entry.name,
    )
