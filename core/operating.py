"""Day-2 operations on what ushadow deployed (the old ``k8s-helpers.sh``): status, logs, rollout
restart, scale, undeploy. Calls out.

A ``service`` is the Kubernetes name of a Deployment or StatefulSet, or a registry service id
(``<file-stem>:<service>``), found through the ``ushadow.io/service-id`` annotation of our
workloads. The functions take a :class:`~core.kube.Kube`; :class:`Operator` opens one for a stored
cluster, names the cluster in every cluster error, and writes each change to the audit trail.

Imperative changes use the field manager ``ushadow-ops`` (as ``kubectl rollout restart`` and
``kubectl scale`` use their own), so a later deploy keeps a hand-set replica count (see
``core.deploying``). Undeploy removes the objects labelled ``app.kubernetes.io/managed-by=ushadow``
and ``app.kubernetes.io/instance=<name>``; claims (PVCs, also those of a StatefulSet's claim
templates) are kept unless ``delete_volumes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from core.applying import object_path
from core.changes import Change
from core.deploying import DeployOutcome, deploy_service, load_entry_list
from core.errors import ClusterError, InvalidInput, NotFound, UshadowError
from core.kube import Kube, http_error
from core.manifests import SERVICE_ID_ANNOTATION, kube_name
from core.reconciling import (
    INSTANCE,
    MANAGED_BY,
    MANAGER_VALUE,
    check_access,
    connect,
    named,
    read,
    resource_of,
    send,
)
from core.rollouts import PodSummary, RolloutStatus, pod_summary, rollout_status
from core.settings import Settings
from core.store import Cluster, Store
from core.watching import Progress, list_pods, selector_text, wait_for_rollout

OPS_MANAGER = "ushadow-ops"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
WORKLOADS = ("Deployment", "StatefulSet")
# What undeploy removes, in order (workloads first, so their pods stop before their config goes).
UNDEPLOY_KINDS = ("Deployment", "StatefulSet", "Service", "ConfigMap", "Secret")
OURS = f"{MANAGED_BY}={MANAGER_VALUE}"


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    namespace: str
    obj: dict[str, Any]

    @property
    def service_id(self) -> str | None:
        value = ((self.obj.get("metadata") or {}).get("annotations") or {}).get(SERVICE_ID_ANNOTATION)
        return str(value) if value else None

    @property
    def ours(self) -> bool:
        return ((self.obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == MANAGER_VALUE

    @property
    def path(self) -> str:
        return object_path(self.kind, self.name, self.namespace)


def _list(kube: Kube, kind: str, namespace: str, selector: str) -> list[dict[str, Any]]:
    return kube.list_all(
        object_path(kind, None, namespace),
        {"labelSelector": selector},
        what=f"listing {kind}s in {namespace}",
    )


def our_workloads(kube: Kube, namespace: str) -> list[Workload]:
    """Every Deployment and StatefulSet we deployed to ``namespace``, by name."""
    found = [
        Workload(kind, str(obj["metadata"]["name"]), namespace, {**obj, "kind": kind})
        for kind in WORKLOADS
        for obj in _list(kube, kind, namespace, OURS)
    ]
    return sorted(found, key=lambda w: w.name)


def find_workload(kube: Kube, namespace: str, service: str) -> Workload:
    """The workload a day-2 command means: a Kubernetes name or a registry service id."""
    service = service.strip()
    if not service:
        raise InvalidInput("name a service: its Kubernetes name or its SERVICE_ID")
    if ":" in service:
        ours = our_workloads(kube, namespace)
        for w in ours:
            sid = w.service_id
            if sid and (sid == service or service.endswith("/" + sid)):
                return w
        name = kube_name(service.split(":", 1)[1])
        for w in ours:
            if w.name == name:
                return w
        raise NotFound(
            f"no workload of {service} in namespace {namespace}",
            hint=_known(ours) or "it is not deployed there: `ushadow-ops deploy` it first",
        )
    for kind in WORKLOADS:
        obj = read(kube, object_path(kind, service, namespace), f"reading {kind} {service}")
        if obj is not None:
            return Workload(kind, service, namespace, {**obj, "kind": kind})
    raise NotFound(
        f"no Deployment or StatefulSet {service!r} in namespace {namespace}",
        hint=_known(our_workloads(kube, namespace))
        or "`ushadow-ops status CLUSTER -n NS` lists what is deployed",
    )


def _known(ours: list[Workload]) -> str | None:
    return f"deployed there: {', '.join(w.name for w in ours)}" if ours else None


# -- status -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadStatus:
    workload: Workload
    rollout: RolloutStatus
    pods: list[PodSummary]

    def to_json(self) -> dict[str, Any]:
        w, r = self.workload, self.rollout
        return {
            "kind": w.kind,
            "name": w.name,
            "namespace": w.namespace,
            "service_id": w.service_id,
            "desired": r.desired,
            "ready": r.ready,
            "updated": r.updated,
            "available": r.available,
            "rolled_out": r.done,
            "images": sorted({i for p in self.pods for i in p.images}),
            "pods": [p.to_json() for p in self.pods],
        }


def status(
    kube: Kube, namespace: str, service: str | None = None, *, now: datetime | None = None
) -> list[WorkloadStatus]:
    """Desired and ready replicas and the pods of one workload, or of all we deployed."""
    now = now or datetime.now(UTC)
    workloads = [find_workload(kube, namespace, service)] if service else our_workloads(kube, namespace)
    out: list[WorkloadStatus] = []
    for w in workloads:
        selector = selector_text(w.obj)
        pods = list_pods(kube, namespace, selector) if selector else []
        summaries = sorted((pod_summary(p, now=now) for p in pods), key=lambda p: p.name)
        out.append(WorkloadStatus(w, rollout_status(w.obj), summaries))
    return out


# -- logs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodLog:
    pod: str
    container: str
    previous: bool
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "container": self.container, "previous": self.previous, "text": self.text}


def logs(
    kube: Kube,
    namespace: str,
    service: str,
    *,
    tail: int | None = 100,
    container: str | None = None,
    previous: bool = False,
    pod: str | None = None,
) -> list[PodLog]:
    """The last ``tail`` lines of each pod of the workload (or of one ``pod``)."""
    if tail is not None and tail < 0:
        raise InvalidInput("--tail must be 0 or more lines")
    w = find_workload(kube, namespace, service)
    pods = list_pods(kube, namespace, selector_text(w.obj))
    if pod is not None:
        pods = [p for p in pods if p["metadata"]["name"] == pod]
        if not pods:
            raise NotFound(f"pod {pod!r} is not one of {w.name}'s pods")
    if not pods:
        raise NotFound(f"{w.kind} {w.name} has no pods", hint="is it scaled to 0?")
    out: list[PodLog] = []
    for p in sorted(pods, key=lambda p: str(p["metadata"]["name"])):
        name = str(p["metadata"]["name"])
        names = [str(c.get("name")) for c in (p.get("spec") or {}).get("containers") or ()]
        chosen = container or names[0]
        if chosen not in names:
            raise InvalidInput(
                f"pod {name} has no container {chosen!r}", hint=f"its containers: {', '.join(names)}"
            )
        if previous and not _restarted(p, chosen):
            raise InvalidInput(
                f"container {chosen} of pod {name} has not restarted: there is no previous log",
                hint="leave out --previous to see the running container's log",
            )
        query: dict[str, str] = {"container": chosen}
        if tail is not None:
            query["tailLines"] = str(tail)
        if previous:
            query["previous"] = "true"
        text = kube.call(
            f"reading the log of pod {name}",
            _read_log,
            kube,
            f"/api/v1/namespaces/{namespace}/pods/{name}/log",
            query,
        )
        out.append(PodLog(name, chosen, previous, text))
    return out


def _restarted(pod: dict[str, Any], container: str) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return any(c.get("name") == container and (c.get("restartCount") or 0) > 0 for c in statuses)


def _read_log(kube: Kube, path: str, query: dict[str, str]) -> str:
    """Plain text from the log endpoint (not JSON), with the client's timeout."""
    _m, url, headers, _b, _p = kube.api.param_serialize(
        "GET", f"{path}?{urlencode(query)}", header_params={"Accept": "*/*"}, auth_settings=["BearerToken"]
    )
    response = kube.api.call_api("GET", url, header_params=headers, _request_timeout=kube.timeout)
    data = response.read()
    if response.status >= 400:
        raise http_error(response.status, data, server=kube.server, what=f"reading {path}")
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)


