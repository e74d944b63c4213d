"""The API server is the judge: every compiled manifest of the corpus and of our fixtures, dry-run.

Every compose file of ``../shared/corpus`` (ushadow and kompose) and of ``tests/fixtures`` is
loaded (leniently, as the registry does), every service compiled into the test's namespace, and
every object created on the local control plane with server-side dry-run (``dryRun=All``,
``fieldValidation=Strict``). A service is either accepted in full, or our compiler says it is not
convertible and why (asserted here: it really has no image); a file either loads or the loader
says why.
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
from core.manifests.compilations import CompileOptions
from core.manifests.compiler import compile_service
from tests.support import paths

REPO = paths.REPO
CORPUS = paths.REPO.parent / "shared" / "corpus"
FIXTURES = paths.FIXTURES


def _compose_files() -> list[Path]:
    found: list[Path] = []
    for root in (CORPUS / "ushadow", CORPUS / "kompose", FIXTURES / "compiler", FIXTURES / "compose"):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".yml", ".yaml") and not path.name.startswith("output"):
                found.append(path)
    return found


FILES = _compose_files()


def _id(path: Path) -> str:
    for base in (CORPUS, FIXTURES):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def _creators(api: client.ApiClient) -> dict[str, Callable[..., Any]]:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    return {
        "ConfigMap": core.create_namespaced_config_map,
        "Secret": core.create_namespaced_secret,
        "Service": core.create_namespaced_service,
        "PersistentVolumeClaim": core.create_namespaced_persistent_volume_claim,
        "Deployment": apps.create_namespaced_deployment,
        "StatefulSet": apps.create_namespaced_stateful_set,
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


def test_the_corpus_is_there() -> None:
    names = {p.name for p in FILES}
    assert "docker-compose.infra.yml" in names and "openmemory-compose.yaml" in names
    assert len(FILES) > 80


@pytest.mark.cluster
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_service_is_accepted_or_not_convertible(
    path: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    try:
        project = load_project(path, strict=False)
    except InvalidInput as exc:  # the loader's verdict on the whole file (e.g. compose v1 format)
        assert exc.message.strip(), f"{path} failed to load without a reason"
        return
    accepted = 0
    for name, spec in project.services.items():
        try:
            compiled = compile_service(spec, project=project, namespace=namespace)
        except NotConvertible as exc:
            assert spec.image is None, f"{name} has an image but was refused: {exc.message}"
            assert "image" in exc.message and name in exc.message
            continue
        assert compiled.objects
        for obj in compiled.objects:
            assert obj["metadata"]["namespace"] == namespace
            dry_run(kube_api, obj)
        accepted += 1
    assert accepted + sum(1 for s in project.services.values() if s.image is None) == len(project.services)


@pytest.mark.cluster
def test_options_that_change_the_shape_are_accepted_too(kube_api: client.ApiClient, namespace: str) -> None:
    """Deployments with PVCs, StatefulSets forced, wait-for init containers, emptyDir persistence."""
    variants = [
        CompileOptions(controller="deployment", storage_class="standard", volume_size="5Gi"),
        CompileOptions(controller="statefulset", wait_for_dependencies=True, liveness=False),
        CompileOptions(persistence="emptydir", service_type="NodePort"),
    ]
    for file in sorted((FIXTURES / "compiler").glob("*.yml")):
        project = load_project(file, strict=False)
        for options in variants:
            for spec in project.services.values():
                if spec.image is None:
                    continue
                compiled = compile_service(spec, project=project, namespace=namespace, options=options)
                for obj in compiled.objects:
                    dry_run(kube_api, obj)
