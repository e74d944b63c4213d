"""The team bundle (deploy/ushadow-ops-compose.yaml) as our own compiler makes it: two dashboard
replicas behind a Service that keeps a client on one of them, and the scheduled scanner CronJob;
plus the ``x-ushadow`` ``session_affinity`` key on its own."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from core.compose.loading import load_project
from core.compose.model import ComposeProject, Port, ServiceSpec, UshadowMeta
from core.errors import InvalidInput
from core.manifests.compilations import CompileOptions
from core.manifests.compiler import compile_project, compile_service
from tests.support import paths

BUNDLE = paths.REPO / "deploy" / "ushadow-ops-compose.yaml"
ENV = {"POSTGRES_PASSWORD": "pw", "USHADOW_SECRET_KEY": "k"}


def _objects(project: ComposeProject) -> list[dict[str, Any]]:
    compiled = compile_project(project, namespace="ushadow-ops")
    assert not compiled.skipped, compiled.skipped
    objects = [o for service in compiled.compiled for o in service.objects]
    for obj in objects:
        kubernetes_validate.validate(obj, "1.37", strict=True)
    return objects


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_team_bundle_runs_two_sticky_dashboard_replicas_and_a_scanner_cronjob() -> None:
    objects = _objects(load_project(BUNDLE, environ=ENV))
    assert _one(objects, "Deployment", "dashboard")["spec"]["replicas"] == 2
    assert _one(objects, "Service", "dashboard")["spec"]["sessionAffinity"] == "ClientIP"
    cron = _one(objects, "CronJob", "scanner")
    assert cron["spec"]["schedule"] == "*/15 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    script = " ".join(container.get("command", []) + container.get("args", []))
    assert "ushadow-ops scan --all-clusters" in script
    assert "ushadow-ops scans prune" in script
    assert script.index("scan --all-clusters") < script.index("scans prune")
    # compose's `$$` stays `$$` in the manifest: the kubelet reduces it to the `$` the shell reads
    assert "s=$$?" in script and "exit $$s" in script
    assert not any(o["kind"] == "Service" and o["metadata"]["name"] == "scanner" for o in objects)


def _project(meta: dict[str, Any]) -> ComposeProject:
    web = ServiceSpec(name="web", image="nginx:1.27", ports=[Port(target=80, published="80")])
    return ComposeProject(
        path="/compose/app.yml", name="app", services={"web": web}, service_meta={"web": UshadowMeta.of(meta)}
    )


def _service(meta: dict[str, Any]) -> dict[str, Any]:
    project = _project(meta)
    compiled = compile_service(
        project.services["web"],
        project=project,
        namespace="demo",
        options=CompileOptions(network_policies=False),
    )
    service = next(o for o in compiled.objects if o["kind"] == "Service")
    kubernetes_validate.validate(service, "1.37", strict=True)
    return service


def test_session_affinity_key_sets_the_services_affinity() -> None:
    assert _service({"session_affinity": "ClientIP"})["spec"]["sessionAffinity"] == "ClientIP"
    assert "sessionAffinity" not in _service({})["spec"]


def test_session_affinity_key_rejects_other_values() -> None:
    with pytest.raises(InvalidInput, match="session_affinity"):
        _service({"session_affinity": "Cookie"})
