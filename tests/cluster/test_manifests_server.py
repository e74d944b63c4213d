"""The API server is the judge: every compiled manifest of our fixtures, dry-run.

Every compose file of ``tests/fixtures`` (compiler and compose) is loaded (leniently, as the
registry does), every service compiled into the test's namespace, and every object created on the
local control plane with server-side dry-run (``dryRun=All``, ``fieldValidation=Strict``). A
service is either accepted in full, or our compiler says it is not convertible and why (asserted
here: it really has no image); a file either loads or the loader says why. The same check over the
external compose corpus is ``conformance/test_manifests_server.py`` (``make conformance``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from core.compose.loading import load_project
from core.manifests.compilations import CompileOptions
from core.manifests.compiler import compile_service
from tests.support import paths
from tests.support.dryrun import check_every_service_is_accepted_or_not_convertible, dry_run

FIXTURES = paths.FIXTURES


def _compose_files() -> list[Path]:
    found: list[Path] = []
    for root in (FIXTURES / "compiler", FIXTURES / "compose"):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".yml", ".yaml") and not path.name.startswith("output"):
                found.append(path)
    return found


FILES = _compose_files()


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def test_the_fixtures_are_there() -> None:
    names = {str(p.relative_to(FIXTURES)) for p in FILES}
    assert {"compiler/tricky.yml", "compiler/secrets.yml", "compose/features/compose.yaml"} <= names


@pytest.mark.cluster
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_service_is_accepted_or_not_convertible(
    path: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    check_every_service_is_accepted_or_not_convertible(path, kube_api, namespace)


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
