"""Deploying a registry service to a Docker host the way ``docker compose up`` does.

The compose project's network (``<project>_default``), the service's named volumes
(``<project>_<volume>``) and its containers (``<project>-<service>-<n>``) carry the labels compose
itself reads (``com.docker.compose.project``/``service``/``container-number``/``oneoff``/
``config-hash``, ``network``, ``volume``), so ``docker compose -p <project> ps`` lists them. The
environment is wired from the host's latest scan (a match's ``container-name:port``) like a
cluster deploy. Idempotent: a container whose config hash is unchanged is left; a changed one is
recreated and the fields that changed are said. A dry run lists what would change.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.compose.loading import load_project
from core.compose.model import ServiceSpec
from core.compose.registry import RegistryEntry
from core.deploy.envwiring import EnvRow, environment_for, overrides, require_complete
from core.deploy.hostsecrets import MOUNT, split_secrets, volume_name, wrapped
from core.deploy.plans import form_rows
from core.errors import InvalidInput, RolloutFailed
from core.secrets.masking import distinctive
from core.store.scans import ScanResult

PROJECT, SERVICE = "com.docker.compose.project", "com.docker.compose.service"
NUMBER, ONEOFF, HASH = (
    "com.docker.compose.container-number",
    "com.docker.compose.oneoff",
    "com.docker.compose.config-hash",
)
FIELDS = "io.ushadow.config-fields"  # field -> short hash, to say what changed
SERVICE_ID = "io.ushadow.service-id"
CONFIG_FILES = "com.docker.compose.project.config_files"


def project_name(name: str) -> str:
    """Compose's project-name rule: lowercase letters, digits, '-' and '_', starting alnum."""
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("-_")
    if not cleaned:
        raise InvalidInput(f"{name!r} gives no valid compose project name")
    return cleaned


@dataclass(frozen=True)
class HostPlan:
    entry: RegistryEntry
    project: str
    service: str
    spec: ServiceSpec
    rows: list[EnvRow]
    scan_id: str | None
    config: dict[str, Any] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    network: str = ""
    infra_networks: list[str] = field(default_factory=list)  # where the wired infrastructure lives
    replica_count: int | None = None
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # never stored: see hostsecrets
    sealed: bool = False  # the secrets are in the host's volume already (scale): mounted, not written

    @property
    def has_secrets(self) -> bool:
        return bool(self.secrets) or self.sealed

    @property
    def replicas(self) -> int:
        if self.replica_count is not None:
            return self.replica_count
        return self.spec.replicas if self.spec.replicas is not None else 1

    def container_name(self, number: int) -> str:
        return f"{self.project}-{self.service}-{number}"

    def fields(self) -> dict[str, str]:
        return {
            k: hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:12]
            for k, v in self.config.items()
        }

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()


def _nanos(seconds: float | None) -> int | None:
    return int(seconds * 1e9) if seconds is not None else None


def _healthcheck(spec: ServiceSpec) -> dict[str, Any] | None:
    hc = spec.healthcheck
    if hc is None or hc.disable or not hc.test:
        return None
    out: dict[str, Any] = {"test": list(hc.test)}
    for key, value in (
        ("interval", hc.interval),
        ("timeout", hc.timeout),
        ("start_period", hc.start_period),
    ):
        if value is not None:
            out[key] = _nanos(value)
    if hc.retries is not None:
        out["retries"] = hc.retries
    return out


