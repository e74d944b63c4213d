"""A Docker host's part of the fleet view: one bounded read of the containers ushadow deployed
(found by their service-id label), grouped by compose project and service. Calls out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.deploy.hostdeploy import PROJECT, SERVICE, SERVICE_ID
from core.hosts.engines import EngineCredential, engine
from core.operate.fleetview import Live
from core.settings import Settings


def _problem(container: Any) -> str | None:
    """Why a container does not count as ready: not running (and how it ended), or unhealthy."""
    state = container.attrs.get("State") or {}
    status = str(state.get("Status") or "unknown")
    if status != "running":
        code = state.get("ExitCode")
        return f"{status} (exit {code})" if status == "exited" and code is not None else status
    health = (state.get("Health") or {}).get("Status")
    return str(health) if health in ("unhealthy", "starting") else None


def host_live(containers: Sequence[Any]) -> dict[tuple[str, str], Live]:
    """(compose project, service) -> ready (running, not unhealthy) of its containers, their images
    and the first problem."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for c in containers:
        key = (str(c.labels.get(PROJECT)), str(c.labels.get(SERVICE)))
        groups.setdefault(key, []).append(c)
    out: dict[tuple[str, str], Live] = {}
    for key, found in groups.items():
        problems = [p for p in (_problem(c) for c in sorted(found, key=lambda c: c.name)) if p]
        images = tuple(sorted({str((c.attrs.get("Config") or {}).get("Image")) for c in found}))
        out[key] = Live(len(found) - len(problems), len(found), images, problems[0] if problems else None)
    return out


def read_host(credential: bytes, settings: Settings, projects: Sequence[str]) -> dict[tuple[str, str], Live]:
    """The deployed services of ``projects`` on one host (one list call, within the request timeout)."""
    with engine(
        EngineCredential.from_bytes(credential), settings, timeout=settings.request_timeout
    ) as client:
        found = client.containers.list(all=True, filters={"label": [SERVICE_ID]})
    return {k: v for k, v in host_live(found).items() if k[0] in projects}
