"""Source drift: what the compose file (and the scan it is wired to) would render now, compared with
what was deployed and with what runs. Reads compose files; pure apart from that.

Only what a person changes in a compose file or a scan moves is compared: per container its image,
env keys (never values), ports, probes and resources, and the ports of the Service. A required
variable that was typed at deploy time is given a placeholder (its recorded ConfigMap value when
there is one), so a re-render never needs a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from core.deploy.envwiring import missing_required
from core.deploy.plans import form_rows, load_entry, plan_deploy
from core.operate.drift import Drift
from core.store.scans import ScanResult

PLACEHOLDER = "ushadow-drift-placeholder"
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def _env_keys(container: Mapping[str, Any], objects: Sequence[Mapping[str, Any]]) -> list[str]:
    by_name = {(o.get("kind"), (o.get("metadata") or {}).get("name")): o for o in objects}
    keys = {str(e.get("name")) for e in container.get("env") or ()}
    for source in container.get("envFrom") or ():
        prefix = str(source.get("prefix") or "")
        for kind, ref in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            name = (source.get(ref) or {}).get("name")
            if name:
                obj = by_name.get((kind, name)) or {}
                names = {*(obj.get("data") or {}), *(obj.get("stringData") or {})}
                keys |= {prefix + str(k) for k in names}
    return sorted(keys)


def facets(objects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The compared fields of a service's objects: ``"Deployment/web containers[web].image"`` -> value."""
    out: dict[str, Any] = {}
    for obj in objects:
        kind, name = obj.get("kind"), (obj.get("metadata") or {}).get("name")
        if kind == "Service":
            ports = (obj.get("spec") or {}).get("ports") or ()
            out[f"Service/{name} ports"] = sorted(
                f"{p.get('port')}->{p.get('targetPort', p.get('port'))}/{p.get('protocol', 'TCP')}"
                for p in ports
            )
        if kind not in ("Deployment", "StatefulSet"):
            continue
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in pod.get("containers") or ():
            ref = f"{kind}/{name} containers[{c.get('name')}]"
            out[f"{ref}.image"] = c.get("image")
            out[f"{ref}.env"] = _env_keys(c, objects)
            out[f"{ref}.ports"] = sorted(
                f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or ()
            )
            for probe in PROBES:
                out[f"{ref}.{probe}"] = c.get(probe)
            out[f"{ref}.resources"] = c.get("resources") or {}
    return out


def rendered_objects(
    dirs: Sequence[Path],
    service_id: str,
    namespace: str,
    scan: ScanResult | None,
    recorded: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The objects ``service_id`` compiles to now, wired to ``scan``."""
    entry = load_entry(dirs, service_id)
    rows = form_rows(entry, namespace=namespace, scan=scan)
    config: dict[str, Any] = {}
    for obj in recorded:
        if obj.get("kind") == "ConfigMap":
            config.update(obj.get("data") or {})
    typed = {name: str(config.get(name) or PLACEHOLDER) for name in missing_required(rows)}
    plan = plan_deploy(entry, namespace=namespace, typed=typed, scan=scan)
    return list(plan.compiled.objects)


def source_drift(
    recorded: Sequence[Mapping[str, Any]],
    rendered: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]] = (),
) -> list[Drift]:
    """The compared fields that the re-render changes (with what runs, from ``live`` objects)."""
    before, after, now = facets(recorded), facets(rendered), facets(live)
    out = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append(Drift(key, before.get(key), now.get(key), after.get(key), "source"))
    return out
