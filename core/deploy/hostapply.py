"""Applying a :class:`~core.deploy.hostdeploy.HostPlan` to a stored Docker host, and recording it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker.errors
from docker.types import Mount

from core.deploy.hostdeploy import (
    PROJECT,
    SERVICE,
    HostPlan,
    changed_fields,
    create_kwargs,
    plan_host_deploy,
    wait_healthy,
)
from core.deploy.hostnetworks import reachable_scan
from core.deploy.hostsecrets import (
    KEEPER,
    MOUNT,
    SECRETS_OF,
    env_archive,
    keeper_name,
    volume_name,
    volume_options,
)
from core.deploy.plans import load_entry
from core.errors import InvalidInput, NotFound, UshadowError
from core.hosts.engines import engine
from core.hosts.registering import stored_credential
from core.manifests.yamldocs import to_yaml
from core.secrets.masking import distinctive, scrub_error
from core.settings import Settings
from core.store.crypto import Cipher
from core.store.store import Store


def latest_host_scan(store: Store, host_id: str) -> Any:
    scans = store.list_scans(host_id, limit=1)
    return scans[0] if scans else None


def _ensure_network(
    client: docker.DockerClient, plan: HostPlan, changes: list[dict[str, str]], dry: bool
) -> None:
    if client.networks.list(names=[plan.network]):
        return
    changes.append({"kind": "network", "name": plan.network, "action": "create"})
    if not dry:
        labels = {PROJECT: plan.project, "com.docker.compose.network": "default"}
        client.networks.create(plan.network, labels=labels)


def _ensure_volumes(
    client: docker.DockerClient, plan: HostPlan, changes: list[dict[str, str]], dry: bool
) -> None:
    for volume in plan.volumes:
        name = f"{plan.project}_{volume}"
        try:
            client.volumes.get(name)
        except docker.errors.NotFound:
            changes.append({"kind": "volume", "name": name, "action": "create"})
            if not dry:
                client.volumes.create(
                    name, labels={PROJECT: plan.project, "com.docker.compose.volume": volume}
                )


def _ensure_secrets(
    client: docker.DockerClient, plan: HostPlan, changes: list[dict[str, str]], dry: bool
) -> None:
    """The in-memory volume, its keeper, and the values written into it (see hostsecrets)."""
    volume, keeper = volume_name(plan.project, plan.service), keeper_name(plan.project, plan.service)
    if plan.sealed:
        _require_sealed(client, plan, volume, keeper)
    if not plan.secrets:
        return
    labels = {SECRETS_OF: f"{plan.project}/{plan.service}"}
    try:
        client.volumes.get(volume)
    except docker.errors.NotFound:
        changes.append({"kind": "volume", "name": volume, "action": "create", "reason": "in memory"})
        if not dry:
            client.volumes.create(volume, driver="local", driver_opts=volume_options(), labels=labels)
    try:
        holder = client.containers.get(keeper)
        if holder.attrs["Config"]["Image"] != plan.config["image"] or holder.status != "running":
            holder.remove(force=True)
            holder = None
    except docker.errors.NotFound:
        holder = None
    if holder is None:
        changes.append(
            {"kind": "container", "name": keeper, "action": "create", "reason": "holds the secrets"}
        )
    if dry:
        return
    if holder is None:
        holder = client.containers.run(
            plan.config["image"],
            ["-c", KEEPER],
            entrypoint=["/bin/sh"],
            name=keeper,
            labels=labels,
            detach=True,
            restart_policy={"Name": "unless-stopped"},
            mounts=[Mount(MOUNT, volume, type="volume")],
        )
    holder.put_archive(MOUNT, env_archive(plan.secrets))


def _require_sealed(client: docker.DockerClient, plan: HostPlan, volume: str, keeper: str) -> None:
    """Scaling reuses the values in the host's volume: its keeper must still be holding them."""
    try:
        client.volumes.get(volume)
        running = client.containers.get(keeper).status == "running"
    except docker.errors.NotFound:
        running = False
    if not running:
        raise InvalidInput(
            f"the secret values of {plan.entry.service_id} are no longer on the host ({keeper} is gone)",
            hint=f"deploy it again with its values: `ushadow-ops deploy HOST {plan.entry.service_id} --env NAME=...`",
        )


