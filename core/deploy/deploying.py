"""Deploying to a cluster: envmaps and compose services. Calls out.

An envmap writes ConfigMap ``<svc>-config`` and Secret ``<svc>-secrets`` holding exactly the
given environment, split by sensitivity (``core.secrets.sensitivity``). A deploy loads the service from the
registry, wires its environment to the latest scan of the namespace (``core.deploy.envwiring``), compiles
it (``core.manifests.compiler``) and applies every object (``core.deploy.reconciling``); with ``wait`` it follows
the rollout until ready or says why not (``core.deploy.watching``). A change of environment rolls the
pods because the compiled pod template carries the environment's digest (``ushadow.io/env-hash``).
A workload scaled outside the compose file (``spec.replicas`` no longer owned by our apply: an
``ushadow-ops scale``, an HPA) keeps its live replica count. Every deploy is recorded in the store
with Secret values masked.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.clusters.kube import Kube
from core.clusters.registering import validate_namespace
from core.clusters.sessions import connect
from core.compose.loading import load_project
from core.compose.registry import RegistryEntry, load_registry
from core.conventions import ANNOTATION_PREFIX, LABEL_PREFIX
from core.conventions import INSTANCE_LABEL as INSTANCE
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
from core.deploy.changes import Change, owns
from core.deploy.envwiring import (
    EnvRow,
    environment_for,
    overrides,
    requested_variables,
    require_complete,
    wire,
)
from core.deploy.reconciling import apply_all, read_for_writing
from core.deploy.rollouts import RolloutStatus
from core.deploy.watching import wait_for_rollout
from core.errors import InvalidInput, RolloutFailed, UshadowError
from core.manifests.compilations import CompiledService, CompileOptions
from core.manifests.compiler import compile_service
from core.manifests.volumes import b64
from core.manifests.yamldocs import to_yaml
from core.naming import is_config_key, is_dns_label
from core.secrets.sensitivity import MASK, redact, split_environment
from core.settings import Settings
from core.store.records import Cluster
from core.store.scans import ScanResult
from core.store.store import Store

log = logging.getLogger(__name__)

WORKLOAD_KINDS = ("Deployment", "StatefulSet")
Progress = Callable[[str, float], None]


# -- envmaps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvmapResult:
    name: str
    namespace: str
    changes: list[Change]
    config_keys: list[str]
    secret_keys: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "config_keys": self.config_keys,
            "secret_keys": self.secret_keys,
            "resources": [c.to_json() for c in self.changes],
        }


def _our_meta(name: str, namespace: str, instance: str, live: Mapping[str, Any] | None) -> dict[str, Any]:
    """Metadata for an env object: ours, plus the labels and annotations it already has (so that an
    apply by the same field manager does not strip what the deploy put there)."""
    live_meta = (live or {}).get("metadata") or {}
    labels = {k: v for k, v in (live_meta.get("labels") or {}).items() if k.startswith(LABEL_PREFIX)}
    labels.update({MANAGED_BY: MANAGER_VALUE, INSTANCE: instance})
    annotations = {
        k: v for k, v in (live_meta.get("annotations") or {}).items() if k.startswith(ANNOTATION_PREFIX)
    }
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def env_objects(
    name: str, namespace: str, env: Mapping[str, str], *, live: Mapping[str, dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """ConfigMap ``<name>-config`` and Secret ``<name>-secrets`` for ``env``; an empty one only
    when it exists already (its keys must go)."""
    bad = [k for k in env if not is_config_key(k)]
    if bad:
        raise InvalidInput(
            f"not valid ConfigMap/Secret keys: {', '.join(bad)}", hint="use letters, digits, '-', '_' and '.'"
        )
    split = split_environment(env)
    config_name, secret_name = f"{name}-config", f"{name}-secrets"
    out: list[dict[str, Any]] = []
    if split.config or live.get(config_name) is not None:
        meta = _our_meta(config_name, namespace, name, live.get(config_name))
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": dict(split.config)})
    if split.secret or live.get(secret_name) is not None:
        meta = _our_meta(secret_name, namespace, name, live.get(secret_name))
        data = {k: b64(v) for k, v in split.secret.items()}
        out.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": data})
    return out


def write_envmap(
    kube: Kube, namespace: str, name: str, env: Mapping[str, str], *, dry_run: bool = False
) -> EnvmapResult:
    """Write ``<name>-config`` and ``<name>-secrets`` to hold exactly ``env``, split by sensitivity."""
    namespace = validate_namespace(namespace)
    if not is_dns_label(name):
        raise InvalidInput(
            f"{name!r} is not a service's Kubernetes name",
            hint="lowercase letters, digits and '-', starting and ending with a letter or digit, at most "
            "63 characters (`ushadow-ops status` lists the names)",
        )
    live = {
        n: read_for_writing(kube, namespace, kind, n, ["ConfigMap", "Secret"])
        for kind, n in (("ConfigMap", f"{name}-config"), ("Secret", f"{name}-secrets"))
    }
    objects = env_objects(name, namespace, env, live=live)
    changes = apply_all(kube, objects, namespace, dry_run=dry_run)
    split = split_environment(env)
    return EnvmapResult(name, namespace, changes, sorted(split.config), sorted(split.secret))


# -- what a workload keeps -------------------------------------------------------------------


@dataclass
class Prepared:
    objects: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def prepare_objects(kube: Kube, objects: Sequence[Mapping[str, Any]], name: str, namespace: str) -> Prepared:
    """The compiled objects adjusted to the live state: live replica counts kept where someone
    scaled, and our env ConfigMap/Secret emptied when the service no longer has one."""
    out: list[dict[str, Any]] = [dict(o) for o in objects]
    kinds = [str(o["kind"]) for o in out] + ["ConfigMap", "Secret"]
    notes: list[str] = []
    present = {(o["kind"], o["metadata"]["name"]) for o in out}
    extra: list[dict[str, Any]] = []
    for kind, obj_name in (("ConfigMap", f"{name}-config"), ("Secret", f"{name}-secrets")):
        if (kind, obj_name) in present:
            continue
        live = read_for_writing(kube, namespace, kind, obj_name, kinds)
        labels = ((live or {}).get("metadata") or {}).get("labels") or {}
        if live is not None and labels.get(MANAGED_BY) == MANAGER_VALUE and labels.get(INSTANCE) == name:
            emptied: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": _our_meta(obj_name, namespace, name, live),
                "data": {},
            }
            if kind == "Secret":
                emptied["type"] = live.get("type") or "Opaque"
            extra.append(emptied)
            notes.append(f"{kind} {obj_name} is no longer needed: its keys are removed")
    for index, obj in enumerate(out):
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        live = read_for_writing(kube, namespace, obj["kind"], obj["metadata"]["name"], kinds)
        if live is not None and not owns(live, "spec", "replicas"):
            spec = {k: v for k, v in obj["spec"].items() if k != "replicas"}
            out[index] = {**obj, "spec": spec}
            count = (live.get("spec") or {}).get("replicas")
            notes.append(f"replicas kept at {count}: the {obj['kind']} was scaled outside the compose file")
    return Prepared(extra + out, notes)


# -- plans ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployPlan:
    """A service ready to apply: its wired environment and compiled objects (real Secret values)."""

    entry: RegistryEntry
    namespace: str
    rows: list[EnvRow]
    compiled: CompiledService
    scan_id: str | None

    @property
    def service_id(self) -> str:
        return self.entry.service_id

    @property
    def name(self) -> str:
        return self.compiled.name

    @property
    def kind(self) -> str:
        return self.compiled.kind

    def redacted_yaml(self) -> str:
        return to_yaml(redact(self.compiled.objects))


def load_entry(dirs: Sequence[Path], service_id: str) -> RegistryEntry:
    """A deployable registry entry (the process environment is not read: see ``plan_deploy``)."""
    entry = load_registry(dirs, environ={}).get(service_id)
    if entry.spec is None or entry.error:
        raise InvalidInput(
            f"{service_id} cannot be deployed: {entry.error or 'it could not be read'}",
            hint="fix the compose file (`ushadow-ops services list` shows the error)",
        )
    return entry


def load_entry_list(dirs: Sequence[Path]) -> list[RegistryEntry]:
    """Every registry entry, in registry order (broken ones included, with their error)."""
    return list(load_registry(dirs, environ={}).entries)


def form_rows(
    entry: RegistryEntry, *, namespace: str, scan: ScanResult | None, typed: Mapping[str, str] | None = None
) -> list[EnvRow]:
    """The deploy form's environment rows for a registry entry."""
    assert entry.spec is not None
    return wire(requested_variables(entry.spec), scan=scan, namespace=namespace, typed=typed)


