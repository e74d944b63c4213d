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
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from core.clusters.execplugins import check_exec
from core.clusters.kubemodels import Kubeconfig, NamedCluster, NamedContext, NamedUser, UserEntry
from core.clusters.urls import check_proxy, check_server
from core.errors import InvalidInput
from core.untrusted import clip, cut, load_yaml

MAX_BYTES = 1024 * 1024  # uploads and pastes alike
MAX_DEPTH = 24  # a kubeconfig is a few levels deep; extensions get some room
INSECURE_WARNING = (
    "TLS verification is off for this cluster (insecure-skip-tls-verify): anyone on the network path "
    "can read and change its traffic, credential included"
)
PLAIN_HTTP_WARNING = "the API server URL is plain http://: the credential is sent unencrypted"


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
    proxy_url: str | None = field(default=None, repr=False)
    client_cert: bytes | None = field(default=None, repr=False)
    client_key: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    exec_spec: dict[str, Any] | None = field(default=None, repr=False)
    impersonate: str | None = None
    user_name: str = "user"

    @property
    def warnings(self) -> tuple[str, ...]:
        """What an operator should know about how this credential connects (shown on add and check)."""
        found: list[str] = []
        if self.insecure:
            found.append(INSECURE_WARNING)
        if self.server.lower().startswith("http://"):
            found.append(PLAIN_HTTP_WARNING)
        return tuple(found)

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


def _too_big() -> InvalidInput:
    return InvalidInput(
        "the kubeconfig is larger than 1 MiB",
        hint="give a single kubeconfig (`kubectl config view --minify --flatten`)",
    )


def parse_kubeconfig(text: str | bytes) -> Kubeconfig:
    """Parse and validate kubeconfig text, with errors that say where and what.

    Bounded: at most 1 MiB (uploads and pastes alike), no YAML aliases, limited nesting, and no
    message echoes more than a short, clipped piece of the input.
    """
    if len(text) > MAX_BYTES:
        raise _too_big()
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                "the kubeconfig is not UTF-8 text", hint="upload the YAML file itself"
            ) from exc
    elif len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise _too_big()
    if not text.strip():
        raise InvalidInput("the kubeconfig is empty", hint="paste the YAML of a kubeconfig file")
    raw = load_yaml(text, what="the kubeconfig", max_aliases=0, max_depth=MAX_DEPTH)
    if not isinstance(raw, dict):
        raise InvalidInput(
            "this is not a kubeconfig: expected a YAML mapping with clusters, users and contexts",
            hint="`kubectl config view --minify --flatten` prints one",
        )
    if raw.get("kind") not in (None, "Config") or not any(
        k in raw for k in ("clusters", "contexts", "users")
    ):
        raise InvalidInput(
            f"this is not a kubeconfig (kind: {clip(raw.get('kind'))}; no clusters, users or contexts)",
            hint="`kubectl config view --minify --flatten` prints one",
        )
    for key in ("clusters", "users", "contexts"):
        if raw.get(key) is None:
            raw[key] = []
    try:
        return Kubeconfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = _field_path(tuple(first["loc"]), raw)
        raise InvalidInput(
            f"the kubeconfig has an invalid field {cut(where, 120)}: {cut(first['msg'], 160)}",
            hint="fix that field, or export the kubeconfig again with `kubectl config view --minify --flatten`",
        ) from exc
    except RecursionError as exc:  # pragma: no cover - the depth limit keeps this out of reach
        raise InvalidInput("the kubeconfig is nested too deeply") from exc


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
        f"the kubeconfig points at the file {clip(path)} for {kind}; a file on this server is never read",
        hint="embed it instead (`kubectl config view --minify --flatten` writes the *-data fields)",
    )


def _check_exec(name: str, user: UserEntry, allowlist: frozenset[str]) -> dict[str, Any] | None:
    if user.auth_provider is not None:
        provider = user.auth_provider.get("name", "?")
        raise InvalidInput(
            f"user {clip(name)} uses the auth-provider {clip(provider)}, which can run commands on this "
            "server; refused",
            hint="use a token or client certificate (e.g. a ServiceAccount token) instead",
        )
    if user.exec is None:
        return None
    return check_exec(name, user.exec, allowlist)


def _refuse_impersonation(name: str, user: UserEntry) -> None:
    """``as-groups``, ``as-uid`` and ``as-user-extra`` cannot be sent: refuse rather than drop them."""
    unsupported = [
        key
        for key, value in (
            ("as-groups", user.impersonate_groups),
            ("as-uid", user.impersonate_uid),
            ("as-user-extra", user.impersonate_user_extra),
        )
        if value
    ]
    if unsupported:
        raise InvalidInput(
            f"user {clip(name)} impersonates with {', '.join(unsupported)}, which this dashboard does not "
            "support; refused rather than connect as someone other than intended",
            hint="remove those fields (only `as` is supported), or use a credential of that identity",
        )


