"""Day-2 operations on what ushadow deployed (the old ``k8s-helpers.sh``): status, logs, rollout
restart, scale, undeploy. Calls out.

The work is done by functions that take a :class:`~core.clusters.kube.Kube`: finding the workload a
``service`` means (``core.operate.finding``), status and logs (``core.operate.inspecting``), restart and scale
(``core.operate.patching``), undeploy (``core.operate.undeploying``); deploying the registry as a group is
``core.deploy.groupdeploying``. :class:`Operator` opens a ``Kube`` for a stored cluster, names the cluster
in every cluster error, and writes each change to the audit trail.

Without a namespace, a command looks where ushadow deployed on that cluster (the deployment
records, and the cluster's own namespace): ``status`` lists every one of them, and a command about
one service finds the namespace that holds it, or names the namespaces when several do.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from core.clusters.kube import Kube
from core.clusters.sessions import connect, named
from core.deploy.changes import Change
from core.deploy.rollouts import RolloutStatus
from core.deploy.watching import Progress, wait_for_rollout
from core.errors import InvalidInput, NotFound
from core.operate.execing import ExecResult, Output, exec_in_workload
from core.operate.finding import Workload, find_workload
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

    def deployed_namespaces(self) -> list[str]:
        """The cluster's namespace and every namespace where ushadow deployed on it."""
        return sorted({self.cluster.namespace, *self.store.deployed_namespaces(self.cluster.cluster_id)})

    def where(self, namespace: str | None, service: str, *, missing_ok: bool = False) -> str:
        """The namespace a command about ``service`` means: the one given, or the one where it runs
        (``missing_ok``: the cluster's namespace when it runs nowhere, for idempotent commands)."""
        if namespace:
            return self.namespace(namespace)
        searched = self.deployed_namespaces()
        if len(searched) == 1:  # nothing to choose from: the command itself says what is missing
            return searched[0]
        with named(self.cluster.name):
            holding = [ns for ns in searched if _holds(self.kube, ns, service)]
        if len(holding) == 1:
            return holding[0]
        if not holding and missing_ok:
            return self.namespace(None)
        if holding:
            raise InvalidInput(
                f"{service} is deployed in several namespaces: {', '.join(holding)}",
                hint=f"name one with -n (for example -n {holding[0]})",
            )
        raise NotFound(
            f"no workload {service!r} in the namespaces ushadow deployed to on {self.cluster.name}: "
            f"{', '.join(searched)}",
            hint="`ushadow-ops status CLUSTER` lists what is deployed; name another namespace with -n",
        )

    def status(self, namespace: str | None = None, service: str | None = None) -> list[WorkloadStatus]:
        """One namespace's workloads (or one service's); without a namespace, every namespace where
        ushadow deployed."""
        if namespace or service:
            ns = self.where(namespace, service) if service else self.namespace(namespace)
            with named(self.cluster.name):
                return status(self.kube, ns, service)
        found: list[WorkloadStatus] = []
        with named(self.cluster.name):
            for ns in self.deployed_namespaces():
                try:
                    found += status(self.kube, ns)
                except NotFound:  # a namespace deleted since: nothing runs there
                    continue
        return found

    def logs(self, namespace: str | None, service: str, **kwargs: Any) -> list[PodLog]:
        ns = self.where(namespace, service)
        with named(self.cluster.name):
            return logs(self.kube, ns, service, **kwargs)

    def restart(self, namespace: str | None, service: str) -> Workload:
        with named(self.cluster.name):
            w = restart(self.kube, self.where(namespace, service), service)
        self._audit("restart", w.namespace, w.name, {"kind": w.kind})
        return w

    def scale(self, namespace: str | None, service: str, replicas: int) -> tuple[Workload, int]:
        with named(self.cluster.name):
            w, before = scale(self.kube, self.where(namespace, service), service, replicas)
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

    def exec(
        self,
        namespace: str | None,
        service: str,
        command: list[str],
        *,
        pod: str | None = None,
        container: str | None = None,
        timeout: float = 60.0,
        output: Output | None = None,
    ) -> ExecResult:
        """Run ``command`` in a pod of ``service`` (``core.operate.execing``); recorded with its exit status."""
        ns = self.where(namespace, service)
        with named(self.cluster.name):
            result = exec_in_workload(
                self.kube, ns, service, command, pod=pod, container=container, timeout=timeout, output=output
            )
        detail = {"container": result.container, "command": command, "exit_code": result.exit_code}
        self._audit("exec", ns, result.pod, detail)
        return result

    def undeploy(self, namespace: str | None, service: str, *, delete_volumes: bool = False) -> list[Change]:
        ns = self.where(namespace, service, missing_ok=True)
        with named(self.cluster.name):
            changes = undeploy(self.kube, ns, service, delete_volumes=delete_volumes)
        deleted = [c.ref for c in changes if c.action == "deleted"]
        self._audit("undeploy", ns, service, {"deleted": deleted, "delete_volumes": delete_volumes})
        return changes


def _holds(kube: Kube, namespace: str, service: str) -> bool:
    """Whether ``namespace`` has the workload ``service`` means."""
    try:
        find_workload(kube, namespace, service)
    except NotFound:
        return False
    return True
