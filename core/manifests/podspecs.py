"""Container-level pieces of a compiled service: resources and host aliases (pure; probes are in
``core.manifests.probes``, security contexts in ``core.manifests.securitycontexts``).

Each function takes part of a ``ServiceSpec`` and a ``Report`` and returns a manifest fragment;
whatever cannot be mapped lands in the report. See ``core.manifests.compiler`` for the choices made.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from core.compose.model import Resources
from core.manifests.volumes import Report, memory_quantity
from core.naming import is_dns_subdomain
from core.secrets.secretrefs import escape as escape  # where it used to be

Manifest = dict[str, Any]

GPU_RESOURCES = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu", "intel": "gpu.intel.com/i915"}


def cpu_quantity(cores: float) -> str:
    """CPU cores as a millicores quantity: ``0.5`` -> ``"500m"``."""
    return f"{max(1, round(cores * 1000))}m"


def resources(res: Resources, report: Report, defaults: Mapping[str, str] | None = None) -> Manifest:
    """limits (``deploy.resources.limits``, GPUs) and requests (``reservations``; a limit without
    one is also the request, as the API server would default it); ``defaults`` (``x-ushadow``
    ``resources``) are the requests of a resource compose gives neither for."""
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    given = {"cpu": res.cpu_limit or res.cpu_request, "memory": res.memory_limit or res.memory_request}
    assumed = {k: v for k, v in (defaults or {}).items() if not given.get(k)}
    if assumed:
        requests.update(assumed)
        report.warnings.append(
            "compose gives no "
            + " or ".join(assumed)
            + " reservation: requests default to x-ushadow resources ("
            + ", ".join(f"{k} {v}" for k, v in assumed.items())
            + ")"
        )
    if res.cpu_limit:
        limits["cpu"] = cpu_quantity(res.cpu_limit)
    if res.memory_limit:
        limits["memory"] = memory_quantity(res.memory_limit)
    if res.cpu_request:
        if res.cpu_limit and res.cpu_request > res.cpu_limit:
            report.warnings.append("cpu reservation is above the cpu limit: the request is set to the limit")
            requests["cpu"] = limits["cpu"]
        else:
            requests["cpu"] = cpu_quantity(res.cpu_request)
    if res.memory_request:
        if res.memory_limit and res.memory_request > res.memory_limit:
            report.warnings.append(
                "memory reservation is above the memory limit: the request is set to the limit"
            )
            requests["memory"] = limits["memory"]
        else:
            requests["memory"] = memory_quantity(res.memory_request)
    for name in ("cpu", "memory"):  # what the API server does with a limit alone, said out loud
        if name in limits and name not in requests:
            requests[name] = limits[name]
    if res.gpus:
        driver = (res.gpu_driver or "nvidia").lower()
        resource = GPU_RESOURCES.get(driver)
        if resource is None:
            report.warnings.append(f"GPU driver {driver!r} is unknown: requesting nvidia.com/gpu")
            resource = GPU_RESOURCES["nvidia"]
        count = res.gpus
        if count < 0:
            report.warnings.append(f"GPU count 'all' has no Kubernetes equivalent: requesting 1 {resource}")
            count = 1
        limits[resource] = str(count)
    out: Manifest = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def host_aliases(extra_hosts: list[tuple[str, str]], report: Report) -> list[Manifest]:
    """``extra_hosts`` grouped by IP; ``host-gateway`` and invalid entries are reported."""
    groups: dict[str, list[str]] = {}
    for host, ip in extra_hosts:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            report.warnings.append(
                f"extra_hosts {host}:{ip}: {ip!r} is not an IP address (host-gateway has no Kubernetes "
                "equivalent; reach the host through a Service or its node IP)"
            )
            continue
        name = host.lower().rstrip(".")
        if not is_dns_subdomain(name):
            report.warnings.append(f"extra_hosts {host!r} is not a valid host name and was skipped")
            continue
        names = groups.setdefault(ip, [])
        if name not in names:
            names.append(name)
    return [{"ip": ip, "hostnames": names} for ip, names in groups.items()]
