"""Day-2 operations on what ushadow deployed (the old ``k8s-helpers.sh``): status, logs, rollout
restart, scale, undeploy. Calls out.

The work is done by functions that take a :class:`~core.clusters.kube.Kube`: finding the workload a
``service`` means (``core.operate.finding``), status and logs (``core.operate.inspecting``), restart and scale
(``core.operate.patching``), undeploy (``core.operate.undeploying``); deploying the registry as a group is
``core.deploy.groupdeploying``. :class:`Operator` opens a ``Kube`` for a stored cluster, names the cluster
in every cluster error, and writes each change to the audit trail. All of those names are
re-exported here, so ``from core.operate.operating import Operator, deploy_group`` keeps working.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from core.clusters.kube import Kube
from core.clusters.sessions import connect, named
from core.deploy.changes import Change
from core.deploy.rollouts import RolloutStatus
from core.deploy.watching import Progress, wait_for_rollout
from core.operate.finding import Workload
from core.operate.inspecting import PodLog, WorkloadStatus, logs, status
from core.operate.patching import restart, scale
from core.operate.undeploying import undeploy
from core.settings import Settings
from core.store.records import Cluster
from core.store.store import Store


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
        from core.clusters.registering import validate_namespace

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