def _refuse_control_characters(name: str, user: UserEntry) -> None:
    """Values that become HTTP headers must be one printable line (no header injection)."""
    for key, value in (
        ("token", user.token),
        ("username", user.username),
        ("password", user.password),
        ("as", user.impersonate),
    ):
        if value and not value.strip().isprintable():
            raise InvalidInput(
                f"user {clip(name)} has a {key} with control characters or line breaks in it",
                hint="copy the value again; it must be a single line",
            )


def _pick(names: list[str]) -> str:
    shown = ", ".join(clip(n, 40) for n in names[:10])
    return f"pick one of: {shown}" + (f" (and {len(names) - 10} more)" if len(names) > 10 else "")


def _entries(kc: Kubeconfig, chosen: str) -> tuple[NamedContext, NamedCluster, NamedUser]:
    ctx = next((c for c in kc.contexts if c.name == chosen), None)
    if ctx is None:
        raise InvalidInput(f"the kubeconfig has no context {clip(chosen)}", hint=_pick(kc.context_names()))
    cluster = next((c for c in kc.clusters if c.name == ctx.context.cluster), None)
    if cluster is None:
        raise InvalidInput(
            f"context {clip(chosen)} refers to cluster {clip(ctx.context.cluster)}, which the kubeconfig "
            "does not define",
            hint="add it under clusters, or re-export with `kubectl config view --minify --flatten`",
        )
    user = next((u for u in kc.users if u.name == ctx.context.user), None)
    if user is None:
        raise InvalidInput(
            f"context {clip(chosen)} refers to user {clip(ctx.context.user)}, which the kubeconfig does "
            "not define",
            hint="add it under users, or re-export with `kubectl config view --minify --flatten`",
        )
    return ctx, cluster, user


def _pem(value: str | None, what: str, expect: str) -> bytes | None:
    return _decode(value, what, expect) if value else None


def resolve(
    kc: Kubeconfig, context: str | None, *, exec_allowlist: frozenset[str] = frozenset()
) -> Credential:
    """Pick one context and check that it is complete and safe to use."""
    names = kc.context_names()
    if not names:
        raise InvalidInput("the kubeconfig has no contexts", hint="it needs at least one context")
    chosen = context or kc.current_context or (names[0] if len(names) == 1 else None)
    if chosen is None:
        raise InvalidInput("the kubeconfig has several contexts and no current-context", hint=_pick(names))
    ctx, cluster, user_entry = _entries(kc, chosen)
    spec = cluster.cluster
    if not spec.server:
        raise InvalidInput(
            f"cluster {clip(cluster.name)} has no server URL", hint="set clusters[].cluster.server"
        )
    server = check_server(cluster.name, spec.server)
    proxy = check_proxy(cluster.name, spec.proxy_url) if spec.proxy_url else None
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
    _refuse_impersonation(user_entry.name, user)
    _refuse_control_characters(user_entry.name, user)
    exec_spec = _check_exec(user_entry.name, user, exec_allowlist)
    who = f"user {clip(user_entry.name)}"
    ca = _pem(
        spec.certificate_authority_data, f"cluster {clip(cluster.name)} certificate-authority-data", "CERT"
    )
    cert = _pem(user.client_certificate_data, f"{who} client-certificate-data", "CERT")
    key = _pem(user.client_key_data, f"{who} client-key-data", "PRIVATE")
    if (cert is None) != (key is None):
        raise InvalidInput(
            f"{who} has a client certificate without its key (or a key without its certificate)",
            hint="a client certificate needs both client-certificate-data and client-key-data",
        )
    if not (cert or user.token or user.username or exec_spec):
        raise InvalidInput(
            f"{who} has no credential (no token, client certificate or username)",
            hint="add a token or client certificate to the user",
        )
    return Credential(
        context=chosen,
        cluster_name=cluster.name,
        server=server,
        namespace=ctx.context.namespace,
        ca_data=ca,
        insecure=spec.insecure_skip_tls_verify,
        tls_server_name=spec.tls_server_name,
        proxy_url=proxy,
        client_cert=cert,
        client_key=key,
        token=user.token.strip() if user.token else None,
        username=user.username,
        password=user.password,
        exec_spec=exec_spec,
        impersonate=user.impersonate,
        user_name=user_entry.name,
    )
