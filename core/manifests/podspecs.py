"""Container-level pieces of a compiled service: probes, resources, security, host aliases (pure).

Each function takes part of a ``ServiceSpec`` and a ``Report`` and returns a manifest fragment;
whatever cannot be mapped lands in the report. See ``core.manifests.compiler`` for the choices made.
"""

from __future__ import annotations

import copy
import ipaddress
import math
from typing import Any

from core.compose.model import Healthcheck, Resources
from core.manifests.volumes import Report, memory_quantity
from core.naming import is_dns_subdomain
from core.secrets.secretrefs import Refs, exec_probe
from core.secrets.secretrefs import escape as escape  # where it used to be

Manifest = dict[str, Any]

# compose healthcheck defaults (compose specification)
HC_INTERVAL, HC_TIMEOUT, HC_RETRIES, HC_START_INTERVAL = 30.0, 30.0, 3, 5.0
GPU_RESOURCES = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu", "intel": "gpu.intel.com/i915"}
TCP_PROBE = {"periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}


def cpu_quantity(cores: float) -> str:
    """CPU cores as a millicores quantity: ``0.5`` -> ``"500m"``."""
    return f"{max(1, round(cores * 1000))}m"


def probe_command(
    hc: Healthcheck, refs: Refs | None = None, used: set[str] | None = None
) -> list[str] | None:
    """The exec command of a healthcheck: ``CMD`` as is, ``CMD-SHELL`` (or a bare string) via ``sh -c``.

    Secret values (``refs``: value -> the container variable holding it) are read from the
    environment through the shell instead (``core.secrets.secretrefs.exec_probe``); their variables are
    added to ``used``.
    """
    if not hc.test:
        return None
    head, rest = hc.test[0].upper(), [str(a) for a in hc.test[1:]]
    if head == "CMD":
        command = rest or None
    else:
        script = " ".join(rest if head == "CMD-SHELL" else hc.test).strip()
        command = ["sh", "-c", script] if script else None
    if command is None or not refs:
        return command
    return exec_probe(command, refs, used if used is not None else set())


def _seconds(value: float | None, default: float) -> int:
    """Whole seconds, at least 1; ``0`` means the default, as it does to Docker."""
    return max(1, math.ceil(value or default))


def probes(
    hc: Healthcheck | None,
    ports: list[Manifest],
    *,
    liveness: bool,
    report: Report,
    refs: Refs | None = None,
    used: set[str] | None = None,
) -> Manifest:
    """readiness/liveness/startup probes for the container (see ``core.manifests.compiler`` for why);
    ``refs`` and ``used`` as for :func:`probe_command`."""
    if hc is not None and (hc.disable or (hc.test and hc.test[0].upper() == "NONE")):
        return {}
    command = probe_command(hc, refs, used) if hc is not None else None
    if hc is not None and command is None:
        if hc.test:
            report.warnings.append(f"healthcheck test {hc.test!r} has no command and was skipped")
        else:
            report.notes.append("healthcheck has no test (the image's own HEALTHCHECK is unknown here)")
    if hc is None or command is None:
        tcp = [p for p in ports if p["protocol"] == "TCP"]
        if not tcp:
            return {}
        return {"readinessProbe": {"tcpSocket": {"port": tcp[0]["containerPort"]}, **TCP_PROBE}}
    period = _seconds(hc.interval, HC_INTERVAL)
    base: Manifest = {
        "exec": {"command": command},
        "periodSeconds": period,
        "timeoutSeconds": _seconds(hc.timeout, HC_TIMEOUT),
        "failureThreshold": hc.retries or HC_RETRIES,  # 0 means the default, as it does to Docker
    }
    out: Manifest = {"readinessProbe": copy.deepcopy(base)}
    if liveness:
        out["livenessProbe"] = copy.deepcopy(base)
    if hc.start_period:
        every = _seconds(hc.start_interval, min(HC_START_INTERVAL, period))
        out["startupProbe"] = {
            **copy.deepcopy(base),
            "periodSeconds": every,
            "failureThreshold": math.ceil(hc.start_period / every) + base["failureThreshold"],
        }
    return out


def resources(res: Resources, report: Report) -> Manifest:
    """limits (``deploy.resources.limits``, GPUs) and requests (``reservations``)."""
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
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


def _capability(cap: str) -> str:
    cap = cap.strip().upper()
    return cap[4:] if cap.startswith("CAP_") else cap


def security_context(
    *,
    user: str | None,
    privileged: bool,
    cap_add: list[str],
    cap_drop: list[str],
    read_only: bool,
    report: Report,
) -> Manifest:
    """runAsUser/runAsGroup from a numeric ``user``, privileged, capabilities, read-only root."""
    ctx: Manifest = {}
    uid, _, gid = (user or "").strip().partition(":")
    uid = "0" if uid == "root" else uid
    gid = "0" if gid == "root" else gid
    if uid.isdigit():
        ctx["runAsUser"] = int(uid)
    elif uid:
        report.warnings.append(f"user {uid!r} is a name: Kubernetes needs a numeric uid (runAsUser); not set")
    if gid.isdigit():
        ctx["runAsGroup"] = int(gid)
    elif gid:
        report.warnings.append(
            f"group {gid!r} is a name: Kubernetes needs a numeric gid (runAsGroup); not set"
        )
    if privileged:
        ctx["privileged"] = True
    caps: Manifest = {}
    if cap_add:
        caps["add"] = [_capability(c) for c in cap_add]
    if cap_drop:
        caps["drop"] = [_capability(c) for c in cap_drop]
    if caps:
        ctx["capabilities"] = caps
    if read_only:
        ctx["readOnlyRootFilesystem"] = True
    return ctx


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