# -- restart and scale -------------------------------------------------------------------------


def restart(kube: Kube, namespace: str, service: str, *, now: datetime | None = None) -> Workload:
    """``kubectl rollout restart``: a new pod-template annotation, so every pod is replaced."""
    w = find_workload(kube, namespace, service)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    obj = send(
        kube,
        "PATCH",
        w.path,
        body=patch,
        content_type="application/strategic-merge-patch+json",
        query={"fieldManager": OPS_MANAGER},
        what=f"restarting {w.kind} {w.name} in {namespace}",
    )
    return Workload(w.kind, w.name, namespace, {**obj, "kind": w.kind})


def scale(kube: Kube, namespace: str, service: str, replicas: int) -> tuple[Workload, int]:
    """Set the replica count through the scale subresource; returns the workload and the old count."""
    if replicas < 0:
        raise InvalidInput(f"replicas must be 0 or more, not {replicas}")
    w = find_workload(kube, namespace, service)
    before = int((w.obj.get("spec") or {}).get("replicas") or 0)
    send(
        kube,
        "PATCH",
        f"{w.path}/scale",
        body={"spec": {"replicas": replicas}},
        content_type="application/merge-patch+json",
        query={"fieldManager": OPS_MANAGER},
        what=f"scaling {w.kind} {w.name} in {namespace}",
    )
    obj = kube.get_json(w.path, what=f"reading {w.kind} {w.name}")
    return Workload(w.kind, w.name, namespace, {**obj, "kind": w.kind}), before