def remove_secrets(client: docker.DockerClient, project: str, service: str) -> list[dict[str, str]]:
    """The keeper and its volume (undeploy): nothing there outlives the service."""
    gone: list[dict[str, str]] = []
    for kind, name, getter in (
        ("container", keeper_name(project, service), client.containers.get),
        ("volume", volume_name(project, service), client.volumes.get),
    ):
        try:
            found = getter(name)
        except docker.errors.NotFound:
            continue
        found.remove(force=True)
        gone.append({"kind": kind, "name": name, "action": "removed"})
    return gone


def service_containers(client: docker.DockerClient, project: str, service: str) -> list[Any]:
    filters = {"label": [f"{PROJECT}={project}", f"{SERVICE}={service}"]}
    return sorted(client.containers.list(all=True, filters=filters), key=lambda c: c.name)


def _require_image(client: docker.DockerClient, plan: HostPlan, host_name: str) -> None:
    """The image must be on the host already (nothing is pulled): said before anything is made."""
    image = str(plan.config["image"])
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise NotFound(
            f"image {image} is not on Docker host {host_name}: nothing was created",
            hint=f"get it there first: `docker pull {image}` on the host (or `docker save {image}` "
            "where it is and `docker load -i FILE` on the host), then deploy again",
        ) from None


def _apply(
    client: docker.DockerClient, plan: HostPlan, dry: bool, host_name: str = ""
) -> list[dict[str, str]]:
    changes: list[dict[str, str]] = []
    _require_image(client, plan, host_name or "this host")
    try:
        return _apply_all(client, plan, dry, changes)
    except Exception:
        _drop_unused_network(client, plan, changes, dry)
        raise


def _drop_unused_network(
    client: docker.DockerClient, plan: HostPlan, changes: list[dict[str, str]], dry: bool
) -> None:
    """A failed deploy leaves no network it made for nothing (best effort: the failure is what counts)."""
    made = {"kind": "network", "name": plan.network, "action": "create"}
    if dry or made not in changes:
        return
    try:
        if not client.containers.list(all=True, filters={"label": [f"{PROJECT}={plan.project}"]}):
            for network in client.networks.list(names=[plan.network]):
                network.remove()
            changes.remove(made)
    except docker.errors.DockerException:
        pass


def _apply_all(
    client: docker.DockerClient, plan: HostPlan, dry: bool, changes: list[dict[str, str]]
) -> list[dict[str, str]]:
    _ensure_network(client, plan, changes, dry)
    _ensure_volumes(client, plan, changes, dry)
    _ensure_secrets(client, plan, changes, dry)
    image_config = (
        client.images.get(plan.config["image"]).attrs.get("Config") or {} if plan.has_secrets else {}
    )
    existing = {c.name: c for c in service_containers(client, plan.project, plan.service)}
    for number in range(1, plan.replicas + 1):
        name = plan.container_name(number)
        old = existing.pop(name, None)
        if old is not None:
            changed = changed_fields(plan, old.labels)
            if not changed:
                changes.append({"kind": "container", "name": name, "action": "unchanged"})
                if old.status != "running" and not dry:
                    old.start()
                continue
            changes.append(
                {
                    "kind": "container",
                    "name": name,
                    "action": "recreate",
                    "reason": "changed: " + ", ".join(changed),
                }
            )
            if not dry:
                old.remove(force=True)
        else:
            changes.append({"kind": "container", "name": name, "action": "create"})
        if not dry:
            container = client.containers.create(**create_kwargs(plan, number, image_config))
            container.reload()
            joined = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
            for network in plan.infra_networks:  # so the scan's container-name:port endpoints resolve
                if network not in joined:
                    client.networks.get(network).connect(container, aliases=[plan.service])
            container.start()
    for name, extra in existing.items():  # more replicas than asked: removed, as compose scales down
        changes.append(
            {"kind": "container", "name": name, "action": "remove", "reason": "above the replica count"}
        )
        if not dry:
            extra.remove(force=True)
    return changes


