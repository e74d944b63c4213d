"""The kustomize bundle of a real registry (the external corpus's ushadow folder): it builds, and the
API server accepts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.corpus import CORPUS
from core.compose.loading import load_project
from core.manifests.bundles import write_bundle
from tests.support import paths
from tests.support.kustomize import apply_server_dry_run, fill_secrets, kustomize

FIXTURES = paths.FIXTURES / "compiler"


def test_bundle_of_the_ushadow_corpus_builds(tmp_path: Path) -> None:
    projects = [load_project(p, strict=False) for p in sorted((CORPUS / "ushadow").glob("*.y*ml"))]
    out = tmp_path / "k8s"
    result = write_bundle(projects, out, profiles=["*"])  # mongo and redis have the profile infra
    ids = {s["service_id"] for s in result.services}
    assert {
        "docker-compose.infra:mongo",
        "openmemory-compose:mem0-ui",
        "chronicle-compose:chronicle-backend",
    } <= ids
    assert "backend:backend" in result.skipped  # build only
    infra = {s["service_id"] for s in result.services if s["infra"]}
    assert "docker-compose.infra:redis" in infra
    fill_secrets(out, result.to_fill)
    built = kustomize(out)
    namespaces = {d["metadata"]["name"] for d in built if d["kind"] == "Namespace"}  # type: ignore[index]
    assert {"ushadow", "openmemory", "mycelia", "metamcp", "share-dmz"} <= namespaces


@pytest.mark.cluster
def test_the_api_server_accepts_the_bundle(tmp_path: Path, admin_kubeconfig: str, namespace: str) -> None:
    # Everything in the test's namespace; share-dmz has its own `tailscale`, which would clash there.
    files = [p for p in sorted((CORPUS / "ushadow").glob("*.y*ml")) if p.name != "share-dmz-compose.yaml"]
    projects = [load_project(p, strict=False) for p in [*files, *sorted(FIXTURES.glob("*.yml"))]]
    out = tmp_path / "k8s"
    result = write_bundle(projects, out, namespace=namespace, force_namespace=True, profiles=["*"])
    fill_secrets(out, result.to_fill)
    applied = apply_server_dry_run(admin_kubeconfig, out)
    assert "deployment.apps/chronicle-backend created (server dry run)" in applied
    assert "statefulset.apps/mongo created (server dry run)" in applied
