"""Reading rollouts, pods and changes from API JSON (pure: tables of objects as the server sends them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.deploy.changes import changed_paths, owns
from core.deploy.rollouts import age_text, current_pods, explain, pod_problems, pod_summary, rollout_status


def deployment(desired: int | None, generation: int = 2, **status: int) -> dict[str, Any]:
    spec: dict[str, Any] = {} if desired is None else {"replicas": desired}
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": generation},
        "spec": spec,
        "status": status,
    }


@pytest.mark.parametrize(
    ("obj", "done"),
    [
        (deployment(2, observedGeneration=2, replicas=2, updatedReplicas=2, readyReplicas=2, availableReplicas=2), True),
        # the controller has not seen the new generation: old numbers mean nothing yet
        (deployment(2, observedGeneration=1, replicas=2, updatedReplicas=2, readyReplicas=2, availableReplicas=2), False),
        (deployment(2, observedGeneration=2, replicas=3, updatedReplicas=2, readyReplicas=2, availableReplicas=2), False),
        (deployment(2, observedGeneration=2, replicas=2, updatedReplicas=1, readyReplicas=2, availableReplicas=2), False),
        (deployment(2, observedGeneration=2, replicas=2, updatedReplicas=2, readyReplicas=1, availableReplicas=1), False),
        (deployment(2, observedGeneration=2, replicas=2, updatedReplicas=2, readyReplicas=2, availableReplicas=1), False),
        (deployment(0, observedGeneration=2), True),
        (deployment(None, observedGeneration=2, replicas=1, updatedReplicas=1, readyReplicas=1, availableReplicas=1), True),
        (
            {
                "kind": "StatefulSet",
                "metadata": {"name": "db", "generation": 1},
                "spec": {"replicas": 1},
                "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                           "currentRevision": "db-1", "updateRevision": "db-2"},
            },
            False,
        ),
        (
            {
                "kind": "StatefulSet",
                "metadata": {"name": "db", "generation": 1},
                "spec": {"replicas": 1},
                "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                           "currentRevision": "db-2", "updateRevision": "db-2"},
            },
            True,
        ),
    ],
)  # fmt: skip
def test_rollout_done(obj: dict[str, Any], done: bool) -> None:
    status = rollout_status(obj)
    assert status.done is done
    assert (status.fraction == 1.0) is done


@pytest.mark.parametrize(("observed", "generation", "seen"), [(1, 2, False), (2, 2, True), (3, 2, True)])
def test_a_generation_the_controller_has_not_seen_is_not_judged(
    observed: int, generation: int, seen: bool
) -> None:
    """wait_for_rollout judges pods and conditions only once the controller has seen the generation:
    right after rolling a failed rollout back, they still describe the failed one."""
    status = rollout_status(deployment(1, generation, observedGeneration=observed))
    assert status.observed is seen
    assert not status.done or seen


def test_progress_deadline_is_a_failure() -> None:
    obj = deployment(1, observedGeneration=2, replicas=1, updatedReplicas=1)
    obj["status"]["conditions"] = [
        {
            "type": "Progressing",
            "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": "too slow",
        }
    ]
    status = rollout_status(obj)
    assert status.failure == "progress deadline exceeded: too slow"
    assert explain(status, []) == "progress deadline exceeded: too slow"


def pod(
    name: str, *, statuses: list[dict[str, Any]] = (), conditions: list[dict[str, Any]] = (), **labels: str
) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "metadata": {"name": name, "labels": labels, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "app", "image": "shop:1"}], "nodeName": "n1"},
        "status": {"phase": "Pending", "containerStatuses": list(statuses), "conditions": list(conditions)},
    }


PULL = {
    "name": "app",
    "image": "ghcr.io/x/shop:does-not-exist",
    "restartCount": 0,
    "state": {
        "waiting": {
            "reason": "ImagePullBackOff",
            "message": 'Back-off pulling image "ghcr.io/x/shop:does-not-exist"',
        }
    },
}
CRASH = {
    "name": "app",
    "image": "shop:1",
    "restartCount": 4,
    "state": {
        "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}
    },
    "lastState": {"terminated": {"reason": "Error", "exitCode": 3}},
}
UNSCHEDULABLE = {
    "type": "PodScheduled",
    "status": "False",
    "reason": "Unschedulable",
    "message": "0/2 nodes are available: 2 Insufficient cpu.",
}


@pytest.mark.parametrize(
    ("the_pod", "reason", "fatal", "words"),
    [
        (pod("p", statuses=[PULL]), "ImagePullBackOff", True, ["ImagePullBackOff", "ghcr.io/x/shop:does-not-exist"]),
        (pod("p", statuses=[CRASH]), "CrashLoopBackOff", True, ["CrashLoopBackOff", "restarted 4 times", "Error", "exit code 3"]),
        (pod("p", conditions=[UNSCHEDULABLE]), "Unschedulable", False, ["Unschedulable", "2 Insufficient cpu"]),
        (
            pod("p", statuses=[{"name": "app", "state": {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "s" not found'}}}]),
            "CreateContainerConfigError",
            True,
            ['secret "s" not found'],
        ),
    ],
)  # fmt: skip
def test_pod_problems(the_pod: dict[str, Any], reason: str, fatal: bool, words: list[str]) -> None:
    (problem,) = pod_problems([the_pod])
    assert (problem.reason, problem.fatal) == (reason, fatal)
    for word in words:
        assert word in problem.text()


def test_the_latest_warning_event_is_added() -> None:
    events = [
        {"type": "Warning", "reason": "Failed", "message": "old", "involvedObject": {"kind": "Pod", "name": "p"},
         "lastTimestamp": "2026-01-01T00:00:01Z"},
        {"type": "Warning", "reason": "Failed", "message": "Failed to pull image: not found",
         "involvedObject": {"kind": "Pod", "name": "p"}, "lastTimestamp": "2026-01-01T00:00:09Z"},
        {"type": "Normal", "reason": "Pulling", "message": "pulling", "involvedObject": {"kind": "Pod", "name": "p"}},
    ]  # fmt: skip
    (problem,) = pod_problems([pod("p", statuses=[PULL])], events)
    assert problem.text().endswith("event Failed: Failed to pull image: not found")
    (only_event,) = pod_problems([pod("p")], events)
    assert (only_event.reason, only_event.fatal) == ("Failed", False)


def test_healthy_and_deleted_pods_have_no_problems() -> None:
    running = pod("p", statuses=[{"name": "app", "ready": True, "state": {"running": {}}}])
    gone = pod("q", statuses=[PULL])
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert pod_problems([running, gone]) == []


def test_current_pods_are_those_of_the_current_replicaset() -> None:
    workload = {
        "kind": "Deployment",
        "metadata": {"uid": "u1", "annotations": {"deployment.kubernetes.io/revision": "2"}},
    }
    replicasets = [
        {"metadata": {"ownerReferences": [{"uid": "u1"}], "annotations": {"deployment.kubernetes.io/revision": "1"},
                      "labels": {"pod-template-hash": "old"}}},
        {"metadata": {"ownerReferences": [{"uid": "u1"}], "annotations": {"deployment.kubernetes.io/revision": "2"},
                      "labels": {"pod-template-hash": "new"}}},
    ]  # fmt: skip
    pods = [pod("a", **{"pod-template-hash": "old"}), pod("b", **{"pod-template-hash": "new"})]
    assert [p["metadata"]["name"] for p in current_pods(workload, pods, replicasets)] == ["b"]
    sts = {"kind": "StatefulSet", "status": {"updateRevision": "db-2"}}
    sts_pods = [
        pod("db-0", **{"controller-revision-hash": "db-1"}),
        pod("db-1", **{"controller-revision-hash": "db-2"}),
    ]
    assert [p["metadata"]["name"] for p in current_pods(sts, sts_pods)] == ["db-1"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (3599, "59m"), (3600, "1h"), (3 * 3600 + 720, "3h12m"),
     (11 * 3600 + 60, "11h"), (86400, "1d"), (2 * 86400 + 4 * 3600, "2d4h"), (12 * 86400, "12d"), (-5, "0s")],
)  # fmt: skip
def test_age_text(seconds: int, text: str) -> None:
    assert age_text(seconds) == text


def test_pod_summary() -> None:
    the_pod = pod("p", statuses=[{**CRASH, "ready": False}])
    summary = pod_summary(the_pod, now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    assert (summary.ready, summary.restarts, summary.age, summary.reason, summary.node) == (
        "0/1", 4, "5m", "CrashLoopBackOff", "n1"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "paths"),
    [
        ({"data": {"A": "1"}}, {"data": {"A": "1"}}, []),
        ({"data": {"A": "1"}}, {"data": {"A": "2"}}, ["data.A"]),
        ({"data": {"A": "1"}}, {"data": {"A": "1", "B": "2"}}, ["data.B (added)"]),
        ({"data": {"A": "1", "B": "2"}}, {"data": {"A": "1"}}, ["data.B (removed)"]),
        (
            {"spec": {"template": {"metadata": {"annotations": {"ushadow.io/env-hash": "a"}}}}},
            {"spec": {"template": {"metadata": {"annotations": {"ushadow.io/env-hash": "b"}}}}},
            ["spec.template.metadata.annotations[ushadow.io/env-hash]"],
        ),
        ({"spec": {"ports": [{"port": 1}]}}, {"spec": {"ports": [{"port": 2}]}}, ["spec.ports[0].port"]),
        ({"spec": {"ports": [{"port": 1}]}}, {"spec": {"ports": []}}, ["spec.ports"]),
        # what the server manages is not a change
        (
            {"metadata": {"resourceVersion": "1", "managedFields": [1], "generation": 1}, "status": {"x": 1}},
            {"metadata": {"resourceVersion": "2", "managedFields": [2], "generation": 2}, "status": {"x": 2}},
            [],
        ),
    ],
)
def test_changed_paths(before: dict[str, Any], after: dict[str, Any], paths: list[str]) -> None:
    assert changed_paths(before, after) == paths


def test_changed_paths_never_show_values() -> None:
    paths = changed_paths({"data": {"KEY": "c2VjcmV0"}}, {"data": {"KEY": "bmV3"}})
    assert paths == ["data.KEY"]
    assert len(changed_paths({"data": {}}, {"data": {str(i): "x" for i in range(40)}}, limit=5)) == 6


def test_owns_reads_managed_fields() -> None:
    live = {
        "metadata": {
            "managedFields": [
                {"manager": "ushadow", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {}}}},
                {"manager": "ushadow-ops", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            ]
        }
    }
    assert owns(live, "spec", "template")
    assert not owns(live, "spec", "replicas")
    assert owns(live, "spec", "replicas", manager="ushadow-ops") is False  # an Update is not an apply