def deploy_to_host(
    store: Store,
    settings: Settings,
    host_ref: str,
    service_id: str,
    *,
    dirs: list[Path],
    typed: Mapping[str, str] | None = None,
    dry_run: bool = False,
    wait: bool = False,
    timeout: float = 120,
    replicas: int | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Deploy ``service_id`` to a stored Docker host and record it (a failure too, then raised)."""
    host = store.get_host(host_ref)
    entry = load_entry(dirs, service_id)
    scan = latest_host_scan(store, host.host_id)
    with engine(
        stored_credential(store, host.host_id), settings, timeout=max(settings.request_timeout, 60)
    ) as client:
        scan = reachable_scan(client, scan)  # an address where the network resolves no names
    plan = plan_host_deploy(entry, scan=scan, typed=typed, digest=Cipher.from_settings(settings).digest)
    if replicas is not None:
        plan = replace(plan, replica_count=replicas)
    return apply_plan(store, settings, host, plan, dry_run=dry_run, wait=wait, timeout=timeout, actor=actor)


def apply_plan(
    store: Store,
    settings: Settings,
    host: Any,
    plan: HostPlan,
    *,
    dry_run: bool = False,
    wait: bool = False,
    timeout: float = 120,
    actor: str | None = None,
) -> dict[str, Any]:
    """Apply ``plan`` to ``host`` and record it (a failure too, then raised)."""
    health: dict[str, str] = {}
    hidden = {v for v in plan.secrets.values() if distinctive(v)}
    hidden |= {r.value for r in plan.rows if r.sensitive and r.value and distinctive(r.value)}
    changes: list[dict[str, str]] = []
    try:
        with engine(
            stored_credential(store, host.host_id), settings, timeout=max(settings.request_timeout, 60)
        ) as client:
            changes = _apply(client, plan, dry_run, host.name)
            if wait and not dry_run:
                for number in range(1, plan.replicas + 1):
                    name = plan.container_name(number)
                    health[name] = wait_healthy(lambda n=name: client.api.inspect_container(n), name, timeout)
    except UshadowError as exc:
        scrub_error(exc, hidden)  # an engine's message may quote what it was sent
        _record(store, plan, host.host_id, changes, "failed", exc.message, dry_run, actor)
        raise
    environment = [
        {
            "name": r.name,
            "value": r.shown_value(),
            "source": r.source,
            "match": r.match.service if r.match is not None else None,
            "note": r.note,
        }
        for r in plan.rows
    ]
    data = {
        "host": host.name,
        "host_id": host.host_id,
        "service_id": plan.entry.service_id,
        "project": plan.project,
        "service": plan.service,
        "scan_id": plan.scan_id,
        "dry_run": dry_run,
        "changes": changes,
        "environment": environment,
        "health": health,
        "status": "unchanged" if all(c["action"] == "unchanged" for c in changes) else "applied",
    }
    recorded = (
        "dry-run"
        if dry_run
        else data["status"]
        if data["status"] == "unchanged"
        else "ready"
        if wait
        else "applied"
    )
    data["deployment_id"] = _record(store, plan, host.host_id, changes, recorded, None, dry_run, actor)
    return data


def _record(
    store: Store,
    plan: HostPlan,
    host_id: str,
    changes: list[dict[str, str]],
    status: str,
    message: str | None,
    dry_run: bool,
    actor: str | None,
) -> str:
    """The deployments table's record: the compose project as the namespace, the containers'
    config (no secret value is in it: see hostsecrets) as the manifests."""
    record = store.record_deployment(
        cluster_id=host_id,
        namespace=plan.project,
        service_id=plan.entry.service_id,
        name=plan.service,
        manifests=to_yaml(
            [{"kind": "ComposeService", "name": plan.service, "replicas": plan.replicas, **plan.config}]
        ),
        resources=changes,
        status=status,
        message=message,
        dry_run=dry_run,
        actor=actor,
    )
    return record.deployment_id
