"""Where a compiled service's pods may run: compose placement and shared claims (pure).

- ``deploy.placement.constraints``: ``node.labels.K == V`` -> ``nodeSelector`` ``K: V``;
  ``node.labels.K != V`` -> required node affinity ``K NotIn [V]``; ``node.hostname == H`` ->
  ``kubernetes.io/hostname: H``; ``node.role == manager``/``worker`` -> the control-plane role
  label present/absent. Others (``node.id``, ``engine.labels``, ``node.platform``) are warnings.
- ``deploy.placement.preferences`` (``spread: node.labels.K``) -> a preferred spread over ``K``
  (``topologySpreadConstraints``, ``ScheduleAnyway``): Swarm spreads the replicas evenly over the
  label's values, which is what a spread constraint does (a preferred affinity would gather them).
- Pods that share a ReadWriteOnce claim carry ``volume.ushadow.io/<claim>: "true"`` and a required
  pod affinity on that label (``kubernetes.io/hostname``): the first one goes anywhere, the others
  join it, so the claim is attached to one node only.
"""

from __future__ import annotations

import re
from typing import Any

from core.compose.model import ServiceSpec
from core.manifests.volumes import Report

Manifest = dict[str, Any]
HOSTNAME = "kubernetes.io/hostname"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
_CONSTRAINT = re.compile(r"^\s*([A-Za-z0-9_.\-/]+)\s*(==|!=)\s*(\S.*?)\s*$")


def _requirement(key: str, op: str, values: list[str] | None = None) -> Manifest:
    out: Manifest = {"key": key, "operator": op}
    if values is not None:
        out["values"] = values
    return out


def placement(spec: ServiceSpec, report: Report) -> Manifest:
    """``nodeSelector``, ``affinity`` and ``topologySpreadConstraints`` fields from compose placement."""
    selector: dict[str, str] = {}
    required: list[Manifest] = []
    for text in spec.placement_constraints:
        match = _CONSTRAINT.match(text)
        if not match:
            report.warnings.append(f"placement constraint {text!r} is not understood and was skipped")
            continue
        field, op, value = match.groups()
        if field.startswith("node.labels."):
            key = field.removeprefix("node.labels.")
            if op == "==":
                selector[key] = value
            else:
                required.append(_requirement(key, "NotIn", [value]))
        elif field == "node.hostname":
            if op == "==":
                selector[HOSTNAME] = value
            else:
                required.append(_requirement(HOSTNAME, "NotIn", [value]))
        elif field == "node.role" and value in ("manager", "worker"):
            wants_manager = (value == "manager") == (op == "==")
            required.append(_requirement(CONTROL_PLANE, "Exists" if wants_manager else "DoesNotExist"))
        else:
            report.warnings.append(
                f"placement constraint {text!r} has no Kubernetes node label and was skipped"
            )
    out: Manifest = {}
    if selector:
        out["nodeSelector"] = selector
    if required:
        out["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": required}]
                }
            }
        }
    return out


def spread(spec: ServiceSpec, selector: dict[str, str]) -> list[Manifest]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": label.removeprefix("node.labels."),
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(selector)},
        }
        for label in spec.placement_preferences
    ]


def shared_claim_affinity(pod_labels: dict[str, str]) -> Manifest:
    """Required pod affinity keeping the pods of shared ReadWriteOnce claims on one node."""
    terms = [
        {"labelSelector": {"matchLabels": {label: value}}, "topologyKey": HOSTNAME}
        for label, value in sorted(pod_labels.items())
    ]
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": terms}}


def schedule(
    spec: ServiceSpec, pod: Manifest, pod_labels: dict[str, str], selector: dict[str, str], report: Report
) -> None:
    """Add the scheduling fields to ``pod`` (see the module docstring)."""
    fields = placement(spec, report)
    if "nodeSelector" in fields:
        pod["nodeSelector"] = fields["nodeSelector"]
    affinity: Manifest = dict(fields.get("affinity", {}))
    if pod_labels:
        affinity.update(shared_claim_affinity(pod_labels))
    if affinity:
        pod["affinity"] = affinity
    spreads = spread(spec, selector)
    if spreads:
        pod["topologySpreadConstraints"] = spreads
