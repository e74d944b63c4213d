"""Rolling a service back to an earlier recorded deploy. Calls out.

A record keeps its manifests with Secret values masked, so a rollback takes the values its Secret
needs from the cluster's current Secret of the same name (or from ``secrets`` given by the caller),
never from a record. The pod template's ``ushadow.io/env-hash`` is computed again over what is
applied, replica counts someone scaled are kept (as a deploy does), and the rollback is recorded as
a deploy of its own, so it can be rolled back too.

Without a target, the rollback goes to the last good deploy (applied or ready) before the current
one whose manifests differ from the current one's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from core.clusters.kube import Kube
from core.conventions import ENV_HASH_ANNOTATION
from core.deploy.applying import object_path
from core.deploy.changes import Change
from core.deploy.envmaps import prepare_objects
from core.deploy.reconciling import apply_all, read
from core.errors import InvalidInput, NotFound
from core.naming import short_hash
from core.secrets.masking import secret_data
from core.secrets.sensitivity import MASK
from core.store.records import Deployment

GOOD = ("applied", "ready")


def history(records: Sequence[Deployment], namespace: str, service: str) -> list[Deployment]:
    """Every applied (not dry-run) record of ``service`` (name or id) in ``namespace``, newest first."""
    return [
        r for r in records if r.namespace == namespace and not r.dry_run and service in (r.name, r.service_id)
    ]


def pick_target(past: Sequence[Deployment], to: str | None) -> Deployment:
    """The record to roll back to: ``to``, or the last good one before the current that differs."""
    if not past:
        raise NotFound("nothing was deployed there: there is no deploy to roll back to")
    if to:
        for r in past:
            if r.deployment_id == to:
                return r
        raise NotFound(
            f"deployment {to} is not a deploy of {past[0].name} in {past[0].namespace}",
            hint="`ushadow-ops deployments CLUSTER` lists the deployment ids",
        )
    current = past[0]
    for r in past[1:]:
        if r.status in GOOD and r.manifests != current.manifests:
            return r
    raise NotFound(
        f"no earlier good deploy of {current.name} differs from the current one",
        hint="name one with --to DEPLOYMENT_ID (`ushadow-ops deployments CLUSTER` lists them)",
    )


def _objects(record: Deployment) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(record.manifests or "") if isinstance(d, dict)]
    return [d for d in docs if d.get("kind") != "Namespace"]


def restore_secrets(
    kube: Kube, objects: list[dict[str, Any]], namespace: str, given: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """``objects`` with each Secret's masked values taken from ``given`` or the live Secret."""
    out = []
    for obj in objects:
        if obj.get("kind") != "Secret":
            out.append(obj)
            continue
        name = obj["metadata"]["name"]
        keys = [*(obj.get("stringData") or {}), *(obj.get("data") or {})]
        live = read(kube, object_path("Secret", name, namespace), f"reading Secret {name}") or {}
        values = {**secret_data(live), **(given or {})}
        missing = [k for k in keys if k not in values]
        if missing:
            raise InvalidInput(
                f"the rollback needs values for {', '.join(missing)} (Secret {name}): records hold no secrets "
                "and the cluster's Secret does not have them",
                hint="give them with --env KEY=VALUE",
            )
        meta = {k: v for k, v in obj["metadata"].items() if k != "annotations"}
        annotations = {
            k: v for k, v in (obj["metadata"].get("annotations") or {}).items() if "redacted" not in k
        }
        if annotations:
            meta["annotations"] = annotations
        data = {k: base64.b64encode(values[k].encode()).decode() for k in keys}
        rest = {k: v for k, v in obj.items() if k not in ("stringData", "data", "metadata")}
        out.append({**rest, "metadata": meta, "data": data})
    return out


def rehash(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workload's ``env-hash`` computed over the ConfigMap and Secret data that will be applied."""
    env = [o.get("data") for o in objects if o.get("kind") in ("ConfigMap", "Secret") and o.get("data")]
    digest = short_hash(json.dumps(env, sort_keys=True), 16)
    for obj in objects:
        template = (obj.get("spec") or {}).get("template") or {}
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        if ENV_HASH_ANNOTATION in annotations:
            annotations[ENV_HASH_ANNOTATION] = digest
    return objects


def roll_back(
    kube: Kube, record: Deployment, *, secrets: Mapping[str, str] | None = None
) -> tuple[list[Change], list[dict[str, Any]], list[str]]:
    """Apply ``record``'s manifests again; (changes, objects sent, notes)."""
    objects = _objects(record)
    if any(MASK in json.dumps(o) for o in objects if o.get("kind") != "Secret"):
        raise InvalidInput(
            f"deployment {record.deployment_id} has secret values outside its Secret (masked in the record)",
            hint="deploy the service again from its compose file instead",
        )
    objects = rehash(restore_secrets(kube, objects, record.namespace, secrets))
    prepared = prepare_objects(kube, objects, record.name, record.namespace)
    changes = apply_all(kube, prepared.objects, record.namespace, dry_run=False)
    return changes, prepared.objects, prepared.notes