# -- undeploy ---------------------------------------------------------------------------------


def _claims(kube: Kube, namespace: str, name: str, workloads: list[Workload]) -> list[dict[str, Any]]:
    """Our PVCs, and those made from our StatefulSets' claim templates (``<tpl>-<sts>-<n>``)."""
    prefixes = [
        f"{(t.get('metadata') or {}).get('name')}-{w.name}-"
        for w in workloads
        if w.kind == "StatefulSet"
        for t in (w.obj.get("spec") or {}).get("volumeClaimTemplates") or ()
    ]
    found = _list(kube, "PersistentVolumeClaim", namespace, f"{INSTANCE}={name}")
    out = []
    for pvc in found:
        meta = pvc.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get(MANAGED_BY) == MANAGER_VALUE or any(
            str(meta.get("name")).startswith(p) for p in prefixes
        ):
            out.append(pvc)
    return out


def undeploy(kube: Kube, namespace: str, service: str, *, delete_volumes: bool = False) -> list[Change]:
    """Delete what we created for a service; claims are ``kept`` unless ``delete_volumes``."""
    try:
        name = find_workload(kube, namespace, service).name
    except NotFound:
        if ":" in service:
            raise
        name = service  # the workload may be gone already; its config may not
    selector = f"{OURS},{INSTANCE}={name}"
    targets: list[tuple[str, dict[str, Any]]] = [
        (kind, obj) for kind in UNDEPLOY_KINDS for obj in _list(kube, kind, namespace, selector)
    ]
    workloads = [Workload(k, str(o["metadata"]["name"]), namespace, o) for k, o in targets if k in WORKLOADS]
    claims = _claims(kube, namespace, name, workloads)
    if not targets and not claims:
        raise NotFound(f"nothing of {service!r} deployed by ushadow in namespace {namespace}")
    doomed = targets + ([("PersistentVolumeClaim", c) for c in claims] if delete_volumes else [])
    check_access(kube, namespace, [("delete", *resource_of(kind)) for kind, _ in doomed])
    changes: list[Change] = []
    for kind, obj in doomed:
        obj_name = str(obj["metadata"]["name"])
        try:
            send(
                kube,
                "DELETE",
                object_path(kind, obj_name, namespace),
                body={"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"},
                what=f"deleting {kind} {obj_name} in {namespace}",
            )
        except NotFound:
            continue
        changes.append(Change(kind, obj_name, namespace, "deleted"))
    if not delete_volumes:
        note = "kept (give --delete-volumes to remove its data)"
        changes += [
            Change("PersistentVolumeClaim", str(c["metadata"]["name"]), namespace, "kept", note=note)
            for c in claims
        ]
    return changes


# -- on a stored cluster, audited -----------------------------------------------------------------


