"""Jobs and CronJobs as ``status`` and ``deploy --wait`` read them (pure, over the API's JSON).

- A **Job** is done when its ``Complete`` condition is true, failed when its ``Failed`` condition
  is (``BackoffLimitExceeded``, ``DeadlineExceeded``, with the controller's message); status shows
  completions (succeeded of wanted), failed and active pods.
- A **CronJob** has nothing to wait for: applying it is the whole rollout. Status shows its
  schedule, whether it is suspended, its last schedule and last successful time, and the Jobs it
  runs now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]
JOB_KINDS = ("Job", "CronJob")


@dataclass(frozen=True)
class JobState:
    kind: str
    name: str
    completions: int = 1
    succeeded: int = 0
    failed: int = 0
    active: int = 0
    complete: bool = False
    failure: str | None = None
    schedule: str | None = None
    suspended: bool = False
    last_schedule_time: str | None = None
    last_successful_time: str | None = None
    active_jobs: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.kind == "CronJob" or self.complete

    @property
    def fraction(self) -> float:
        if self.done:
            return 1.0
        return min(self.succeeded / max(self.completions, 1), 0.99)

    def text(self) -> str:
        if self.kind == "CronJob":
            last = self.last_schedule_time or "never"
            return (
                f"cronjob {self.name}: schedule {self.schedule!r}{' (suspended)' if self.suspended else ''}, "
                f"last run {last}, {len(self.active_jobs)} job(s) running"
            )
        state = "complete" if self.complete else "failed" if self.failure else "running"
        return (
            f"job {self.name}: {state}, {self.succeeded}/{self.completions} completions, "
            f"{self.failed} failed, {self.active} active"
        )

    def to_json(self) -> dict[str, Any]:
        if self.kind == "CronJob":
            return {
                "schedule": self.schedule,
                "suspended": self.suspended,
                "last_schedule_time": self.last_schedule_time,
                "last_successful_time": self.last_successful_time,
                "active_jobs": list(self.active_jobs),
            }
        return {
            "completions": self.completions,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "active": self.active,
            "complete": self.complete,
            "failure": self.failure,
        }


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def job_state(workload: Json) -> JobState:
    """The state of a Job or CronJob object."""
    kind = str(workload.get("kind") or "Job")
    name = str((workload.get("metadata") or {}).get("name") or "")
    spec = workload.get("spec") or {}
    status = workload.get("status") or {}
    if kind == "CronJob":
        return JobState(
            kind,
            name,
            completions=0,
            schedule=spec.get("schedule"),
            suspended=bool(spec.get("suspend")),
            last_schedule_time=status.get("lastScheduleTime"),
            last_successful_time=status.get("lastSuccessfulTime"),
            active_jobs=sorted(str(r.get("name")) for r in status.get("active") or ()),
        )
    complete, failure = False, None
    for cond in status.get("conditions") or ():
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            complete = True
        elif cond.get("type") == "Failed":
            failure = f"{cond.get('reason') or 'Failed'}: {cond.get('message') or ''}".strip().rstrip(":")
    wanted = spec.get("completions")
    return JobState(
        kind,
        name,
        completions=1 if wanted is None else _int(wanted),
        succeeded=_int(status.get("succeeded")),
        failed=_int(status.get("failed")),
        active=_int(status.get("active")),
        complete=complete,
        failure=failure,
    )


def newest(objects: Sequence[Json]) -> Json | None:
    """The most recently created of ``objects`` (Jobs of a CronJob, pods of a Job)."""
    return max(
        objects, key=lambda o: str((o.get("metadata") or {}).get("creationTimestamp") or ""), default=None
    )


def owned_by(objects: Sequence[Json], owner: Json) -> list[Json]:
    """Those of ``objects`` whose owner reference names ``owner`` (by uid)."""
    uid = (owner.get("metadata") or {}).get("uid")
    return [
        o
        for o in objects
        if any(r.get("uid") == uid for r in (o.get("metadata") or {}).get("ownerReferences") or ())
    ]


def exit_detail(pod: Json) -> str | None:
    """How the pod's containers ended: ``container migrate exited with code 3 (Error)``."""
    parts = []
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        ended = (cs.get("state") or {}).get("terminated") or (cs.get("lastState") or {}).get("terminated")
        if ended and ended.get("exitCode") not in (None, 0):
            reason = ended.get("reason") or "terminated"
            parts.append(f"container {cs.get('name')} exited with code {ended.get('exitCode')} ({reason})")
    return "; ".join(parts) or None
