"""Following a rollout until it is ready, or saying why it is not. Calls out.

The workload is polled (one GET, plus the pods, ReplicaSets and Warning events of its namespace
while it is not done); progress is reported whenever it changes. A rollout fails at once when the
current template's pods hit a reason that does not pass by itself (``ImagePullBackOff``,
``CrashLoopBackOff``, ...; see ``core.deploy.rollouts``) or the controller gives up
(``ProgressDeadlineExceeded``), and at the deadline otherwise, each time with the reason read from
the pods and their events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from core.clusters.kube import Kube
from core.deploy.applying import object_path
from core.deploy.jobstates import exit_detail, newest
from core.deploy.rollouts import (
    PodProblem,
    RolloutStatus,
    current_pods,
    explain,
    pod_problems,
    rollout_status,
)
from core.errors import RolloutFailed, UshadowError

Progress = Callable[[str, float], None]


def selector_text(workload: Mapping[str, Any]) -> str:
    """The workload's ``matchLabels`` as a label selector string."""
    labels = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def list_pods(kube: Kube, namespace: str, selector: str) -> list[dict[str, Any]]:
    return kube.list_all(
        f"/api/v1/namespaces/{namespace}/pods",
        {"labelSelector": selector},
        what=f"listing pods in {namespace}",
    )


def diagnose(kube: Kube, workload: Mapping[str, Any], namespace: str) -> list[PodProblem]:
    """What keeps the workload's current pods from being ready."""
    selector = selector_text(workload)
    if not selector:
        return []
    pods = list_pods(kube, namespace, selector)
    replicasets: list[dict[str, Any]] = []
    if workload.get("kind") == "Deployment":
        replicasets = kube.list_all(
            f"/apis/apps/v1/namespaces/{namespace}/replicasets",
            {"labelSelector": selector},
            what=f"listing replicasets in {namespace}",
        )
    current = current_pods(workload, pods, replicasets)
    if not current:
        return []
    events = kube.list_all(
        f"/api/v1/namespaces/{namespace}/events",
        {"fieldSelector": "type=Warning,involvedObject.kind=Pod"},
        what=f"listing events in {namespace}",
    )
    names = {(p.get("metadata") or {}).get("name") for p in current}
    events = [e for e in events if (e.get("involvedObject") or {}).get("name") in names]
    return pod_problems(current, events)


def wait_for_rollout(
    kube: Kube,
    *,
    kind: str,
    name: str,
    namespace: str,
    timeout: float,
    progress: Progress | None = None,
    interval: float = 1.0,
    where: str = "",
) -> RolloutStatus:
    """Poll until the rollout is done; raise :class:`RolloutFailed` with the reason otherwise.

    A Job is done when it completes, and fails with its ``Failed`` condition, its newest pod's exit
    code and the end of that pod's log; a CronJob is done once applied (``core.deploy.jobstates``).

    ``where`` names the cluster in messages (``" on cluster prod"``).
    """
    path = object_path(kind, name, namespace)
    deadline = time.monotonic() + timeout
    last = ""
    subject = f"{kind} {name} in namespace {namespace}{where}"
    while True:
        workload = kube.get_json(path, what=f"reading {kind} {name}")
        status = rollout_status(workload)
        if progress is not None and status.text() != last:
            last = status.text()
            progress(last, status.fraction)
        if status.done:
            return status
        problems = diagnose(kube, workload, namespace) if status.observed else []
        fatal = [p for p in problems if p.fatal]
        if status.job is not None and status.failure:
            raise RolloutFailed(
                f"{subject} failed: {status.failure}{job_failure_detail(kube, workload, namespace)}",
                hint=f"`ushadow-ops logs CLUSTER {name} -n {namespace}` shows the whole log of its newest pod",
            )
        if status.observed and (status.failure or fatal):  # else nothing is judged yet
            raise RolloutFailed(
                f"{subject} did not become ready: {explain(status, fatal or problems)}",
                hint=_hint(fatal or problems),
            )
        if time.monotonic() >= deadline:
            reason = explain(status, problems) or "no pod reported a problem"
            raise RolloutFailed(
                f"{subject} was not ready after {timeout:g}s ({status.text()}): {reason}",
                hint=_hint(problems) or "wait longer (--timeout), or look at `ushadow-ops status` and `logs`",
            )
        time.sleep(interval)


LOG_TAIL_LINES = 20


def job_failure_detail(kube: Kube, job: Mapping[str, Any], namespace: str) -> str:
    """``; pod P: container C exited with code 3 (Error); its log ends: ...`` for a failed Job."""
    pods = list_pods(kube, namespace, selector_text(job))
    pod = newest(pods)
    if pod is None:
        return ""
    name = str(pod["metadata"]["name"])
    text = f"; pod {name}: {exit_detail(pod) or 'no container exit code'}"
    containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or ()]
    if containers:
        try:
            log = read_log(
                kube,
                f"/api/v1/namespaces/{namespace}/pods/{name}/log",
                {"container": containers[0], "tailLines": str(LOG_TAIL_LINES)},
            )
        except UshadowError:  # the log may be gone with the node; the exit code still says enough
            log = ""
        if log.strip():
            text += f"; its log ends:\n{log.rstrip()}"
    return text


def read_log(kube: Kube, path: str, query: dict[str, str]) -> str:
    """Plain text from a pod's log endpoint (not JSON), within the client's deadline."""
    return kube.get_text(path, query, what=f"reading {path}")


def _hint(problems: list[PodProblem]) -> str | None:
    reasons = {p.reason for p in problems}
    if reasons & {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}:
        return "check the image name and tag, and that the cluster may pull it (imagePullSecrets)"
    if "CrashLoopBackOff" in reasons:
        return "the container exits: `ushadow-ops logs CLUSTER SERVICE --previous` shows why"
    if "Unschedulable" in reasons:
        return "no node can take the pod: check resource requests, node selectors and taints"
    if reasons & {"CreateContainerConfigError", "CreateContainerError"}:
        return "a ConfigMap, Secret or key the pod refers to is missing"
    return None