def plan_deploy(
    entry: RegistryEntry,
    *,
    namespace: str,
    typed: Mapping[str, str] | None = None,
    scan: ScanResult | None = None,
    options: CompileOptions | None = None,
) -> DeployPlan:
    """Wire, check and compile one service. Reads its compose file again with the wired values.

    Only the typed and scanned values and the ``.env`` beside the compose file are settings here,
    never the process environment: every value in the form says where it came from, and a variable
    of the dashboard's (or an operator's shell) must not slip into a deployment unseen.
    """
    namespace = validate_namespace(namespace)
    rows = form_rows(entry, namespace=namespace, scan=scan, typed=typed)
    require_complete(rows)
    project = load_project(entry.file, env=overrides(rows), environ={}, strict=False)
    spec = project.services.get(entry.service)
    if spec is None:
        reason = project.service_errors.get(entry.service, "it is no longer in the file")
        raise InvalidInput(f"{entry.service_id} cannot be deployed: {reason}")
    spec = spec.model_copy(update={"environment": environment_for(spec, rows)})
    compiled = compile_service(
        spec, project=project, namespace=namespace, options=options, service_id=entry.service_id
    )
    return DeployPlan(
        entry,
        namespace,
        _as_deployed(rows, spec.environment, compiled),
        compiled,
        scan.scan_id if scan else None,
    )