class Operator:
    """Day-2 operations on a stored cluster: ``with Operator(store, settings, "prod") as ops: ...``.

    Every cluster error names the cluster, and every change goes to the audit trail with ``actor``.
    ``kube`` is there for the module's functions that :class:`Operator` does not wrap.
    """

    def __init__(self, store: Store, settings: Settings, cluster: str, *, actor: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.cluster_ref = cluster
        self.actor = actor
        self._stack = ExitStack()
        self.cluster: Cluster
        self.kube: Kube

    def __enter__(self) -> Operator:
        self.cluster, self.kube = self._stack.enter_context(
            connect(self.store, self.settings, self.cluster_ref)
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.__exit__(*exc)  # type: ignore[arg-type]

    def namespace(self, namespace: str | None) -> str:
        from core.clusters import validate_namespace

        return validate_namespace(namespace or self.cluster.namespace)

    def _audit(self, action: str, namespace: str, name: str, detail: dict[str, Any]) -> None:
        self.store.audit(
            action, f"{namespace}/{name}", {"cluster": self.cluster.name, **detail}, actor=self.actor
        )

    def status(self, namespace: str | None = None, service: str | None = None) -> list[WorkloadStatus]:
        with named(self.cluster.name):
            return status(self.kube, self.namespace(namespace), service)

    def logs(self, namespace: str | None, service: str, **kwargs: Any) -> list[PodLog]:
        with named(self.cluster.name):
            return logs(self.kube, self.namespace(namespace), service, **kwargs)

    def restart(self, namespace: str | None, service: str) -> Workload:
        with named(self.cluster.name):
            w = restart(self.kube, self.namespace(namespace), service)
        self._audit("restart", w.namespace, w.name, {"kind": w.kind})
        return w

    def scale(self, namespace: str | None, service: str, replicas: int) -> tuple[Workload, int]:
        with named(self.cluster.name):
            w, before = scale(self.kube, self.namespace(namespace), service, replicas)
        self._audit("scale", w.namespace, w.name, {"kind": w.kind, "from": before, "to": replicas})
        return w, before

    def wait(self, w: Workload, *, timeout: float, progress: Progress | None = None) -> RolloutStatus:
        with named(self.cluster.name):
            return wait_for_rollout(
                self.kube,
                kind=w.kind,
                name=w.name,
                namespace=w.namespace,
                timeout=timeout,
                progress=progress,
                where=f" on cluster {self.cluster.name}",
            )

    def undeploy(self, namespace: str | None, service: str, *, delete_volumes: bool = False) -> list[Change]:
        ns = self.namespace(namespace)
        with named(self.cluster.name):
            changes = undeploy(self.kube, ns, service, delete_volumes=delete_volumes)
        deleted = [c.ref for c in changes if c.action == "deleted"]
        self._audit("undeploy", ns, service, {"deleted": deleted, "delete_volumes": delete_volumes})
        return changes


# -- deploy-infra / deploy-app / deploy-all ---------------------------------------------------------


@dataclass(frozen=True)
class GroupItem:
    service_id: str
    infra: bool
    status: str  # dry-run, applied, ready, failed, skipped
    message: str | None
    outcome: DeployOutcome | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "service_id": self.service_id,
            "infra": self.infra,
            "status": self.status,
            "message": self.message,
        }
        if self.outcome is not None:
            data["deployment"] = self.outcome.to_json()
        return data


def deploy_group(
    store: Store,
    settings: Settings,
    *,
    cluster: str,
    group: Literal["infra", "app", "all"],
    namespace: str | None = None,
    env: dict[str, str] | None = None,
    wait: bool = False,
    dry_run: bool = False,
    timeout: float = 300.0,
    registry_dirs: Sequence[Path] | None = None,
    progress: Progress | None = None,
    actor: str | None = None,
) -> list[GroupItem]:
    """Deploy the registry's infrastructure, its apps, or both: infrastructure first, each waited for
    until ready, then the namespace is scanned again so that the apps are wired to it.

    ``env`` values go to each service that asks for them. A service that cannot be deployed (a
    broken file, a required variable without a value, a failed rollout) is reported and the others
    go on; with ``all``, a failed infrastructure service stops the apps. A cluster error (forbidden,
    unreachable) stops everything and is raised.
    """
    dirs = registry_dirs if registry_dirs is not None else settings.compose_dirs
    entries = load_entry_list(dirs)
    say = progress or (lambda _m, _f: None)
    infra = [e for e in entries if e.infra] if group in ("infra", "all") else []
    apps = [e for e in entries if not e.infra] if group in ("app", "all") else []
    items: list[GroupItem] = []
    for phase, batch in (("infra", infra), ("app", apps)):
        if phase == "app" and group == "all":
            if any(i.status == "failed" for i in items):
                items += [GroupItem(e.service_id, False, "skipped", "infrastructure failed") for e in batch]
                break
            if infra and not dry_run:
                _rescan(store, settings, cluster, namespace, actor)
        for entry in batch:
            if entry.spec is None or entry.error:
                items.append(
                    GroupItem(entry.service_id, entry.infra, "skipped", entry.error or "cannot be read")
                )
                continue
            say(f"deploying {entry.service_id}", len(items) / max(len(infra) + len(apps), 1))
            asked = set(entry.spec.environment) | set(entry.spec.variables)
            try:
                outcome = deploy_service(
                    store,
                    settings,
                    cluster=cluster,
                    service_id=entry.service_id,
                    namespace=namespace,
                    env={k: v for k, v in (env or {}).items() if k in asked},
                    dry_run=dry_run,
                    wait=wait or (phase == "infra" and group == "all"),
                    timeout=timeout,
                    registry_dirs=dirs,
                    progress=progress,
                    actor=actor,
                )
            except ClusterError:
                raise
            except UshadowError as exc:
                items.append(GroupItem(entry.service_id, entry.infra, "failed", exc.message))
                continue
            items.append(GroupItem(entry.service_id, entry.infra, outcome.status, outcome.message, outcome))
    return items


def _rescan(store: Store, settings: Settings, cluster: str, namespace: str | None, actor: str | None) -> None:
    """Scan the namespace again (its new infrastructure) and store the scan."""
    from core.scanjobs import run_scan

    run_scan(store, settings, cluster, namespaces=[namespace] if namespace else None, actor=actor)
