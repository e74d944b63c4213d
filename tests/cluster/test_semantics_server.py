"""Issue 12 on the local control plane: Pod Security admission as the judge, and ``deploy`` end to end.

Pod Security admission runs in the real API server: every workload of our fixtures becomes a Pod
(its template), created with server-side dry-run in a namespace that enforces ``baseline`` (then
``restricted``). A pod is admitted unless it asks for what the level forbids, and then the
compiler's warnings name it. (The nodes are kwok fakes: pods are admitted and scheduled, no
process runs.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from core.compose.loading import load_project
from core.deploy.deploying import deploy_service
from core.errors import InvalidInput, NotConvertible
from core.manifests.compilations import CompiledService
from core.manifests.compiler import compile_service
from core.settings import Settings
from core.store.store import Store
from tests.support import paths
from tests.support.deploykit import eventually, register
from tests.support.kustomize import fill_secrets
from tests.support.podsecurity import asks_beyond_baseline, label_namespace, refusal, runs_as_non_root

pytestmark = pytest.mark.cluster

SEMANTICS = paths.FIXTURES / "semantics"
FILES = [
    *sorted((paths.FIXTURES / "compiler").glob("*.yml")),
    *sorted((paths.FIXTURES / "compose").rglob("*.y*ml")),
    SEMANTICS / "semantics.yml",
]
KUBECTL = str(Path(sys.executable).parent / "kubectl")


def _compiled(namespace: str) -> dict[str, CompiledService]:
    """Every compiled service of the fixtures, by ``<file>:<service>`` (two files may be compose.yaml)."""
    out: dict[str, CompiledService] = {}
    for path in FILES:
        try:
            project = load_project(path, strict=False, environ={})
        except InvalidInput:  # a file the loader refuses is test_manifests_server's business
            continue
        for spec in project.services.values():
            try:
                compiled = compile_service(spec, project=project, namespace=namespace)
            except NotConvertible:
                continue
            out[f"{path.relative_to(paths.FIXTURES)}:{spec.name}"] = compiled
    return out


def test_baseline_admits_every_workload_except_those_the_warnings_name(
    kube_api: client.ApiClient, namespace: str
) -> None:
    label_namespace(kube_api, namespace, "baseline")
    compiled = _compiled(namespace)
    assert len(compiled) > 30
    verdicts = {key: refusal(kube_api, c) for key, c in compiled.items()}
    refused = {key: why for key, why in verdicts.items() if why}
    named = {key for key, c in compiled.items() if asks_beyond_baseline(c)}
    assert set(refused) == named, refused
    # NET_ADMIN and privileged; the Docker socket as a hostPath
    assert {"compiler/runtime.yml:vpn", "semantics/semantics.yml:agent"} <= named
    assert "hostPath volumes" in refused["semantics/semantics.yml:agent"]


def test_restricted_admits_every_workload_that_asks_for_no_root_or_privilege(
    kube_api: client.ApiClient, namespace: str
) -> None:
    label_namespace(kube_api, namespace, "restricted")
    compiled = _compiled(namespace)
    non_root = {key for key, c in compiled.items() if not asks_beyond_baseline(c) and runs_as_non_root(c)}
    admitted = {key for key, c in compiled.items() if refusal(kube_api, c) is None}
    assert admitted == non_root
    assert "semantics/semantics.yml:proxy" in admitted  # user 101:101, read_only, cap_drop ALL


def test_render_out_applies_with_f_and_k_and_sends_no_placeholder(
    kube_api: client.ApiClient, namespace: str, admin_kubeconfig: str, tmp_path: Path
) -> None:
    label_namespace(kube_api, namespace, "baseline")
    for service in ("proxy", "api", "migrate", "db"):
        out = tmp_path / service
        argv = [
            str(Path(sys.executable).parent / "ushadow-ops"),
            "render",
            f"semantics:{service}",
            "-n",
            namespace,
        ]
        done = subprocess.run(
            [*argv, "--registry", str(SEMANTICS), "--out", str(out), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        fill_secrets(out, json.loads(done.stdout)["to_fill"])  # as an operator makes the .env files
        for flag in ("-f", "-k"):
            applied = subprocess.run(
                [
                    KUBECTL,
                    "--kubeconfig",
                    admin_kubeconfig,
                    "apply",
                    flag,
                    str(out),
                    "--dry-run=server",
                    "-o",
                    "yaml",
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert applied.returncode == 0, (service, flag, applied.stderr)
            assert "********" not in applied.stdout
            kinds = {d["kind"] for d in yaml.safe_load_all(applied.stdout) if d for d in d.get("items", [d])}
            assert ("Secret" in kinds) == (flag == "-k" and service in ("api", "db")), (service, flag, kinds)


def test_deploy_runs_the_file_mount_the_job_the_http_probe_and_the_security_context(
    store: Store, settings: Settings, admin_kubeconfig: str, kube_api: client.ApiClient, namespace: str
) -> None:
    label_namespace(kube_api, namespace, "baseline")
    cluster = register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    for service in ("proxy", "migrate"):
        outcome = deploy_service(
            store, settings, cluster=cluster, service_id=f"semantics:{service}", registry_dirs=[SEMANTICS]
        )
        assert outcome.status != "failed", outcome.message
    core, apps, batch = client.CoreV1Api(kube_api), client.AppsV1Api(kube_api), client.BatchV1Api(kube_api)
    files = core.read_namespaced_config_map("proxy-files", namespace, _request_timeout=10)
    assert "listen 80" in files.data["nginx.conf"]
    proxy = apps.read_namespaced_deployment("proxy", namespace, _request_timeout=10).spec.template.spec
    (box,) = proxy.containers
    (mount,) = [m for m in box.volume_mounts if m.mount_path == "/etc/nginx/nginx.conf"]
    assert mount.sub_path == "nginx.conf" and mount.read_only
    assert box.readiness_probe.http_get.path == "/healthz" and box.readiness_probe.http_get.port == 80
    assert box.liveness_probe.tcp_socket.port == 80 and box.readiness_probe._exec is None
    assert box.image_pull_policy == "Always"
    ctx = box.security_context
    assert (ctx.run_as_user, ctx.run_as_non_root, ctx.read_only_root_filesystem) == (101, True, True)
    assert ctx.allow_privilege_escalation is False and ctx.seccomp_profile.type == "RuntimeDefault"
    assert ctx.capabilities.drop == ["ALL"]
    job = batch.read_namespaced_job("migrate", namespace, _request_timeout=10)
    assert job.spec.backoff_limit == 0 and job.spec.template.spec.restart_policy == "Never"
    # admitted under baseline: the controllers made their pods
    for selector in ("app.kubernetes.io/instance=proxy", "job-name=migrate"):
        eventually(
            lambda s=selector: (
                core.list_namespaced_pod(namespace, label_selector=s, _request_timeout=10).items
            ),
            f"a pod for {selector}",
        )
