"""Deploying a compose service to a stored cluster, and recording it. Calls out.

(Envmaps are ``core.deploy.envmaps``; plans, ``core.deploy.plans``.) A deploy loads the service from the
registry, wires its environment to the latest scan of the namespace (``core.deploy.envwiring``), compiles
it (``core.manifests.compiler``) and applies every object (``core.deploy.reconciling``); with ``wait`` it follows
the rollout until ready or says why not (``core.deploy.watching``). A change of environment rolls the
pods because the compiled pod template carries the environment's digest (``ushadow.io/env-hash``).
A workload scaled outside the compose file (``spec.replicas`` no longer owned by our apply: an
``ushadow-ops scale``, an HPA) keeps its live replica count. Every deploy is recorded in the store
with Secret values masked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.clusters.kube import Kube
from core.clusters.registering import validate_namespace
from core.clusters.sessions import connect
from core.deploy.changes import Change
from core.deploy.envmaps import (
    prepare_objects,
)
from core.deploy.plans import DeployPlan, load_entry, plan_deploy
from core.deploy.reconciling import apply_all
from core.deploy.rollouts import RolloutStatus
from core.deploy.watching import wait_for_rollout
from core.errors import RolloutFailed, UshadowError
from core.manifests.compilations import CompileOptions
from core.manifests.yamldocs import to_yaml
from core.secrets.masking import mask_everywhere, scrub_error, scrub_messages, scrub_text
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


# -- envmaps ------------------------------------------------------------------------------------


# -- what a workload keeps -------------------------------------------------------------------


# -- plans ----------------------------------------------------------------------------------------


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
            "message": scrub_text(self.message, self.plan.hidden()) if self.message else self.message,
            "resources": [c.to_json() for c in self.changes],
            "environment": [r.to_json() for r in self.plan.rows],
            "scan_id": self.plan.scan_id,
            "warnings": self.plan.warnings,
            "notes": [*self.plan.notes, *scrub_messages(self.notes, self.plan.hidden())],
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
    # the namespace is one of the objects checked and reported (apply_all ensures it first)
    say(f"{verb} {len(prepared.objects) + 1} objects of {plan.service_id} in {plan.namespace}", 0.05)
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
            progress=(lambda m, f: say(m, 0.1 + 0.9 * f)) if progress else None,  # on from 10%
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
        entry, namespace=ns, typed=env, scan=store.wiring_scan(stored.cluster_id, ns), options=options
    )
    outcome = DeployOutcome(plan, stored, dry_run)
    sent: list[dict[str, Any]] = list(plan.compiled.objects)
    try:
        with connect(store, settings, stored.cluster_id) as (_cluster, kube):
            sent = deploy_plan(kube, outcome, wait=wait, timeout=timeout, progress=progress)
    except RolloutFailed as exc:
        scrub_error(exc, plan.hidden())  # an API server's message may quote what it was sent
        outcome.status, outcome.message, outcome.error = "failed", exc.message, exc
    except UshadowError as exc:
        scrub_error(exc, plan.hidden())
        outcome.status, outcome.message, outcome.error = "failed", exc.message, exc
        _record(store, outcome, sent, actor)
        raise
    _record(store, outcome, sent, actor)
    return outcome


def recorded_manifests(objects: Sequence[Mapping[str, Any]]) -> str:
    """What a deployment record keeps: the manifests with Secret values masked everywhere."""
    return to_yaml(mask_everywhere(objects))


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
        message=scrub_text(outcome.message, outcome.plan.hidden()) if outcome.message else None,
        dry_run=outcome.dry_run,
        actor=actor,
    )
    outcome.deployment_id = record.deployment_id