def _as_deployed(
    rows: Sequence[EnvRow], environment: Mapping[str, str | None], compiled: CompiledService
) -> list[EnvRow]:
    """The rows as deployed: a compose value built from other variables shows what they made of it
    (``--password=${DB_PASSWORD}`` with the typed password), and a value that went into the Secret
    is marked sensitive, so it is masked wherever rows are shown."""
    secret_keys = {
        key
        for obj in compiled.objects
        if obj.get("kind") == "Secret"
        for key in (*(obj.get("data") or {}), *(obj.get("stringData") or {}))
    }
    out = []
    for row in rows:
        value = environment.get(row.name) if row.source == "default" and row.in_environment else row.value
        out.append(replace(row, value=value, sensitive=row.sensitive or row.name in secret_keys))
    return out


# -- deploying ------------------------------------------------------------------------------------


@dataclass
class DeployOutcome:
    plan: DeployPlan
    cluster: Cluster
    dry_run: bool
    status: str = "pending"  # dry-run, applied, ready, failed
    message: str | None = None
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rollout: RolloutStatus | None = None
    deployment_id: str | None = None
    error: UshadowError | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "cluster": self.cluster.name,
            "cluster_id": self.cluster.cluster_id,
            "namespace": self.plan.namespace,
            "service_id": self.plan.service_id,
            "name": self.plan.name,
            "kind": self.plan.kind,
            "dry_run": self.dry_run,
            "status": self.status,
            "message": self.message,
            "resources": [c.to_json() for c in self.changes],
            "environment": [r.to_json() for r in self.plan.rows],
            "scan_id": self.plan.scan_id,
            "warnings": list(self.plan.compiled.warnings),
            "notes": [*self.plan.compiled.notes, *self.notes],
            "rollout": self.rollout.to_json() if self.rollout else None,
        }


