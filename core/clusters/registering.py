"""Adding, checking and removing clusters: kubeconfig in, encrypted credential and status stored."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from core.clusters.connecting import ERROR, Health, check, check_many
from core.clusters.kubeconfigs import Credential, parse_kubeconfig, resolve
from core.errors import Conflict, InvalidInput, UshadowError
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store
from core.untrusted import clip

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
LABEL_KEY_RE = re.compile(r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class AddResult:
    cluster: Cluster
    health: Health


def contexts_of(kubeconfig_text: str | bytes) -> tuple[list[str], str | None]:
    """The context names a kubeconfig holds, and its current-context (for a picker)."""
    kc = parse_kubeconfig(kubeconfig_text)
    return kc.context_names(), kc.current_context


def parse_labels(pairs: list[str] | str | None) -> dict[str, str]:
    """``key=value`` pairs (a list, or one comma-separated string) into a dict, validated."""
    if not pairs:
        return {}
    items = pairs.split(",") if isinstance(pairs, str) else pairs
    labels: dict[str, str] = {}
    for item in (i.strip() for i in items):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not LABEL_KEY_RE.match(key.strip()):
            raise InvalidInput(
                f"label {clip(item)} is not key=value with a valid key", hint="e.g. env=prod,team=ops"
            )
        labels[key.strip()] = value.strip()
    return labels


def validate_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise InvalidInput(
            f"cluster name {clip(name)} is not valid",
            hint="use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


def name_from_context(context: str) -> str:
    """A cluster name made from a context name (what an empty Name field means): characters a name
    may not hold become ``-`` (``arn:aws:eks:...:cluster/prod`` reads ``arn-aws-eks-...-cluster-prod``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", context).strip("-._")[:63].rstrip("-._")
    return name or "cluster"


def same_identity(stored: Credential, new: Credential) -> bool:
    """Whether two credentials reach the same API server as the same user (the kubeconfig's user
    entry, or the same key material)."""
    if stored.server.rstrip("/") != new.server.rstrip("/"):
        return False
    material = (new.client_cert, new.token, new.username, new.exec_spec)
    same_material = (
        any(material) and (stored.client_cert, stored.token, stored.username, stored.exec_spec) == material
    )
    return stored.user_name == new.user_name or bool(same_material)


def duplicates_of(store: Store, settings: Settings, new: Credential) -> list[str]:
    """The stored clusters that already reach ``new``'s server as its user (names, sorted)."""
    found = []
    for cluster in store.list_clusters():
        if cluster.server.rstrip("/") != new.server.rstrip("/"):
            continue
        try:
            if same_identity(stored_credential(store, settings, cluster.cluster_id), new):
                found.append(cluster.name)
        except UshadowError:
            continue  # a credential that no longer reads is not a duplicate anyone can use
    return sorted(found)


def validate_namespace(namespace: str) -> str:
    namespace = namespace.strip()
    if not NAMESPACE_RE.match(namespace):
        raise InvalidInput(
            f"namespace {clip(namespace)} is not a valid Kubernetes namespace name",
            hint="lowercase letters, digits and '-', at most 63 characters",
        )
    return namespace


def add_cluster(
    store: Store,
    settings: Settings,
    *,
    name: str,
    kubeconfig: str | bytes,
    context: str | None = None,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    save_unreachable: bool = False,
    actor: str | None = None,
) -> AddResult:
    """Validate, connect, and store. Nothing is stored when anything fails (unless asked).

    An empty ``name`` is the context's name. A cluster already stored with the same server and
    user is added all the same, with a warning naming it (two names for one cluster is usually a
    mistake, but a second default namespace is a reason for it)."""
    credential = resolve(parse_kubeconfig(kubeconfig), context, exec_allowlist=settings.exec_allowlist)
    name = validate_name(name.strip() or name_from_context(credential.context))
    ns = validate_namespace(namespace or credential.namespace or "ushadow")
    existing = store.list_clusters()
    if any(c.name == name for c in existing):
        raise Conflict(
            f"a cluster named {name!r} already exists", hint="pick another name or remove the old one"
        )
    if any(c.cluster_id == name for c in existing):
        raise Conflict(
            f"{name!r} is the id of another cluster; a name may not be another cluster's id",
            hint="pick another name",
        )
    if any(name in (h.name, h.host_id) for h in store.list_hosts()):
        raise Conflict(
            f"{name!r} already names a Docker host; names are unique across clusters and hosts",
            hint="pick another name",
        )
    health = check(credential, settings)
    if not health.ok and not save_unreachable:
        raise _as_error(health)
    twins = duplicates_of(store, settings, credential)
    if twins:
        also = f"cluster {', '.join(repr(t) for t in twins)} already reaches {credential.server} as this user"
        health = replace(health, warnings=(*health.warnings, also))
    cluster = store.add_cluster(
        name=name,
        context=credential.context,
        server=credential.server,
        namespace=ns,
        labels=dict(labels or {}),
        credential=credential.to_bytes(),
        status=health.status,
        version=health.version,
        node_count=health.node_count,
        error=health.error,
        actor=actor,
    )
    return AddResult(cluster, health)


def _as_error(health: Health) -> UshadowError:
    from core.errors import ClusterError, Unauthorized, Unreachable

    kind = {"unreachable": Unreachable, "unauthorized": Unauthorized}.get(health.status, ClusterError)
    save = (
        "to add it now and check it later, save it anyway: tick 'Save even if it cannot connect now', "
        "or give the CLI --save-unreachable"
    )
    return kind(f"{health.error} (nothing was saved)", hint=f"{health.hint}; {save}" if health.hint else save)


def stored_credential(store: Store, settings: Settings, ref: str) -> Credential:
    return Credential.from_bytes(store.cluster_credential(ref), exec_allowlist=settings.exec_allowlist)


def warnings_for(store: Store, settings: Settings, ref: str) -> tuple[str, ...]:
    """What to tell an operator about how a stored cluster connects (TLS verification off, ...)."""
    try:
        return stored_credential(store, settings, ref).warnings
    except UshadowError:
        return ()  # its check says what is wrong


def _unusable(server: str, exc: UshadowError) -> Health:
    """A stored credential that no longer passes the checks (e.g. its exec command left the allowlist)."""
    return Health(ERROR, server, error=f"the stored credential is refused now: {exc.message}", hint=exc.hint)


def check_cluster(store: Store, settings: Settings, ref: str) -> Cluster:
    cluster = store.get_cluster(ref)
    try:
        credential = stored_credential(store, settings, cluster.cluster_id)
    except UshadowError as exc:
        health = _unusable(cluster.server, exc)
    else:
        health = check(credential, settings)
    return store.update_cluster_status(
        cluster.cluster_id,
        status=health.status,
        version=health.version,
        node_count=health.node_count,
        error=health.error,
    )


def check_all(
    store: Store, settings: Settings, *, on_done: Callable[[str, Health], None] | None = None
) -> list[Cluster]:
    """Re-check every cluster in parallel; one dead cluster costs one timeout, not N."""
    creds: list[tuple[str, Credential]] = []
    refused: dict[str, Health] = {}
    for c in store.list_clusters():
        try:
            creds.append((c.cluster_id, stored_credential(store, settings, c.cluster_id)))
        except UshadowError as exc:  # only this cluster fails, with the reason as its status
            refused[c.cluster_id] = _unusable(c.server, exc)
            if on_done is not None:
                on_done(c.cluster_id, refused[c.cluster_id])
    results = {**refused, **check_many(creds, settings, on_done=on_done)}
    return [
        store.update_cluster_status(
            cid, status=h.status, version=h.version, node_count=h.node_count, error=h.error
        )
        for cid, h in results.items()
    ]


def remove_cluster(store: Store, ref: str, *, actor: str | None = None) -> Cluster:
    return store.remove_cluster(ref, actor=actor)
