"""Adding, checking and removing Docker hosts; names are unique across clusters and hosts."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import ClusterError, Conflict, InvalidInput, Unreachable, UshadowError
from core.hosts.engines import ERROR, UNREACHABLE, EngineCredential, EngineHealth, check, make_credential
from core.naming import is_dns_label
from core.settings import Settings
from core.store.hosts import Host
from core.store.store import Store
from core.untrusted import clip


def validate_name(name: str) -> str:
    """Host names become compose project prefixes and container names: a DNS label."""
    name = name.strip()
    if not is_dns_label(name):
        raise InvalidInput(
            f"host name {clip(name)} is not valid",
            hint="use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        )
    return name


def _taken(store: Store, name: str) -> None:
    for cluster in store.list_clusters():
        if name in (cluster.name, cluster.cluster_id):
            raise Conflict(
                f"{name!r} already names a cluster; names are unique across clusters and hosts",
                hint="pick another name",
            )
    for host in store.list_hosts():
        if name in (host.name, host.host_id):
            raise Conflict(f"a Docker host named {name!r} already exists", hint="pick another name")


def add_host(
    store: Store,
    settings: Settings,
    *,
    name: str,
    url: str,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    labels: Mapping[str, str] | None = None,
    save_unreachable: bool = False,
    actor: str | None = None,
) -> tuple[Host, EngineHealth]:
    """Validate, connect and store; nothing is stored when it does not answer (unless asked)."""
    name = validate_name(name)
    credential = make_credential(url, settings, ca=ca, cert=cert, key=key)
    _taken(store, name)
    health = check(credential, settings)
    if not health.ok and not save_unreachable:
        kind = Unreachable if health.status == UNREACHABLE else ClusterError
        raise kind(f"{health.error} (nothing was saved)", hint=health.hint)
    host = store.add_host(
        name=name,
        url=credential.url,
        labels=dict(labels or {}),
        credential=credential.to_bytes(),
        status=health.status,
        version=health.version,
        containers_running=health.containers_running,
        error=health.error,
        actor=actor,
    )
    return host, health


def stored_credential(store: Store, ref: str) -> EngineCredential:
    return EngineCredential.from_bytes(store.host_credential(ref))


def check_host(store: Store, settings: Settings, ref: str) -> Host:
    host = store.get_host(ref)
    try:
        health = check(stored_credential(store, host.host_id), settings)
    except UshadowError as exc:
        health = EngineHealth(ERROR, error=f"the stored credential is refused now: {exc.message}")
    return store.update_host_status(
        host.host_id,
        status=health.status,
        version=health.version,
        containers_running=health.containers_running,
        error=health.error,
    )


def remove_host(store: Store, ref: str, *, actor: str | None = None) -> Host:
    return store.remove_host(ref, actor=actor)


def target_kind(store: Store, ref: str) -> str:
    """``"host"`` when ``ref`` names a Docker host, else ``"cluster"`` (whose look-up says if it is neither)."""
    return "host" if store.find_host(ref) is not None else "cluster"