def deploy_plan(
    kube: Kube,
    outcome: DeployOutcome,
    *,
    wait: bool,
    timeout: float,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Apply a plan (and follow its rollout); fills ``outcome``; returns the objects sent."""
    plan = outcome.plan
    say = progress or (lambda _m, _f: None)
    prepared = prepare_objects(kube, plan.compiled.objects, plan.name, plan.namespace)
    outcome.notes += prepared.notes
    verb = "checking (dry run)" if outcome.dry_run else "applying"
    say(f"{verb} {len(prepared.objects)} objects of {plan.service_id} in {plan.namespace}", 0.05)
    outcome.changes = apply_all(kube, prepared.objects, plan.namespace, dry_run=outcome.dry_run)
    changed = [c for c in outcome.changes if c.action != "unchanged"]
    outcome.status = "dry-run" if outcome.dry_run else "applied"
    outcome.message = (
        f"{len(changed)} of {len(outcome.changes)} objects would change"
        if outcome.dry_run
        else f"{len(changed)} of {len(outcome.changes)} objects created or changed"
    )
    if wait and not outcome.dry_run:
        say(f"waiting for {plan.kind} {plan.name} to become ready", 0.1)
        outcome.rollout = wait_for_rollout(
            kube,
            kind=plan.kind,
            name=plan.name,
            namespace=plan.namespace,
            timeout=timeout,
            progress=progress,
            where=f" on cluster {outcome.cluster.name}",
        )
        outcome.status = "ready"
        outcome.message = f"{outcome.message}; {outcome.rollout.text()}"
    return prepared.objects


def deploy_service(
    store: Store,
    settings: Settings,
    *,
    cluster: str,
    service_id: str,
    namespace: str | None = None,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    wait: bool = False,
    timeout: float = 300.0,
    registry_dirs: Sequence[Path] | None = None,
    progress: Progress | None = None,
    actor: str | None = None,
    options: CompileOptions | None = None,
) -> DeployOutcome:
    """Deploy one registry service to a stored cluster, and record it.

    A failed rollout is returned (``status == "failed"``, ``message`` says why, ``error`` holds
    the error); a failure before or while applying (forbidden, unreachable, invalid) is recorded
    and raised.
    """
    stored = store.get_cluster(cluster)
    ns = validate_namespace(namespace or stored.namespace)
    entry = load_entry(registry_dirs if registry_dirs is not None else settings.compose_dirs, service_id)
    plan = plan_deploy(
        entry, namespace=ns, typed=env, scan=store.latest_scan_for(stored.cluster_id, ns), options=options
    )
    outcome = DeployOutcome(plan, stored, dry_run)
    sent: list[dict[str, Any]] = list(plan.compiled.objects)
    try:
        with connect(store, settings, stored.cluster_id) as (_cluster, kube):
            sent = deploy_plan(kube, outcome, wait=wait, timeout=timeout, progress=progress)
    except RolloutFailed as exc:
        outcome.status, outcome.message, outcome.error = "failed", exc.message, exc
    except UshadowError as exc:
        outcome.status, outcome.message, outcome.error = "failed", exc.message, exc
        _record(store, outcome, sent, actor)
        raise
    _record(store, outcome, sent, actor)
    return outcome


def secret_values(objects: Sequence[Mapping[str, Any]], *, shortest: int = 4) -> set[str]:
    """The values of the Secrets among ``objects`` (long enough to be told apart from other text)."""
    found: set[str] = set()
    for obj in objects:
        if obj.get("kind") != "Secret":
            continue
        for value in (obj.get("data") or {}).values():
            try:
                found.add(base64.b64decode(str(value)).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
        found.update(str(v) for v in (obj.get("stringData") or {}).values())
    return {v for v in found if len(v) >= shortest}


def _scrub(node: Any, hidden: set[str]) -> Any:
    """``node`` with every ``hidden`` value masked in its strings (a secret interpolated into a
    command or argument); object names and labels (``metadata``) are left as they are."""
    if isinstance(node, str):
        for value in hidden:
            node = node.replace(value, MASK)
        return node
    if isinstance(node, list):
        return [_scrub(item, hidden) for item in node]
    if isinstance(node, dict):
        return {k: (v if k == "metadata" else _scrub(v, hidden)) for k, v in node.items()}
    return node


def recorded_manifests(objects: Sequence[Mapping[str, Any]]) -> str:
    """What a deployment record keeps: the manifests with Secret values masked everywhere."""
    hidden = secret_values(objects)
    return to_yaml([_scrub(o, hidden) for o in redact([dict(o) for o in objects])])


def _record(
    store: Store, outcome: DeployOutcome, objects: Sequence[Mapping[str, Any]], actor: str | None
) -> None:
    record = store.record_deployment(
        cluster_id=outcome.cluster.cluster_id,
        namespace=outcome.plan.namespace,
        service_id=outcome.plan.service_id,
        name=outcome.plan.name,
        manifests=recorded_manifests(objects),
        resources=[c.to_json() for c in outcome.changes],
        status=outcome.status,
        message=outcome.message,
        dry_run=outcome.dry_run,
        actor=actor,
    )
    outcome.deployment_id = record.deployment_id
