"""Day-2 on a Docker host: status, logs, restart, scale, undeploy and exec of a deployed compose
service, found by compose's project and service labels (``SERVICE`` is the compose service name or
its ``SERVICE_ID``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker

from core.deploy.hostapply import apply_plan, remove_secrets
from core.deploy.hostdeploy import CONFIG_FILES, HASH, PROJECT, SERVICE, SERVICE_ID
from core.deploy.hostscaling import latest_applied, plan_from_record
from core.deploy.hostsecrets import MOUNT
from core.errors import InvalidInput, NotFound
from core.hosts.engines import engine
from core.hosts.registering import stored_credential
from core.settings import Settings
from core.store.store import Store


@contextmanager
def host_engine(store: Store, settings: Settings, ref: str) -> Iterator[tuple[Any, docker.DockerClient]]:
    host = store.get_host(ref)
    with engine(
        stored_credential(store, host.host_id), settings, timeout=max(settings.request_timeout, 30)
    ) as c:
        yield host, c


def _deployed(client: docker.DockerClient, service: str | None) -> list[Any]:
    """Containers ushadow deployed (they carry a service id), of one service or all."""
    found = client.containers.list(all=True, filters={"label": [SERVICE_ID]})
    if service is not None:
        found = [c for c in found if service in (c.labels.get(SERVICE), c.labels.get(SERVICE_ID))]
        if not found:
            raise NotFound(
                f"no deployed service {service!r} on this host", hint="`ushadow-ops status HOST` lists them"
            )
    return sorted(found, key=lambda c: c.name)


def _row(container: Any) -> dict[str, Any]:
    state = container.attrs.get("State") or {}
    return {
        "container": container.name,
        "project": container.labels.get(PROJECT),
        "service": container.labels.get(SERVICE),
        "service_id": container.labels.get(SERVICE_ID),
        "image": (container.attrs.get("Config") or {}).get("Image"),
        "state": state.get("Status"),
        "health": (state.get("Health") or {}).get("Status") or None,
    }


def status(store: Store, settings: Settings, ref: str, service: str | None) -> list[dict[str, Any]]:
    with host_engine(store, settings, ref) as (_, client):
        return [_row(c) for c in _deployed(client, service)]


def logs(store: Store, settings: Settings, ref: str, service: str, *, tail: int) -> list[dict[str, Any]]:
    with host_engine(store, settings, ref) as (_, client):
        return [
            {"container": c.name, "text": c.logs(tail=tail).decode("utf-8", errors="replace")}
            for c in _deployed(client, service)
        ]


def restart(store: Store, settings: Settings, ref: str, service: str) -> list[dict[str, Any]]:
    with host_engine(store, settings, ref) as (_, client):
        found = _deployed(client, service)
        for c in found:
            c.restart(timeout=10)
            c.reload()
        return [_row(c) for c in found]


def exec_in(
    store: Store, settings: Settings, ref: str, service: str, command: Sequence[str]
) -> tuple[int, bytes]:
    if not command:
        raise InvalidInput("give the command after --", hint="e.g. exec HOST web -- cat /etc/hostname")
    with host_engine(store, settings, ref) as (_, client):
        running = [c for c in _deployed(client, service) if c.status == "running"]
        if not running:
            raise NotFound(f"no running container of {service!r}")
        result = running[0].exec_run(list(command))
        return int(result.exit_code or 0), bytes(result.output or b"")


def undeploy(
    store: Store, settings: Settings, ref: str, service: str, *, delete_volumes: bool
) -> list[dict[str, str]]:
    """Remove the service's containers; its named volumes stay unless asked (and the network
    goes when nothing else of the project uses it)."""
    changes: list[dict[str, str]] = []
    with host_engine(store, settings, ref) as (host, client):
        found = _deployed(client, service)
        project = found[0].labels.get(PROJECT)
        volumes = sorted(
            {
                m["Name"]
                for c in found
                for m in c.attrs.get("Mounts") or []
                if m.get("Type") == "volume" and m.get("Destination") != MOUNT
            }
        )
        networks = sorted(
            {n for c in found for n in (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}}
        )
        for c in found:
            c.remove(force=True)
            changes.append({"kind": "container", "name": c.name, "action": "removed"})
        for project_service in sorted({(c.labels.get(PROJECT), c.labels.get(SERVICE)) for c in found}):
            changes += remove_secrets(client, str(project_service[0]), str(project_service[1]))
        for name in volumes:
            if delete_volumes:
                client.volumes.get(name).remove()
                changes.append({"kind": "volume", "name": name, "action": "removed"})
            else:
                changes.append({"kind": "volume", "name": name, "action": "kept"})
        if not client.containers.list(all=True, filters={"label": [f"{PROJECT}={project}"]}):
            for net in networks:
                if net.startswith(f"{project}_"):
                    client.networks.get(net).remove()
                    changes.append({"kind": "network", "name": net, "action": "removed"})
        store.audit("host.undeploy", host.name, {"service": service, "changes": changes})
    return changes


def scale(
    store: Store,
    settings: Settings,
    ref: str,
    service: str,
    replicas: int,
    *,
    dirs: list[Path],
    actor: str | None = None,
) -> dict[str, Any]:
    """As compose scales: containers ``-1`` .. ``-N`` of the configuration that runs (read back
    from its deployment record: nothing is rendered again, so no variable is asked again).
    ``dirs`` is unused (kept for callers); the record holds what is needed."""
    if replicas < 0:
        raise InvalidInput("replicas must be 0 or more")
    with host_engine(store, settings, ref) as (host, client):
        found = client.containers.list(all=True, filters={"label": [SERVICE_ID]})
        found = [c for c in found if service in (c.labels.get(SERVICE), c.labels.get(SERVICE_ID))]
    running_hash = found[0].labels.get(HASH) if found else None
    config_file = str(found[0].labels.get(CONFIG_FILES) or "") if found else ""
    record = latest_applied(store.list_deployments(host.host_id), service, running_hash)
    plan = plan_from_record(record, replicas, config_file=config_file)
    return apply_plan(store, settings, host, plan, actor=actor)
