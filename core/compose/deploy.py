"""What a service's ``deploy`` section (and ``scale``, ``cpus``, ``mem_limit``, ``gpus``) asks
for: how many replicas and what resources. Pure.

Swarm-only parts of ``deploy`` (restart and update policies, global mode) have no Deployment
equivalent and are named in the warnings; ``placement`` constraints and preferences are kept for
the compiler (nodeSelector and node affinity).
"""

from __future__ import annotations

from core.compose.model import Resources
from core.compose.raw import RawDevice, RawService, validate
from core.errors import InvalidInput


def replicas(raw: RawService, warnings: list[str]) -> int | None:
    """``scale`` or ``deploy.replicas`` (they must agree); ``None`` when neither is given."""
    count = raw.deploy.replicas if raw.deploy else None
    if raw.scale is not None:
        if count is not None and count != raw.scale:
            raise InvalidInput(f"scale ({raw.scale}) and deploy.replicas ({count}) disagree")
        count = raw.scale
    if count is not None and count < 0:
        raise InvalidInput(f"deploy.replicas: {count} is below zero")
    if raw.deploy:
        if raw.deploy.mode == "global":
            warnings.append("deploy.mode global (one per node) is not supported: a Deployment is made")
        extra = [k for k in ("restart_policy", "update_config", "rollback_config", "endpoint_mode")]
        extra = [k for k in extra if getattr(raw.deploy, k) is not None]
        if extra or raw.deploy.labels:
            warnings.append(f"deploy: {', '.join(extra + (['labels'] if raw.deploy.labels else []))} ignored")
    return count


def placement_constraints(raw: RawService) -> list[str]:
    """``deploy.placement.constraints`` as written (``node.labels.zone == a``)."""
    placement = (raw.deploy.placement if raw.deploy else None) or {}
    found = placement.get("constraints") or []
    if not isinstance(found, list) or not all(isinstance(c, str) for c in found):
        raise InvalidInput("deploy.placement.constraints: expected a list of texts")
    return list(found)


def placement_preferences(raw: RawService) -> list[str]:
    """``deploy.placement.preferences`` as the label each ``spread:`` names."""
    placement = (raw.deploy.placement if raw.deploy else None) or {}
    out: list[str] = []
    for item in placement.get("preferences") or []:
        spread = item.get("spread") if isinstance(item, dict) else None
        if not isinstance(spread, str):
            raise InvalidInput(
                "deploy.placement.preferences: expected entries like {spread: node.labels.zone}"
            )
        out.append(spread)
    return out


def _gpu_count(device: RawDevice, where: str) -> int:
    if device.count is None:
        return len(device.device_ids) if device.device_ids else -1
    if isinstance(device.count, int):
        return device.count
    if device.count.lower() == "all":
        return -1
    try:
        return int(device.count)
    except ValueError:
        raise InvalidInput(f"{where}.count: expected a number or 'all', not {device.count!r}") from None


def resources(raw: RawService, warnings: list[str]) -> Resources:
    """CPU, memory and GPUs: ``deploy.resources`` first, then the service-level keys."""
    limits = raw.deploy.resources.limits if raw.deploy and raw.deploy.resources else None
    reservations = raw.deploy.resources.reservations if raw.deploy and raw.deploy.resources else None
    gpus: int | None = None
    driver: str | None = None
    for kind, resource in (("limits", limits), ("reservations", reservations)):
        if resource is None:
            continue
        if resource.pids is not None or resource.generic_resources:
            warnings.append(f"deploy.resources.{kind}: pids and generic_resources are ignored")
        for index, device in enumerate(resource.devices or []):
            where = f"deploy.resources.{kind}.devices[{index}]"
            if "gpu" not in device.capabilities:
                warnings.append(f"{where}: only GPU devices are supported; {device.capabilities} ignored")
                continue
            gpus, driver = _gpu_count(device, where), device.driver or driver
    if isinstance(raw.gpus, str):
        gpus = -1
    elif raw.gpus:
        devices = [validate(RawDevice, d, f"gpus[{i}]") for i, d in enumerate(raw.gpus)]
        gpus = sum(_gpu_count(d, "gpus") for d in devices) if all(d.count != "all" for d in devices) else -1
    return Resources(
        cpu_limit=limits.cpus if limits and limits.cpus is not None else raw.cpus,
        memory_limit=limits.memory if limits and limits.memory is not None else raw.mem_limit,
        cpu_request=reservations.cpus if reservations else None,
        memory_request=reservations.memory
        if reservations and reservations.memory is not None
        else raw.mem_reservation,
        gpus=gpus,
        gpu_driver=driver,
    )
