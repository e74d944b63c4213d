"""Day-2 for Jobs and CronJobs on the local control plane: ``deploy --wait`` waits for a Job to
complete (or says why it failed: the exit code and the end of the log), ``status`` shows a Job's
completions and a CronJob's schedule, ``logs`` reads the newest run's pod, ``undeploy`` removes
Jobs and their pods. kwok's fake pods of a Job exit 0 a moment after they run, or 3 when the image
tag ends in ``:fails`` (``core/localcluster/kwok-stages.yaml``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kubernetes import client

from core.deploy.deploying import deploy_service
from core.errors import InvalidInput, NotFound
from core.operate.operating import Operator
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import eventually, register

pytestmark = pytest.mark.cluster

TASKS = {
    "services": {
        "migrate": {"image": "busybox:1.37", "restart": "no", "command": ["sh", "-c", "echo migrated"]},
        "broken": {"image": "busybox:fails", "restart": "no", "command": ["sh", "-c", "exit 3"]},
        "nightly": {"image": "busybox:1.37", "command": ["sh", "-c", "echo backup"]},
    },
    "x-ushadow": {"nightly": {"schedule": "0 3 * * *"}},
}


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "tasks.yml").write_text(yaml.safe_dump(TASKS))
    return folder


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


def test_deploy_wait_follows_a_job_to_completion_and_status_and_logs_show_it(
    store: Store, settings: Settings, cluster: str, registry: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    outcome = deploy_service(
        store,
        settings,
        cluster=cluster,
        service_id="tasks:migrate",
        wait=True,
        timeout=120,
        registry_dirs=[registry],
    )
    assert outcome.status == "ready", outcome.message
    assert outcome.rollout is not None and outcome.rollout.job is not None
    assert outcome.rollout.job.complete and "job migrate: complete, 1/1 completions" in outcome.message
    with Operator(store, settings, cluster) as ops:
        (found,) = ops.status(namespace, "tasks:migrate")
        doc = found.to_json()
        assert doc["kind"] == "Job"
        assert doc["job"] == {
            "completions": 1,
            "succeeded": 1,
            "failed": 0,
            "active": 0,
            "complete": True,
            "failure": None,
        }
        (log,) = ops.logs(namespace, "migrate")
        assert "ushadow-local: ready" in log.text
        with pytest.raises(InvalidInput, match="runs to completion: there is nothing to scale"):
            ops.scale(namespace, "migrate", 2)
        changes = ops.undeploy(namespace, "migrate")
    assert ("Job", "migrate") in {(c.kind, c.name) for c in changes if c.action == "deleted"}
    core = client.CoreV1Api(kube_api)
    eventually(
        lambda: (
            not core.list_namespaced_pod(
                namespace, label_selector="job-name=migrate", _request_timeout=10
            ).items
        ),
        "the Job's pods to go with it",
        timeout=60,
    )


def test_deploy_wait_of_a_failing_job_says_why(
    store: Store, settings: Settings, cluster: str, registry: Path, namespace: str
) -> None:
    outcome = deploy_service(
        store,
        settings,
        cluster=cluster,
        service_id="tasks:broken",
        wait=True,
        timeout=120,
        registry_dirs=[registry],
    )
    assert outcome.status == "failed"
    message = outcome.message or ""
    assert f"Job broken in namespace {namespace} on cluster {cluster} failed: BackoffLimitExceeded" in message
    assert "container broken exited with code 3 (Error)" in message
    assert "its log ends:\n" in message and "ushadow-local: ready" in message
    with Operator(store, settings, cluster) as ops:
        (found,) = ops.status(namespace, "broken")
    job = found.to_json()["job"]
    assert job["failed"] == 1 and not job["complete"] and job["failure"].startswith("BackoffLimitExceeded")


def test_a_cronjob_is_deployed_shows_its_schedule_and_logs_its_newest_run(
    store: Store, settings: Settings, cluster: str, registry: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    outcome = deploy_service(
        store,
        settings,
        cluster=cluster,
        service_id="tasks:nightly",
        wait=True,
        timeout=60,
        registry_dirs=[registry],
    )
    assert outcome.status == "ready", outcome.message
    with Operator(store, settings, cluster) as ops:
        (found,) = ops.status(namespace, "nightly")
        assert found.to_json()["job"] == {
            "schedule": "0 3 * * *",
            "suspended": False,
            "last_schedule_time": None,
            "last_successful_time": None,
            "active_jobs": [],
        }
        with pytest.raises(NotFound, match="CronJob nightly has not run yet"):
            ops.logs(namespace, "nightly")
        # a run started by hand, as `kubectl create job --from=cronjob/nightly` does (owned by it)
        batch = client.BatchV1Api(kube_api)
        cron = batch.read_namespaced_cron_job("nightly", namespace, _request_timeout=10)
        owner = client.V1OwnerReference(
            api_version="batch/v1", kind="CronJob", name="nightly", uid=cron.metadata.uid, controller=True
        )
        run = client.V1Job(
            metadata=client.V1ObjectMeta(name="nightly-manual", owner_references=[owner]),
            spec=cron.spec.job_template.spec,
        )
        batch.create_namespaced_job(namespace, run, _request_timeout=10)
        eventually(
            lambda: (
                client.CoreV1Api(kube_api)
                .list_namespaced_pod(namespace, label_selector="job-name=nightly-manual", _request_timeout=10)
                .items
            ),
            "the run's pod",
        )
        (log,) = ops.logs(namespace, "nightly")
        assert log.pod.startswith("nightly-manual-")
        # the run is the CronJob's, not a workload of its own
        assert [w.workload.name for w in ops.status(namespace)] == ["nightly"]
        changes = ops.undeploy(namespace, "nightly")
    assert ("CronJob", "nightly") in {(c.kind, c.name) for c in changes if c.action == "deleted"}
    eventually(  # its runs go with it (owned by it: the garbage collector removes them)
        lambda: not batch.list_namespaced_job(namespace, _request_timeout=10).items,
        "the CronJob's Jobs to go with it",
        timeout=60,
    )
