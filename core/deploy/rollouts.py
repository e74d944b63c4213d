"""Reading a rollout: is a Deployment or StatefulSet done, and if not, why. Pure functions over the
raw JSON the API server returns (workloads, ReplicaSets, Pods, Events), no I/O.

Done means what ``kubectl rollout status`` means: the controller has seen the latest generation,
every replica runs the new template, no old replica is left, and all are ready (and available, for
Deployments; for StatefulSets ``currentRevision == updateRevision``). Why it is not done comes from
the pods of the *current* template (an old ReplicaSet's broken pods do not fail a fixed rollout):
waiting reasons (``ImagePullBackOff`` with the image, ``CrashLoopBackOff`` with the last
termination), ``Unschedulable`` with the scheduler's message, and Warning events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.deploy.jobstates import JOB_KINDS, JobState, job_state
from core.errors import RolloutFailed as RolloutFailed  # re-exported: callers import it from here too

Json = Mapping[str, Any]

# Waiting reasons that do not go away by themselves: the rollout fails at once.
FATAL_REASONS = frozenset(
    {
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "CrashLoopBackOff",
        "RunContainerError",
    }
)
IMAGE_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull", "InvalidImageName"})
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class RolloutStatus:
    kind: str
    name: str
    generation: int
    observed_generation: int
    desired: int
    updated: int
    ready: int
    available: int
    total: int  # every replica, old ones included
    current_revision: str | None = None
    update_revision: str | None = None
    failure: str | None = None  # ProgressDeadlineExceeded, ReplicaFailure, a Job's Failed condition
    job: JobState | None = None  # a Job's or CronJob's own state (``core.deploy.jobstates``)

    @property
    def observed(self) -> bool:
        """Whether the controller has seen the current generation: until then the pods, revision
        and conditions still describe the previous one (a failed rollout being rolled back)."""
        return self.observed_generation >= self.generation

    @property
    def done(self) -> bool:
        if self.job is not None:
            return self.job.done
        if self.observed_generation < self.generation:
            return False
        if self.updated < self.desired or self.ready < self.desired or self.total > self.updated:
            return False
        if self.kind == "StatefulSet":
            return self.desired == 0 or self.current_revision == self.update_revision
        return self.available >= self.desired

    @property
    def fraction(self) -> float:
        if self.job is not None:
            return self.job.fraction
        if self.done:
            return 1.0
        if self.desired == 0:
            return 0.0
        parts = (
            min(self.updated, self.desired)
            + min(self.ready, self.desired)
            + min(self.available, self.desired)
        )
        return min(parts / (3 * self.desired), 0.99)

    def text(self) -> str:
        if self.job is not None:
            return self.job.text()
        seen = (
            ""
            if self.observed_generation >= self.generation
            else f", waiting for generation {self.generation}"
        )
        old = self.total - self.updated
        return (
            f"{self.kind.lower()} {self.name}: {self.updated}/{self.desired} updated, {self.ready}/{self.desired} "
            f"ready, {self.available} available" + (f", {old} old replica(s) left" if old > 0 else "") + seen
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "generation": self.generation,
            "observed_generation": self.observed_generation,
            "desired": self.desired,
            "updated": self.updated,
            "ready": self.ready,
            "available": self.available,
            "done": self.done,
            "current_revision": self.current_revision,
            "update_revision": self.update_revision,
            **({"job": self.job.to_json()} if self.job is not None else {}),
        }


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def rollout_status(workload: Json) -> RolloutStatus:
    """The rollout state of a Deployment or StatefulSet object (or a Job's or CronJob's state)."""
    if workload.get("kind") in JOB_KINDS:
        return _job_rollout(workload)
    meta = workload.get("metadata") or {}
    spec = workload.get("spec") or {}
    status = workload.get("status") or {}
    kind = str(workload.get("kind") or "Deployment")
    desired = spec.get("replicas")
    failure = None
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            failure = f"progress deadline exceeded: {cond.get('message') or ''}".strip()
        if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
            failure = f"{cond.get('reason') or 'ReplicaFailure'}: {cond.get('message') or ''}".strip()
    return RolloutStatus(
        kind=kind,
        name=str(meta.get("name") or ""),
        generation=_int(meta.get("generation")),
        observed_generation=_int(status.get("observedGeneration")),
        desired=1 if desired is None else _int(desired),
        updated=_int(status.get("updatedReplicas")),
        ready=_int(status.get("readyReplicas")),
        available=_int(status.get("availableReplicas")),
        total=_int(status.get("replicas")),
        current_revision=status.get("currentRevision"),
        update_revision=status.get("updateRevision"),
        failure=failure,
    )


def _job_rollout(workload: Json) -> RolloutStatus:
    job = job_state(workload)
    meta = workload.get("metadata") or {}
    generation = _int(meta.get("generation"))
    return RolloutStatus(
        kind=job.kind,
        name=job.name,
        generation=generation,
        observed_generation=generation,
        desired=job.completions,
        updated=job.succeeded,
        ready=job.succeeded,
        available=job.succeeded,
        total=job.succeeded,
        failure=job.failure,
        job=job,
    )


def current_pods(workload: Json, pods: Sequence[Json], replicasets: Sequence[Json] = ()) -> list[Json]:
    """The pods that run the workload's current template (all its pods when that cannot be told)."""
    kind = workload.get("kind")
    if kind == "StatefulSet":
        revision = (workload.get("status") or {}).get("updateRevision")
        if revision:
            return [p for p in pods if _labels(p).get("controller-revision-hash") == revision]
        return list(pods)
    revision = ((workload.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    uid = (workload.get("metadata") or {}).get("uid")
    for rs in replicasets:
        rs_meta = rs.get("metadata") or {}
        owners = [o.get("uid") for o in rs_meta.get("ownerReferences") or ()]
        if (
            uid in owners
            and revision
            and (rs_meta.get("annotations") or {}).get(REVISION_ANNOTATION) == revision
        ):
            wanted = _labels(rs).get("pod-template-hash")
            return [p for p in pods if wanted and _labels(p).get("pod-template-hash") == wanted]
    return list(pods)


def _labels(obj: Json) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


@dataclass(frozen=True)
class PodProblem:
    pod: str
    reason: str
    message: str
    fatal: bool

    def text(self) -> str:
        return f"pod {self.pod}: {self.message}"


def _container_problem(pod: str, status: Json, image: str | None) -> PodProblem | None:
    name = status.get("name") or "?"
    waiting = (status.get("state") or {}).get("waiting") or {}
    reason = waiting.get("reason")
    if not reason or reason in ("ContainerCreating", "PodInitializing"):
        return None
    detail = waiting.get("message") or ""
    if reason in IMAGE_REASONS:
        shown = status.get("image") or image or "?"
        message = f"container {name} cannot pull image {shown!r} ({reason})"
    elif reason == "CrashLoopBackOff":
        last = (status.get("lastState") or {}).get("terminated") or {}
        how = last.get("reason") or "terminated"
        code = last.get("exitCode")
        message = (
            f"container {name} keeps crashing (CrashLoopBackOff, restarted {_int(status.get('restartCount'))} "
            f"times; last exit: {how}" + (f", exit code {code}" if code is not None else "") + ")"
        )
        detail = last.get("message") or detail
    else:
        message = f"container {name} is waiting: {reason}"
    if detail:
        message += f": {detail}"
    return PodProblem(pod, reason, message, reason in FATAL_REASONS)


def pod_problems(pods: Sequence[Json], events: Sequence[Json] = ()) -> list[PodProblem]:
    """What keeps these pods from being ready, with the latest Warning event of each pod."""
    warnings: dict[str, list[Json]] = {}
    for event in events:
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if event.get("type") == "Warning" and involved.get("kind", "Pod") == "Pod" and involved.get("name"):
            warnings.setdefault(str(involved["name"]), []).append(event)
    problems: list[PodProblem] = []
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        name = str(meta.get("name") or "?")
        spec = pod.get("spec") or {}
        status = pod.get("status") or {}
        images = {
            c.get("name"): c.get("image")
            for c in [*spec.get("initContainers", ()), *spec.get("containers", ())]
        }
        found: list[PodProblem] = []
        for cond in status.get("conditions") or ():
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                reason = cond.get("reason") or "Unschedulable"
                found.append(
                    PodProblem(
                        name,
                        reason,
                        f"cannot be scheduled ({reason}): {cond.get('message') or ''}".rstrip(": "),
                        False,
                    )
                )
        for cs in [*status.get("initContainerStatuses", ()), *status.get("containerStatuses", ())]:
            problem = _container_problem(name, cs, images.get(cs.get("name")))
            if problem is not None:
                found.append(problem)
        latest = sorted(warnings.get(name, []), key=_event_time)[-1:] if name in warnings else []
        if latest:
            event = latest[0]
            note = f"event {event.get('reason') or 'Warning'}: {event.get('message') or event.get('note') or ''}".strip()
            if found:
                first = found[0]
                found[0] = PodProblem(first.pod, first.reason, f"{first.message}; {note}", first.fatal)
            else:
                found.append(PodProblem(name, str(event.get("reason") or "Warning"), note, False))
        problems.extend(found)
    return problems


def _event_time(event: Json) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp") or "")


def explain(status: RolloutStatus, problems: Sequence[PodProblem], *, limit: int = 3) -> str:
    """One paragraph: the rollout state and the first few problems."""
    parts = [status.failure] if status.failure else []
    parts += [p.text() for p in problems[:limit]]
    if len(problems) > limit:
        parts.append(f"and {len(problems) - limit} more problem(s)")
    return "; ".join(parts)


# -- pods at a glance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PodSummary:
    name: str
    phase: str
    ready: str  # "1/1"
    restarts: int
    images: list[str]
    node: str | None
    age: str
    reason: str | None  # why it is not ready, when it is not
    containers: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phase": self.phase,
            "ready": self.ready,
            "restarts": self.restarts,
            "images": list(self.images),
            "node": self.node,
            "age": self.age,
            "reason": self.reason,
            "containers": list(self.containers),
        }


def age_text(seconds: float) -> str:
    """``42s``, ``5m``, ``3h12m``, ``2d4h``: what kubectl's AGE column says."""
    s = max(int(seconds), 0)
    if s < 120:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        hours, minutes = divmod(s // 60, 60)
        return f"{hours}h{minutes}m" if minutes and hours < 10 else f"{hours}h"
    days, hours = divmod(s // 3600, 24)
    return f"{days}d{hours}h" if hours and days < 10 else f"{days}d"


def pod_summary(pod: Json, *, now: datetime) -> PodSummary:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    containers = [str(c.get("name")) for c in spec.get("containers") or ()]
    ready = sum(1 for c in statuses if c.get("ready"))
    created = _parse_time(meta.get("creationTimestamp"))
    phase = str(status.get("phase") or "Unknown")
    if meta.get("deletionTimestamp"):
        phase = "Terminating"
    problems = pod_problems([pod])
    return PodSummary(
        name=str(meta.get("name") or ""),
        phase=phase,
        ready=f"{ready}/{len(containers)}",
        restarts=sum(_int(c.get("restartCount")) for c in statuses),
        images=[str(c.get("image")) for c in spec.get("containers") or ()],
        node=spec.get("nodeName"),
        age=age_text((now - created).total_seconds()) if created else "?",
        reason=problems[0].reason if problems else None,
        containers=containers,
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
