"""Scaling a service deployed to a Docker host: more or fewer containers of the configuration that
is running, read back from its deployment record (no compose file is rendered again, so no
variable has to be given again; secret values stay in the host's volume, see hostsecrets)."""

from __future__ import annotations

from typing import Any

import yaml

from core.compose.model import ServiceSpec
from core.compose.registry import RegistryEntry
from core.deploy.hostdeploy import HostPlan
from core.errors import NotFound
from core.store.records import Deployment

APPLIED = ("applied", "ready", "unchanged")


def deployed_config(record: Deployment) -> dict[str, Any]:
    """The containers' config a host deployment record holds (see ``hostapply._record``)."""
    docs = list(yaml.safe_load_all(record.manifests or ""))
    doc = next((d for d in docs if isinstance(d, dict) and d.get("kind") == "ComposeService"), None)
    if doc is None:
        raise NotFound(
            f"the deployment record of {record.service_id} holds no container configuration",
            hint=f"deploy it again: `ushadow-ops deploy HOST {record.service_id}`",
        )
    return {k: v for k, v in doc.items() if k not in ("kind", "name", "replicas")}


def latest_applied(records: list[Deployment], service: str, config_hash: str | None) -> Deployment:
    """The newest record of ``service`` that was applied (the one whose config the running
    containers carry, when ``config_hash`` is known)."""
    applied = [
        r for r in records if not r.dry_run and r.status in APPLIED and service in (r.name, r.service_id)
    ]
    if config_hash is not None:
        for record in applied:
            if plan_from_record(record, 1).config_hash() == config_hash:
                return record
    if not applied:
        raise NotFound(
            f"no deployed service {service!r} on this host", hint="`ushadow-ops status HOST` lists them"
        )
    return applied[0]


def plan_from_record(record: Deployment, replicas: int, *, config_file: str = "") -> HostPlan:
    """A plan that makes ``replicas`` containers of the recorded configuration."""
    config = deployed_config(record)
    project = record.namespace
    entry = RegistryEntry(record.service_id, config_file, record.name, None)
    volumes = [
        str(m["volume"]).removeprefix(f"{project}_")
        for m in config.get("mounts") or []
        if isinstance(m, dict) and "volume" in m
    ]
    return HostPlan(
        entry,
        project,
        record.name,
        ServiceSpec(name=record.name, image=config.get("image")),
        [],
        None,
        config,
        volumes,
        f"{project}_default",
        list(config.get("networks") or []),
        replica_count=replicas,
        sealed=config.get("secrets") is not None,
    )