def plan_host_deploy(
    entry: RegistryEntry,
    *,
    scan: ScanResult | None,
    typed: Mapping[str, str] | None = None,
    digest: Callable[[bytes], str] | None = None,
) -> HostPlan:
    """Wire the environment from the scan and build the containers' config (no engine call).

    The secret variables stay out of ``config`` (it is written into labels and the engine's
    config): it holds their names and ``digest`` (a keyed hash) of their values, to see a change.
    """
    assert entry.spec is not None
    rows = form_rows(entry, namespace="", scan=scan, typed=typed)
    require_complete(rows)
    project_model = load_project(entry.file, env=overrides(rows), environ={}, strict=False)
    spec = project_model.services.get(entry.service)
    if spec is None:
        raise InvalidInput(f"{entry.service_id} cannot be deployed: it is no longer in the file")
    spec = replace(spec, environment=environment_for(spec, rows))
    if not spec.image:
        raise InvalidInput(f"{entry.service_id} has no image (build-only services cannot run on a host)")
    project = project_name(project_model.name)
    volumes: list[str] = []
    mounts: list[dict[str, Any]] = []
    for v in spec.volumes:
        if v.type == "volume" and v.source:
            volumes.append(v.source)
            mounts.append({"volume": f"{project}_{v.source}", "target": v.target, "read_only": v.read_only})
        elif v.type == "tmpfs":
            mounts.append({"tmpfs": v.target})
        else:
            raise InvalidInput(f"{entry.service_id}: {v.type} mounts are not deployed to Docker hosts yet")
    infra_networks = sorted(
        {n for r in rows if r.match is not None for n in r.match.extra.get("networks") or {}}
        - {f"{project}_default"}
    )
    plain, secrets = split_secrets(spec.environment)
    if secrets and digest is None:
        raise InvalidInput(f"{entry.service_id} has secret values and no key to digest them")
    _refuse_written_secrets(entry.service_id, spec, secrets)
    sealed = json.dumps(sorted(secrets.items())).encode()
    config: dict[str, Any] = {
        "image": spec.image,
        "command": spec.command,
        "entrypoint": spec.entrypoint,
        "environment": dict(sorted(plain.items())),
        "secrets": {"names": sorted(secrets), "digest": digest(sealed)} if secrets and digest else None,
        "ports": [
            {"target": p.target, "published": p.published, "host_ip": p.host_ip, "protocol": p.protocol}
            for p in spec.ports
            if not p.exposed_only
        ],
        "mounts": mounts,
        "healthcheck": _healthcheck(spec),
        "networks": infra_networks,
        "labels": dict(sorted(spec.labels.items())),
        "restart": spec.restart,
        "user": spec.user,
        "working_dir": spec.working_dir,
    }
    return HostPlan(
        entry,
        project,
        spec.name,
        spec,
        rows,
        scan.scan_id if scan else None,
        config,
        volumes,
        f"{project}_default",
        infra_networks,
        secrets=secrets,
    )


def _refuse_written_secrets(service_id: str, spec: ServiceSpec, secrets: Mapping[str, str]) -> None:
    """A secret value written into the command, entrypoint, healthcheck or labels would be stored in
    the container's config in plain text: refused, saying how to read it from the environment."""
    hc = spec.healthcheck
    fields = {
        "command": spec.command or [],
        "entrypoint": spec.entrypoint or [],
        "healthcheck": list(hc.test or []) if hc is not None else [],
        "labels": [f"{k}={v}" for k, v in spec.labels.items()],
    }
    for name, value in sorted(secrets.items()):
        if not distinctive(value):
            continue
        for where, parts in fields.items():
            if any(value in part for part in parts):
                raise InvalidInput(
                    f"{service_id}: the value of secret variable {name} is written into its {where}; "
                    "on a Docker host that is stored in the container's config in plain text",
                    hint=f"read it from the environment instead (in a shell command: $${name})",
                )


