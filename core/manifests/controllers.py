"""Which controller runs a compiled service, and the Job and CronJob bodies (pure).

The rule, first match wins (the choice and its reason are in the warnings):

1. ``CompileOptions.controller(s)`` other than ``auto``, then ``x-ushadow.<service>.controller``;
2. ``x-ushadow.<service>.schedule`` -> **CronJob** (``concurrencyPolicy: Forbid``);
3. ``restart: "no"`` -> **Job** (``restartPolicy: Never``, ``backoffLimit: 0``: compose runs it
   once); ``restart: on-failure[:N]`` on a service with no ports (a task) -> **Job**
   (``restartPolicy: OnFailure``, ``backoffLimit`` N, else 6); ``x-ushadow`` ``backoff_limit``
   overrides either;
4. a datastore (the catalog's kind ``datastore``) with a named volume no other service shares ->
   **StatefulSet** (claim templates, a headless Service);
5. otherwise a **Deployment** (a volume is a PersistentVolumeClaim, strategy ``Recreate``): claim
   templates cannot be changed later and every extra replica of a StatefulSet gets an empty volume,
   which is right for a database and wrong for an app that keeps files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.catalog import load_catalog, recognise_compose_service
from core.compose.model import ComposeProject, ServiceSpec
from core.errors import InvalidInput
from core.manifests.knobs import Knobs
from core.manifests.volumes import VolumeSettings, claims_storage, shared_volumes

Manifest = dict[str, Any]
KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet", "job": "Job", "cronjob": "CronJob"}
DEFAULT_BACKOFF = 6


@dataclass(frozen=True)
class Choice:
    kind: str
    reason: str
    restart_policy: str = "Always"  # of a Job's pods: Never or OnFailure
    backoff_limit: int | None = None


def datastore_type(spec: ServiceSpec) -> str | None:
    """The catalog type of a datastore service (``postgres``), else None."""
    found = recognise_compose_service(spec.name, spec.image, [p.target for p in spec.ports])
    if found is None:
        return None
    return found if load_catalog().get(found).kind == "datastore" else None


def choose_controller(
    spec: ServiceSpec,
    project: ComposeProject | None,
    *,
    choice: str,
    sid: str,
    settings: VolumeSettings,
    knobs: Knobs,
) -> Choice:
    """The controller kind for the service, and why (see the module docstring)."""
    if choice not in ("auto", "deployment", "statefulset"):
        raise InvalidInput(f"controller for {sid} must be auto, deployment or statefulset")
    restart = (spec.restart or "").strip().strip('"')
    backoff = knobs.backoff_limit
    if choice != "auto":
        return Choice(KINDS[choice], f"{KINDS[choice]}: as the compile options ask")
    if knobs.schedule or knobs.controller == "cronjob":
        if not knobs.schedule:
            raise InvalidInput(f"x-ushadow.{spec.name}: controller cronjob needs a schedule")
        policy = "Never" if restart in ("no", "") else "OnFailure"
        return Choice("CronJob", f"CronJob: x-ushadow schedule {knobs.schedule!r}", policy, backoff)
    if knobs.controller in ("deployment", "statefulset"):
        kind = KINDS[knobs.controller]
        return Choice(kind, f"{kind}: as x-ushadow controller asks")
    if knobs.controller == "job" or restart == "no":
        why = "x-ushadow controller: job" if knobs.controller == "job" else 'restart: "no"'
        return Choice(
            "Job", f"Job: {why}, a one-shot task that runs once", "Never", 0 if backoff is None else backoff
        )
    if restart.startswith("on-failure") and not spec.ports:
        count = restart.partition(":")[2].strip()
        limit = backoff if backoff is not None else int(count) if count.isdigit() else DEFAULT_BACKOFF
        return Choice(
            "Job", f"Job: restart {restart} on a service with no ports is a task", "OnFailure", limit
        )
    named = {v.source for v in spec.volumes if claims_storage(v, project, settings)}
    store = datastore_type(spec)
    if named and store and not (named & shared_volumes(project)):
        return Choice("StatefulSet", f"StatefulSet: {store} is a datastore, each replica gets its own claim")
    if named:
        return Choice(
            "Deployment",
            "Deployment: not a datastore, so its volumes are claims the replicas share "
            "(x-ushadow controller: statefulset gives each replica its own)",
        )
    return Choice("Deployment", "")


def job_body(pod_template: Manifest, choice: Choice, replicas: int) -> Manifest:
    """A Job's spec around the pod template (``restartPolicy`` set on the pod)."""
    pod_template["spec"]["restartPolicy"] = choice.restart_policy
    body: Manifest = {"backoffLimit": choice.backoff_limit or 0, "template": pod_template}
    if replicas > 1:
        body["completions"] = body["parallelism"] = replicas
    return body


def job_object(kind: str, metadata: Manifest, body: Manifest, schedule: str | None) -> Manifest:
    if kind == "CronJob":
        spec = {"schedule": schedule, "concurrencyPolicy": "Forbid", "jobTemplate": {"spec": body}}
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata, "spec": spec}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": body}
