"""The API server as the judge: compiled objects created with server-side dry-run, and a whole file's verdict.

Shared by ``tests/cluster/test_manifests_server.py`` (our fixtures) and
``conformance/test_manifests_server.py`` (the external corpus).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from core.compose.loading import load_project
from core.errors import InvalidInput, NotConvertible
from core.manifests.compiler import compile_service
from core.manifests.sidecars import host_of


def _creators(api: client.ApiClient) -> dict[str, Callable[..., Any]]:
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    return {
        "ConfigMap": core.create_namespaced_config_map,
        "Secret": core.create_namespaced_secret,
        "Service": core.create_namespaced_service,
        "PersistentVolumeClaim": core.create_namespaced_persistent_volume_claim,
        "Deployment": apps.create_namespaced_deployment,
        "StatefulSet": apps.create_namespaced_stateful_set,
        "Job": batch.create_namespaced_job,
        "CronJob": batch.create_namespaced_cron_job,
        "NetworkPolicy": client.NetworkingV1Api(api).create_namespaced_network_policy,
    }


def dry_run(api: client.ApiClient, obj: dict[str, Any]) -> None:
    create = _creators(api)[obj["kind"]]
    try:
        create(
            obj["metadata"]["namespace"], obj, dry_run="All", field_validation="Strict", _request_timeout=15
        )
    except ApiException as exc:
        pytest.fail(
            f"the API server refused {obj['kind']} {obj['metadata']['name']}: {exc.status} {exc.body}"
        )


def check_every_service_is_accepted_or_not_convertible(
    path: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    """Load ``path`` leniently, compile every service into ``namespace`` and dry-run every object.

    A service is either accepted in full, or our compiler says it is not convertible and why (it
    really has no image, or it mounts a path that only exists on a Docker host); a file either
    loads or the loader says why.
    """
    try:
        project = load_project(path, strict=False)
    except InvalidInput as exc:  # the loader's verdict on the whole file (e.g. compose v1 format)
        assert exc.message.strip(), f"{path} failed to load without a reason"
        return
    accepted = docker_only = riders = 0
    for name, spec in project.services.items():
        try:
            compiled = compile_service(spec, project=project, namespace=namespace)
        except NotConvertible as exc:
            assert name in exc.message
            if "only makes sense on a Docker host" in exc.message:  # the Docker socket, a device
                assert any(v.type == "bind" for v in spec.volumes)
                docker_only += 1
                continue
            if "runs in the pod of" in exc.message:  # network_mode: service:X, a container of X's pod
                assert host_of(spec) in project.services
                riders += 1
                continue
            assert spec.image is None, f"{name} has an image but was refused: {exc.message}"
            assert "image" in exc.message
            continue
        assert compiled.objects
        for obj in compiled.objects:
            assert obj["metadata"]["namespace"] == namespace
            dry_run(kube_api, obj)
        accepted += 1
    no_image = sum(1 for s in project.services.values() if s.image is None)
    assert accepted + docker_only + riders + no_image == len(project.services)