def create_kwargs(
    plan: HostPlan, number: int, image_config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Arguments of ``containers.create`` for container ``number`` (``image_config``: the image's
    ``Config``, for the secrets wrapper to run what the image would)."""
    from docker.types import EndpointConfig, Healthcheck, Mount

    c = plan.config
    labels = {
        **c["labels"],
        PROJECT: plan.project,
        SERVICE: plan.service,
        NUMBER: str(number),
        ONEOFF: "False",
        HASH: plan.config_hash(),
        FIELDS: json.dumps(plan.fields(), sort_keys=True),
        SERVICE_ID: plan.entry.service_id,
        CONFIG_FILES: str(plan.entry.file),
    }
    mounts = [
        Mount(m["target"], m["volume"], type="volume", read_only=m["read_only"])
        if "volume" in m
        else Mount(m["tmpfs"], None, type="tmpfs")
        for m in c["mounts"]
    ]
    entrypoint, command = c["entrypoint"], c["command"]
    if plan.has_secrets:
        mounts.append(Mount(MOUNT, volume_name(plan.project, plan.service), type="volume", read_only=True))
        entrypoint, command = wrapped(entrypoint, command, image_config or {})
    ports = {
        f"{p['target']}/{p['protocol']}": (p["host_ip"] or "0.0.0.0", int(p["published"]))
        for p in c["ports"]
        if p["published"]
    }
    kwargs: dict[str, Any] = {
        "image": c["image"],
        "name": plan.container_name(number),
        "command": command,
        "entrypoint": entrypoint,
        "environment": c["environment"],
        "labels": labels,
        "mounts": mounts,
        "ports": ports,
        "user": c["user"],
        "working_dir": c["working_dir"],
        "hostname": None,
        "detach": True,
        "network": plan.network,  # as compose: on the project's network only, the service its alias
        "networking_config": {plan.network: EndpointConfig("1.41", aliases=[plan.service])},
    }
    if c["healthcheck"]:
        kwargs["healthcheck"] = Healthcheck(**c["healthcheck"])
    if c["restart"] and c["restart"] != "no":
        kwargs["restart_policy"] = {"Name": c["restart"].split(":")[0]}
    return {k: v for k, v in kwargs.items() if v is not None}


def changed_fields(plan: HostPlan, labels: Mapping[str, str]) -> list[str]:
    """What differs between the plan and a container made earlier (by its labels)."""
    if labels.get(HASH) == plan.config_hash():
        return []
    try:
        before = json.loads(labels.get(FIELDS) or "{}")
    except ValueError:
        before = {}
    now = plan.fields()
    return sorted(k for k in now.keys() | before.keys() if now.get(k) != before.get(k)) or ["config-hash"]


NO_RESULT = "no healthcheck result yet"
NO_HEALTHCHECKS = (
    "the engine may not run healthchecks: podman without systemd has no timers to run them; "
    "run one by hand (`podman healthcheck run {name}`) or run podman with systemd"
)


def health_reason(attrs: Mapping[str, Any]) -> str:
    """The last healthcheck output of an inspected container, for a 'not healthy' message."""
    state = attrs.get("State") or {}
    health = state.get("Health") or state.get("Healthcheck") or {}
    log = health.get("Log") or []
    if log:
        last = log[-1]
        return f"healthcheck exit {last.get('ExitCode')}: {str(last.get('Output') or '').strip()[:300]}"
    if state.get("Status") != "running":
        return f"container is {state.get('Status')} (exit {state.get('ExitCode')}): {state.get('Error') or ''}".strip()
    return NO_RESULT


def wait_healthy(get_attrs: Any, name: str, timeout: float) -> str:
    """Poll ``get_attrs()`` until healthy (or running, with no healthcheck); the final state."""
    deadline = time.monotonic() + timeout
    while True:
        attrs = get_attrs()
        state = attrs.get("State") or {}
        health = (state.get("Health") or {}).get("Status") or None  # podman: "" without one
        if health == "healthy" or (health is None and state.get("Running")):
            return health or "running"
        if health == "unhealthy" or state.get("Status") in ("exited", "dead"):
            raise RolloutFailed(f"{name} is not healthy: {health_reason(attrs)}")
        if time.monotonic() > deadline:
            reason = health_reason(attrs)
            raise RolloutFailed(
                f"{name} did not become healthy within {timeout:.0f}s: {reason}",
                hint=NO_HEALTHCHECKS.format(name=name) if reason == NO_RESULT else None,
            )
        time.sleep(0.5)
