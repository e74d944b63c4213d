"""The compiler on hand-built services: every rule, and every object valid for Kubernetes 1.37.

Each compiled object is also checked offline against the Kubernetes 1.37 OpenAPI schema (strict:
unknown fields are errors) with kubernetes-validate; the API server itself judges our fixtures in
``tests/cluster/test_manifests_server.py`` and the external corpus in
``conformance/test_manifests_server.py``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from core.cli import main
from core.compose.loading import load_project
from core.compose.model import (
    ComposeProject,
    DependsOn,
    FileRef,
    Healthcheck,
    Port,
    Resources,
    SecretUse,
    ServiceSpec,
    TopLevelResource,
    Volume,
)
from core.conventions import ENV_HASH_ANNOTATION, SERVICE_ID_ANNOTATION
from core.errors import Conflict, InvalidInput, NotConvertible
from core.manifests.bundles import plan_bundle, refs_of, zip_bundle
from core.manifests.compilations import CompiledService, CompileOptions, merge_objects
from core.manifests.compiler import HANDLED_FIELDS, compile_project, compile_service
from core.manifests.yamldocs import files_for, to_yaml
from core.naming import dns_label, is_dns1035_label, is_label_value, is_port_name
from core.secrets.sensitivity import MASK
from tests.support import paths

GiB = 1024**3
MiB = 1024**2


def project_of(*specs: ServiceSpec, path: str = "/compose/app.yml", **extra: Any) -> ComposeProject:
    return ComposeProject(path=path, name="app", services={s.name: s for s in specs}, **extra)


def build(spec: ServiceSpec, project: ComposeProject | None = None, **options: Any) -> CompiledService:
    project = project or project_of(spec)
    options.setdefault("network_policies", False)  # the NetworkPolicy rule is test_semantics' business
    compiled = compile_service(spec, project=project, namespace="demo", options=CompileOptions(**options))
    for obj in compiled.objects:
        kubernetes_validate.validate(obj, "1.37", strict=True)
    return compiled


def kinds(compiled: CompiledService) -> list[str]:
    return [o["kind"] for o in compiled.objects]


def find(compiled: CompiledService, kind: str, name: str | None = None) -> dict[str, Any]:
    for obj in compiled.objects:
        if obj["kind"] == kind and (name is None or obj["metadata"]["name"] == name):
            return obj
    raise AssertionError(f"no {kind} {name or ''} in {kinds(compiled)}")


def workload(compiled: CompiledService) -> dict[str, Any]:
    return find(compiled, compiled.kind)


def pod(compiled: CompiledService) -> dict[str, Any]:
    body = workload(compiled)["spec"]
    body = body["jobTemplate"]["spec"] if compiled.kind == "CronJob" else body
    spec: dict[str, Any] = body["template"]["spec"]
    return spec


def container(compiled: CompiledService) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod(compiled)["containers"]
    return containers[0]


def svc(**kwargs: Any) -> ServiceSpec:
    kwargs.setdefault("name", "web")
    kwargs.setdefault("image", "nginx:1.27")
    return ServiceSpec(**kwargs)


# -- model coverage ------------------------------------------------------------------------------


def test_every_service_field_is_handled() -> None:
    assert {f.name for f in dataclasses.fields(ServiceSpec)} == HANDLED_FIELDS


# -- names, labels, annotations ------------------------------------------------------------------


def test_minimal_service_is_a_deployment_with_stable_labels() -> None:
    c = build(svc())
    assert kinds(c) == ["Service", "Deployment"]
    assert c.service_id == "app:web" and c.name == "web" and c.namespace == "demo"
    dep = workload(c)
    labels = dep["metadata"]["labels"]
    assert labels == {
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/instance": "web",
        "app.kubernetes.io/part-of": "app",
        "app.kubernetes.io/managed-by": "ushadow",
    }
    assert dep["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/instance": "web",
    }
    assert dep["metadata"]["annotations"][SERVICE_ID_ANNOTATION] == "app:web"
    assert dep["spec"]["replicas"] == 1
    assert pod(c)["enableServiceLinks"] is False
    assert pod(c)["automountServiceAccountToken"] is False


@pytest.mark.parametrize(
    ("compose_name", "kube"),
    [("my_service", "my-service"), ("API_Server", "api-server"), ("3proxy", "s-3proxy"), ("a" * 80, None)],
)
def test_names_are_made_valid(compose_name: str, kube: str | None) -> None:
    c = build(svc(name=compose_name, ports=[Port(target=80)]))
    assert is_dns1035_label(c.name) and len(c.name) <= 52
    if kube:
        assert c.name == kube
    for obj in c.objects:
        for value in obj["metadata"]["labels"].values():
            assert is_label_value(value)
    assert any("Kubernetes name" in n for n in c.notes)


def test_compose_labels_become_labels_or_annotations() -> None:
    labels = {
        "ushadow.zone": "public",
        "ushadow.env": "orange:1",  # colon: not a valid label value
        "kompose.service.healthcheck.readiness.test": 'echo "liveness"',
        "Bad Key": "x",
        "app.kubernetes.io/name": "override-attempt",
    }
    c = build(svc(labels=labels))
    meta = workload(c)["spec"]["template"]["metadata"]
    assert meta["labels"]["ushadow.zone"] == "public"
    assert meta["labels"]["app.kubernetes.io/name"] == "web"  # ours win
    assert meta["annotations"]["ushadow.env"] == "orange:1"
    assert meta["annotations"]["kompose.service.healthcheck.readiness.test"] == 'echo "liveness"'
    assert "compose.ushadow.io/Bad-Key" in meta["annotations"]
    assert any("app.kubernetes.io/name" in w for w in c.warnings)
    assert "ushadow.zone" not in workload(c)["spec"]["selector"]["matchLabels"]


def test_part_of_comes_from_project_or_option() -> None:
    c = build(svc(), part_of="ushadow:prod")
    assert workload(c)["metadata"]["labels"]["app.kubernetes.io/part-of"] == "ushadow-prod"


def test_service_id_without_project_is_the_name() -> None:
    c = compile_service(svc(), project=None, namespace="demo")
    assert c.service_id == "web"


def test_invalid_namespace_is_refused() -> None:
    with pytest.raises(InvalidInput):
        compile_service(svc(), project=None, namespace="Not_Valid")


# -- image and build ----------------------------------------------------------------------------


def test_build_without_image_is_not_convertible() -> None:
    with pytest.raises(NotConvertible, match="build"):
        build(svc(image=None, build={"context": "."}))


def test_no_image_and_no_build_is_not_convertible() -> None:
    with pytest.raises(NotConvertible, match="no `image:`"):
        build(svc(image=None))


def test_image_override_makes_a_build_only_service_convertible() -> None:
    c = build(svc(image=None, build={"context": "."}), images={"app:web": "registry.local/web:1"})
    assert container(c)["image"] == "registry.local/web:1"


def test_image_with_build_is_used_with_a_note() -> None:
    c = build(svc(image="ghcr.io/x/web:1", build={"context": "."}))
    assert container(c)["image"] == "ghcr.io/x/web:1"
    assert any("push it to a registry" in n for n in c.notes)


def test_compile_project_lists_unconvertible_services() -> None:
    p = project_of(svc(name="ok"), svc(name="built", image=None, build={"context": "."}))
    result = compile_project(p, namespace="demo")
    assert [c.name for c in result.compiled] == ["ok"]
    assert list(result.skipped) == ["app:built"] and "build" in result.skipped["app:built"]


# -- command and entrypoint ----------------------------------------------------------------------


def test_entrypoint_is_command_and_command_is_args() -> None:
    c = build(svc(entrypoint=["/bin/sh", "-c"], command=["echo $HOME && echo $(date)"]))
    assert container(c)["command"] == ["/bin/sh", "-c"]
    # `$` is escaped so Kubernetes' $(VAR) expansion leaves the compose string as it was
    assert container(c)["args"] == ["echo $$HOME && echo $$(date)"]


def test_an_empty_entrypoint_clears_the_images_and_runs_the_command_alone() -> None:
    c = build(svc(entrypoint=[], command=["python", "-c", "print(1)"]))
    # Kubernetes reads an empty `command` as "the image's ENTRYPOINT": the command must be the command
    assert container(c)["command"] == ["python", "-c", "print(1)"]
    assert "args" not in container(c)
    alone = build(svc(entrypoint=[]))
    assert "command" not in container(alone) and "args" not in container(alone)
    assert any("entrypoint: []" in w for w in alone.warnings)


def test_only_command() -> None:
    c = build(svc(command=["redis-server", "--appendonly", "yes"]))
    assert "command" not in container(c)
    assert container(c)["args"] == ["redis-server", "--appendonly", "yes"]


# -- environment ---------------------------------------------------------------------------------


def test_environment_is_split_into_configmap_and_secret() -> None:
    env = {
        "MODE": "prod",
        "KEYCLOAK_URL": "http://keycloak:8080",
        "OPENAI_API_KEY": "sk-test",
        "DATABASE_URL": "postgresql://u:p@db:5432/x",
        "REDIS_URL": "redis://redis:6379/0",
        "BARE": None,
    }
    c = build(svc(environment=env))
    assert kinds(c) == ["ConfigMap", "Secret", "Service", "Deployment"]
    cm = find(c, "ConfigMap", "web-config")
    assert cm["data"] == {
        "MODE": "prod",
        "KEYCLOAK_URL": "http://keycloak:8080",
        "REDIS_URL": "redis://redis:6379/0",
    }
    secret = find(c, "Secret", "web-secrets")
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {"OPENAI_API_KEY": "sk-test", "DATABASE_URL": "postgresql://u:p@db:5432/x"}
    assert container(c)["envFrom"] == [
        {"configMapRef": {"name": "web-config"}},
        {"secretRef": {"name": "web-secrets"}},
    ]
    assert any("BARE" in w for w in c.warnings)


def test_no_environment_means_no_configmap_or_secret() -> None:
    c = build(svc())
    assert "envFrom" not in container(c)
    assert kinds(c) == ["Service", "Deployment"]


def test_only_config_means_no_secret() -> None:
    c = build(svc(environment={"A": "1"}))
    assert kinds(c) == ["ConfigMap", "Service", "Deployment"]
    assert container(c)["envFrom"] == [{"configMapRef": {"name": "web-config"}}]


def test_keys_that_cannot_be_configmap_keys_go_through_env() -> None:
    c = build(svc(environment={"weird name": "v$1", "my password": "p"}))
    env = {e["name"]: e for e in container(c)["env"]}
    assert env["weird name"]["value"] == "v$$1"
    ref = env["my password"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == "web-secrets"
    assert base64.b64decode(find(c, "Secret")["data"][ref["key"]]).decode() == "p"
    assert "my password" not in repr(container(c).get("envFrom"))


def test_redacted_output_has_no_secret_value() -> None:
    c = build(svc(environment={"API_TOKEN": "tok-123456", "URL": "https://a:hunter2@b"}))
    text = to_yaml(c.redacted())
    assert "tok-123456" not in text and "hunter2" not in text
    assert base64.b64encode(b"tok-123456").decode() not in text
    assert MASK in text
    assert c.to_json()["objects"] == c.redacted()


def test_env_hash_follows_the_environment() -> None:
    a = build(svc(environment={"A": "1", "TOKEN": "x"}))
    same = build(svc(environment={"A": "1", "TOKEN": "x"}))
    other = build(svc(environment={"A": "1", "TOKEN": "y"}))

    def digest(c: CompiledService) -> str:
        value: str = workload(c)["spec"]["template"]["metadata"]["annotations"][ENV_HASH_ANNOTATION]
        return value

    assert digest(a) == digest(same)
    assert digest(a) != digest(other)


def test_required_variables_are_warned_about() -> None:
    c = build(svc(environment={"KEY": ""}, required_variables=["KEY"]))
    assert any("required variables have no value: KEY" in w for w in c.warnings)


def test_loader_warnings_are_kept() -> None:
    c = build(svc(warnings=["network_mode is not supported"]))
    assert "network_mode is not supported" in c.warnings


# -- ports ---------------------------------------------------------------------------------------


def test_ports_service_uses_container_ports_with_unique_valid_names() -> None:
    ports = [
        Port(target=6379, protocol="tcp"),
        Port(target=6379, protocol="udp"),
        Port(target=8080, published="8081"),
        Port(target=8080, published="9090"),  # the same container port published twice
        Port(target=9000, exposed_only=True),
        Port(target=53, protocol="udp", name="dns"),
        Port(target=54, protocol="tcp", name="dns"),
        Port(target=70000),  # out of range: skipped and reported
        Port(target=3000, host_ip="127.0.0.1", published="3000"),
    ]
    c = build(svc(ports=ports))
    service = find(c, "Service", "web")
    entries = [(p["port"], p["protocol"]) for p in service["spec"]["ports"]]
    assert entries == [
        (6379, "TCP"),
        (6379, "UDP"),
        (8080, "TCP"),
        (9000, "TCP"),
        (53, "UDP"),
        (54, "TCP"),
        (3000, "TCP"),
    ]
    names = [p["name"] for p in service["spec"]["ports"]]
    assert len(set(names)) == len(names) and all(is_port_name(n) for n in names)
    assert all(p["targetPort"] == p["port"] for p in service["spec"]["ports"])
    assert [(p["containerPort"], p["name"]) for p in container(c)["ports"]] == [
        (p["port"], p["name"]) for p in service["spec"]["ports"]
    ]
    assert any("70000" in w for w in c.warnings)
    note = next(n for n in c.notes if "host ports" in n)
    assert "8081->8080/tcp" in note and "127.0.0.1:3000->3000/tcp" in note


def test_no_ports_still_answers_to_its_name_through_a_headless_service() -> None:
    c = build(svc())
    service = find(c, "Service")
    assert service["metadata"]["name"] == "web"
    assert service["spec"] == {
        "clusterIP": "None",
        "selector": workload(c)["spec"]["selector"]["matchLabels"],
    }
    assert any("Service web is headless" in n for n in c.notes)


def test_service_type_option() -> None:
    c = build(svc(ports=[Port(target=80)]), service_type="NodePort")
    assert find(c, "Service")["spec"]["type"] == "NodePort"


def test_app_protocol() -> None:
    c = build(svc(ports=[Port(target=80, app_protocol="http"), Port(target=81, app_protocol="not valid!")]))
    ports = find(c, "Service")["spec"]["ports"]
    assert ports[0]["appProtocol"] == "http" and "appProtocol" not in ports[1]
    assert any("app_protocol" in w for w in c.warnings)


# -- probes --------------------------------------------------------------------------------------


def test_cmd_healthcheck_is_exec_with_its_arguments() -> None:
    hc = Healthcheck(test=["CMD", "redis-cli", "ping"], interval=5, timeout=3, retries=5)
    c = build(svc(healthcheck=hc, ports=[Port(target=6379)]))
    ready = container(c)["readinessProbe"]
    assert ready == {
        "exec": {"command": ["redis-cli", "ping"]},
        "periodSeconds": 5,
        "timeoutSeconds": 3,
        "failureThreshold": 5,
    }
    # liveness checks the port, so an outage of what the check asks (a database) restarts nothing
    assert container(c)["livenessProbe"] == {
        "tcpSocket": {"port": 6379},
        "periodSeconds": 5,
        "timeoutSeconds": 1,
        "failureThreshold": 3,
    }
    assert "startupProbe" not in container(c)


def test_cmd_shell_runs_through_a_shell() -> None:
    hc = Healthcheck(
        test=["CMD-SHELL", "pg_isready -U ushadow"], interval=10, timeout=5, retries=5, start_period=10
    )
    c = build(svc(healthcheck=hc))
    assert container(c)["readinessProbe"]["exec"]["command"] == ["sh", "-c", "pg_isready -U ushadow"]


def test_start_period_becomes_a_startup_probe() -> None:
    hc = Healthcheck(
        test=["CMD", "curl", "-f", "http://localhost:9000/health/ready"],
        interval=10,
        retries=8,
        start_period=90,
    )
    c = build(svc(healthcheck=hc))
    startup = container(c)["startupProbe"]
    assert startup["periodSeconds"] == 5  # compose's start_interval default
    assert startup["failureThreshold"] == 90 // 5 + 8  # the whole start period, then the usual retries
    assert (
        startup["httpGet"]
        == container(c)["readinessProbe"]["httpGet"]
        == {
            "path": "/health/ready",
            "port": 9000,
        }
    )
    assert "initialDelaySeconds" not in container(c)["readinessProbe"]


def test_start_interval_is_used() -> None:
    hc = Healthcheck(test=["CMD", "true"], start_period=30, start_interval=2)
    c = build(svc(healthcheck=hc))
    assert container(c)["startupProbe"]["periodSeconds"] == 2


def test_compose_defaults_when_timings_are_missing() -> None:
    c = build(svc(healthcheck=Healthcheck(test=["CMD", "true"])))
    probe = container(c)["readinessProbe"]
    assert (probe["periodSeconds"], probe["timeoutSeconds"], probe["failureThreshold"]) == (30, 30, 3)


def test_zero_timings_and_retries_mean_the_defaults_as_for_docker() -> None:
    hc = Healthcheck(
        test=["CMD", "true"], interval=0, timeout=0, retries=0, start_period=10, start_interval=0
    )
    c = build(svc(healthcheck=hc))
    probe = container(c)["readinessProbe"]
    assert (probe["periodSeconds"], probe["timeoutSeconds"], probe["failureThreshold"]) == (30, 30, 3)
    assert container(c)["startupProbe"]["periodSeconds"] == 5


def test_sub_second_timings_round_up_to_one() -> None:
    c = build(svc(healthcheck=Healthcheck(test=["CMD", "true"], interval=0.5, timeout=0.2)))
    probe = container(c)["readinessProbe"]
    assert probe["periodSeconds"] == 1 and probe["timeoutSeconds"] == 1


@pytest.mark.parametrize(
    "hc",
    [Healthcheck(test=["NONE"]), Healthcheck(disable=True), Healthcheck(test=["CMD", "x"], disable=True)],
)
def test_disabled_healthcheck_gives_no_probes(hc: Healthcheck) -> None:
    c = build(svc(healthcheck=hc, ports=[Port(target=80)]))
    assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(container(c))


def test_no_healthcheck_but_a_tcp_port_gives_a_tcp_readiness_probe() -> None:
    c = build(svc(ports=[Port(target=53, protocol="udp"), Port(target=8080), Port(target=9090)]))
    assert container(c)["readinessProbe"]["tcpSocket"] == {"port": 8080}
    # liveness: the same port, patient (ten minutes) since no startup probe covers a slow start
    assert container(c)["livenessProbe"] == {
        "tcpSocket": {"port": 8080},
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "failureThreshold": 60,
    }


def test_udp_only_gives_no_probe() -> None:
    c = build(svc(ports=[Port(target=53, protocol="udp")]))
    assert "readinessProbe" not in container(c)


def test_healthcheck_without_test_falls_back_with_a_note() -> None:
    c = build(svc(healthcheck=Healthcheck(interval=10), ports=[Port(target=5432)]))
    assert container(c)["readinessProbe"]["tcpSocket"] == {"port": 5432}
    assert any("no test" in n for n in c.notes)


def test_bare_string_test_runs_in_a_shell() -> None:
    c = build(svc(healthcheck=Healthcheck(test=['echo "liveness"'])))
    assert container(c)["readinessProbe"]["exec"]["command"] == ["sh", "-c", 'echo "liveness"']


def test_liveness_can_be_turned_off() -> None:
    c = build(svc(healthcheck=Healthcheck(test=["CMD", "true"])), liveness=False)
    assert "livenessProbe" not in container(c) and "readinessProbe" in container(c)


# -- resources and security ---------------------------------------------------------------------


def test_resources_limits_requests_and_gpus() -> None:
    res = Resources(cpu_limit=2.0, memory_limit=4 * GiB, cpu_request=0.2, memory_request=GiB, gpus=2)
    c = build(svc(resources=res))
    assert container(c)["resources"] == {
        "limits": {"cpu": "2000m", "memory": "4Gi", "nvidia.com/gpu": "2"},
        "requests": {"cpu": "200m", "memory": "1Gi"},
    }


def test_memory_that_is_not_a_round_unit() -> None:
    c = build(svc(resources=Resources(memory_limit=10000, memory_request=512 * MiB + 1)))
    assert container(c)["resources"]["limits"]["memory"] == "10000"
    assert any("above the memory limit" in w for w in c.warnings)


def test_gpu_count_all_and_unknown_driver() -> None:
    c = build(svc(resources=Resources(gpus=-1, gpu_driver="acme")))
    assert container(c)["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert any("'all'" in w for w in c.warnings) and any("acme" in w for w in c.warnings)


def test_amd_gpu() -> None:
    c = build(svc(resources=Resources(gpus=1, gpu_driver="amd")))
    assert container(c)["resources"]["limits"] == {"amd.com/gpu": "1"}


@pytest.mark.parametrize(
    ("user", "expected", "warns"),
    [
        ("1000", {"runAsUser": 1000, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}, False),
        (
            "1000:2000",
            {"runAsUser": 1000, "runAsGroup": 2000, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
            False,
        ),
        ("root", {"runAsUser": 0, "capabilities": {"drop": ["NET_RAW"]}}, False),
        ("appuser", {"capabilities": {"drop": ["NET_RAW"]}}, True),
        ("1000:staff", {"runAsUser": 1000, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}, True),
    ],
)
def test_user_maps_to_run_as(user: str, expected: dict[str, Any], warns: bool) -> None:
    c = build(svc(user=user))
    defaults = {"allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}
    assert container(c)["securityContext"] == {**expected, **defaults}
    assert any("numeric" in w for w in c.warnings) is warns


def test_privileged_capabilities_read_only() -> None:
    c = build(svc(privileged=True, cap_add=["NET_ADMIN", "cap_sys_module"], cap_drop=["ALL"], read_only=True))
    assert container(c)["securityContext"] == {
        "privileged": True,  # asks for privilege: no allowPrivilegeEscalation: false
        "seccompProfile": {"type": "RuntimeDefault"},
        "capabilities": {"add": ["NET_ADMIN", "SYS_MODULE"], "drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }
    assert any("Pod Security baseline forbids privileged: true; cap_add NET_ADMIN" in w for w in c.warnings)


def test_pod_level_fields() -> None:
    spec = svc(
        extra_hosts=[
            ("a.local", "10.0.0.1"),
            ("B.local", "10.0.0.1"),
            ("c", "::1"),
            ("host.docker.internal", "host-gateway"),
        ],
        working_dir="/app",
        stop_grace_period=12.5,
        stdin_open=True,
        tty=True,
        hostname="MyHost",
        replicas=3,
    )
    c = build(spec)
    assert pod(c)["hostAliases"] == [
        {"ip": "10.0.0.1", "hostnames": ["a.local", "b.local"]},
        {"ip": "::1", "hostnames": ["c"]},
    ]
    assert any("host-gateway" in w for w in c.warnings)
    assert container(c)["workingDir"] == "/app"
    assert pod(c)["terminationGracePeriodSeconds"] == 13
    assert container(c)["stdin"] is True and container(c)["tty"] is True
    assert pod(c)["hostname"] == "myhost"
    assert workload(c)["spec"]["replicas"] == 3


@pytest.mark.parametrize("restart", ["no", "on-failure", "on-failure:3"])
def test_restart_policies_that_cannot_be_kept_warn(restart: str) -> None:
    c = build(svc(restart=restart), controller="deployment")
    assert any("restart" in w for w in c.warnings)


@pytest.mark.parametrize("restart", [None, "always", "unless-stopped"])
def test_restart_policies_that_fit(restart: str | None) -> None:
    c = build(svc(restart=restart))
    assert not any("restart" in w for w in c.warnings)


# -- depends_on ----------------------------------------------------------------------------------


def test_depends_on_is_a_note_by_default() -> None:
    db = svc(name="db", image="postgres:16", ports=[Port(target=5432)])
    web = svc(depends_on=[DependsOn(service="db", condition="service_healthy")])
    c = build(web, project_of(web, db))
    assert "initContainers" not in pod(c)
    assert any("depends_on db (service_healthy)" in n for n in c.notes)


def test_depends_on_can_wait_for_the_port() -> None:
    db = svc(name="db_main", image="postgres:16", ports=[Port(target=5432)])
    web = svc(depends_on=[DependsOn(service="db_main"), DependsOn(service="noports")])
    noports = svc(name="noports")
    c = build(web, project_of(web, db, noports), wait_for_dependencies=True)
    (init,) = pod(c)["initContainers"]
    assert init["name"] == "wait-for-db-main"
    assert "nc -z -w 2 db-main 5432" in init["command"][2]
    assert any("noports" in n and "no init container" in n for n in c.notes)


# -- volumes -------------------------------------------------------------------------------------


def test_named_volume_makes_a_statefulset_with_claim_templates() -> None:
    spec = svc(
        name="mongo",
        image="mongo:7",
        volumes=[Volume(type="volume", source="mongo_data", target="/data/db")],
        ports=[Port(target=27017)],
    )
    c = build(spec, volume_sizes={"mongo_data": "10Gi"}, storage_class="fast")
    assert c.kind == "StatefulSet"
    assert kinds(c) == ["Service", "Service", "StatefulSet"]
    sts = workload(c)
    assert sts["spec"]["serviceName"] == "mongo-headless"
    headless = find(c, "Service", "mongo-headless")
    assert headless["spec"]["clusterIP"] == "None"
    (tpl,) = sts["spec"]["volumeClaimTemplates"]
    assert tpl["metadata"]["name"] == "mongo-data"
    assert tpl["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert tpl["spec"]["storageClassName"] == "fast"
    # a datastore's data lives in a subfolder (a fresh volume's root may hold lost+found)
    assert container(c)["volumeMounts"] == [
        {"name": "mongo-data", "mountPath": "/data/db", "subPath": "data"}
    ]


def test_named_volume_as_deployment_makes_a_pvc_and_recreate_strategy() -> None:
    spec = svc(volumes=[Volume(type="volume", source="data", target="/data", subpath="sub", read_only=True)])
    c = build(spec, controllers={"web": "deployment"})
    assert kinds(c) == ["PersistentVolumeClaim", "Service", "Deployment"]
    pvc = find(c, "PersistentVolumeClaim", "data")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert workload(c)["spec"]["strategy"] == {"type": "Recreate"}
    assert pod(c)["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    assert container(c)["volumeMounts"] == [
        {"name": "data", "mountPath": "/data", "readOnly": True, "subPath": "sub"}
    ]


def test_shared_volume_stays_a_deployment_with_one_claim() -> None:
    vol = Volume(type="volume", source="chronicle_audio", target="/app/audio")
    a, b = svc(name="backend", volumes=[vol]), svc(name="workers", volumes=[vol])
    p = project_of(a, b)
    ca, cb = build(a, p), build(b, p)
    assert ca.kind == cb.kind == "Deployment"
    assert any("shared" in w for w in ca.warnings)
    merged = merge_objects([ca, cb])
    assert [o["kind"] for o in merged].count("PersistentVolumeClaim") == 1


def test_a_statefulset_without_ports_is_named_under_its_portless_service() -> None:
    vol = Volume(type="volume", source="pgdata", target="/var/lib/postgresql")
    c = build(svc(name="db", image="postgres:16", volumes=[vol]))
    assert c.kind == "StatefulSet" and kinds(c) == ["Service", "StatefulSet"]
    service = find(c, "Service", "db")
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is True
    assert "ports" not in service["spec"]
    assert workload(c)["spec"]["serviceName"] == "db"


def test_statefulset_option_and_deployment_default() -> None:
    spec = svc(volumes=[Volume(type="volume", source="d", target="/d")])
    assert build(spec, controller="deployment").kind == "Deployment"
    assert build(svc(), controller="statefulset").kind == "StatefulSet"
    assert build(spec, controllers={"app:web": "deployment"}).kind == "Deployment"


def test_persistence_off_uses_empty_dirs() -> None:
    spec = svc(volumes=[Volume(type="volume", source="d", target="/d")])
    c = build(spec, persistence="emptydir")
    assert c.kind == "Deployment" and kinds(c) == ["Service", "Deployment"]
    assert pod(c)["volumes"] == [{"name": "d", "emptyDir": {}}]


def test_external_volume_refers_to_an_existing_claim() -> None:
    spec = svc(volumes=[Volume(type="volume", source="shared_models", target="/m")])
    p = project_of(spec, volumes={"shared_models": TopLevelResource(name="shared_models", external=True)})
    c = build(spec, p)
    assert c.kind == "Deployment" and "PersistentVolumeClaim" not in kinds(c)
    assert pod(c)["volumes"][0]["persistentVolumeClaim"] == {"claimName": "shared-models"}
    assert any("external" in n for n in c.notes)


def test_bind_tmpfs_and_anonymous_volumes() -> None:
    volumes = [
        Volume(type="bind", source="./config", target="/app/config", read_only=True),
        Volume(type="tmpfs", target="/tmp", tmpfs_size=64 * MiB),
        Volume(type="volume", target="/app/.venv"),
        Volume(type="npipe", source=r"\\.\pipe\x", target="/pipe"),
        Volume(type="tmpfs", target="/tmp"),  # the same target twice
    ]
    c = build(svc(volumes=volumes))
    assert c.kind == "Deployment"
    vols = {v["name"]: v for v in pod(c)["volumes"]}
    assert vols["bind-config"] == {"name": "bind-config", "emptyDir": {}}
    assert vols["tmpfs-tmp"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "64Mi"}
    assert vols["anon-venv"]["emptyDir"] == {}
    assert not any("hostPath" in v for v in vols.values())
    assert any("./config:/app/config" in w and "ConfigMap" in w for w in c.warnings)
    assert any("npipe" in w for w in c.warnings)
    assert any("mounted twice" in w for w in c.warnings)
    paths = [m["mountPath"] for m in container(c)["volumeMounts"]]
    assert paths == ["/app/config", "/tmp", "/app/.venv"]


def test_invalid_volume_size_is_refused() -> None:
    spec = svc(volumes=[Volume(type="volume", source="d", target="/d")])
    with pytest.raises(InvalidInput, match="quantity"):
        build(spec, volume_size="lots")


# -- compose secrets and configs ----------------------------------------------------------------


def test_file_secret_is_mounted_and_reported() -> None:
    spec = svc(secrets=[FileRef(source="my_secret", target="redis_secret", mode=0o440)])
    p = project_of(spec, secrets={"my_secret": TopLevelResource(name="my_secret", file="./my_secret.txt")})
    c = build(spec, p)
    assert "Secret" not in kinds(c)
    (vol,) = pod(c)["volumes"]
    assert vol["secret"] == {
        "secretName": "my-secret",
        "items": [{"key": "my_secret", "path": "my_secret", "mode": 0o440}],
    }
    assert container(c)["volumeMounts"] == [
        {
            "name": vol["name"],
            "mountPath": "/run/secrets/redis_secret",
            "subPath": "my_secret",
            "readOnly": True,
        }
    ]
    assert any("kubectl create secret generic my-secret" in w for w in c.warnings)


def test_inline_secret_and_config_are_emitted_and_mounted() -> None:
    spec = svc(
        secrets=[FileRef(source="token")],
        configs=[FileRef(source="nginx_conf", target="/etc/nginx/nginx.conf")],
    )
    p = project_of(
        spec,
        secrets={"token": TopLevelResource(name="token", environment="TOKEN", content="t0ps3cret")},
        configs={"nginx_conf": TopLevelResource(name="nginx_conf", content="events {}\n")},
    )
    c = build(spec, p)
    secret = find(c, "Secret", "token")
    assert base64.b64decode(secret["data"]["token"]).decode() == "t0ps3cret"
    assert find(c, "ConfigMap", "nginx-conf")["data"] == {"nginx_conf": "events {}\n"}
    mounts = {m["mountPath"] for m in container(c)["volumeMounts"]}
    assert mounts == {"/run/secrets/token", "/etc/nginx/nginx.conf"}
    assert "t0ps3cret" not in to_yaml(c.redacted())


def test_external_and_undeclared_refs() -> None:
    spec = svc(secrets=[FileRef(source="ext"), FileRef(source="missing")])
    p = project_of(spec, secrets={"ext": TopLevelResource(name="ext", external=True)})
    c = build(spec, p)
    assert any("external" in n for n in c.notes)
    assert any("missing is not declared" in w for w in c.warnings)


@pytest.mark.parametrize("source", ["web-secrets", "web_secrets"])
def test_a_compose_secret_named_like_the_env_secret_gets_a_name_of_its_own(source: str) -> None:
    spec = svc(environment={"TOKEN": "x"}, secrets=[FileRef(source=source)])
    p = project_of(spec, secrets={source: TopLevelResource(name=source, content="y")})
    c = build(spec, p)
    secrets = {o["metadata"]["name"]: o for o in c.objects if o["kind"] == "Secret"}
    own = dns_label(f"{source}-secret")
    assert set(secrets) == {"web-secrets", own}
    assert set(secrets["web-secrets"]["data"]) == {"TOKEN"}
    mounted = [v["secret"] for v in pod(c)["volumes"] if "secret" in v]
    assert [m["secretName"] for m in mounted] == [own]
    assert set(secrets[own]["data"]) == {m["items"][0]["key"] for m in mounted}


# -- several services ---------------------------------------------------------------------------


def test_two_services_with_one_kubernetes_name_conflict() -> None:
    a, b = svc(name="my_app"), svc(name="my-app")
    p = project_of(a, b)
    with pytest.raises(Conflict, match="my-app"):
        merge_objects([build(a, p), build(b, p)])


def test_same_name_in_different_namespaces_is_fine() -> None:
    a = compile_service(svc(), project=None, namespace="one")
    b = compile_service(svc(), project=None, namespace="two")
    assert len(merge_objects([a, b])) == 6  # a Service, a NetworkPolicy and a Deployment in each


def test_merge_orders_config_before_workloads() -> None:
    a = build(svc(name="a", environment={"X": "1"}, ports=[Port(target=80)]))
    b = build(svc(name="b", environment={"Y": "2"}))
    order = [o["kind"] for o in merge_objects([a, b])]
    assert order == ["ConfigMap", "ConfigMap", "Service", "Service", "Deployment", "Deployment"]


# -- YAML output ---------------------------------------------------------------------------------


def test_yaml_round_trips_without_anchors() -> None:
    hc = Healthcheck(test=["CMD", "true"], start_period=10)
    c = build(svc(healthcheck=hc, entrypoint=["sh", "-c", "line one\nline two\n"], environment={"A": "on"}))
    text = to_yaml(c.objects)
    assert "&id" not in text and "*id" not in text
    assert list(yaml.safe_load_all(text)) == c.objects
    assert text.count("---\n") == len(c.objects)


def test_files_for_numbers_files_in_apply_order() -> None:
    c = build(svc(environment={"A": "1"}, ports=[Port(target=80)]))
    files = files_for(c.objects)
    assert list(files) == ["01-configmap-web-config.yaml", "02-service-web.yaml", "03-deployment-web.yaml"]
    assert yaml.safe_load(files["03-deployment-web.yaml"])["kind"] == "Deployment"


def test_subpath_must_be_relative() -> None:
    spec = svc(volumes=[Volume(type="volume", source="d", target="/d", subpath="../etc")])
    c = build(spec, controller="deployment")
    assert "subPath" not in container(c)["volumeMounts"][0]
    assert any("subpath" in w for w in c.warnings)


def test_service_account_token_is_off_unless_asked() -> None:
    assert pod(build(svc()))["automountServiceAccountToken"] is False
    assert pod(build(svc(), service_account_token=True))["automountServiceAccountToken"] is True


# -- secret values outside the environment -------------------------------------------------------

PW = "Sup3r-redis-pw-991"


def uses(*items: tuple[str, str, str] | tuple[str, str, str, str]) -> dict[str, Any]:
    """``secret_uses`` (field, variable, value[, key]) and the matching ``secret_variables``."""
    found = [
        SecretUse(field=i[0], variable=i[1], value=i[2], key=i[3] if len(i) > 3 else None) for i in items
    ]
    variables: dict[str, str] = {}
    for use in found:
        variables.setdefault(use.variable, use.value)
    return {"secret_uses": found, "secret_variables": variables}


def secret_data(c: CompiledService) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in find(c, "Secret")["data"].items()}


def kubelet_expand(text: str, env: dict[str, str]) -> str:
    """The kubelet's expansion of a command or args entry: ``$$`` -> ``$``, ``$(VAR)`` -> value."""
    return re.sub(
        r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
        text,
    )


def test_a_password_only_on_the_command_line_gets_a_secret_key_and_a_reference() -> None:
    command = ["redis-server", "--requirepass", PW, "--save", "$60"]
    c = build(svc(command=command, **uses(("command", "REDIS_PASSWORD", PW))))
    assert container(c)["args"] == ["redis-server", "--requirepass", "$(REDIS_PASSWORD)", "--save", "$$60"]
    assert secret_data(c) == {"REDIS_PASSWORD": PW}
    assert container(c)["envFrom"] == [{"secretRef": {"name": "web-secrets"}}]
    assert [kubelet_expand(a, secret_data(c)) for a in container(c)["args"]] == command
    assert c.secret_references == ["REDIS_PASSWORD"]
    assert any("$(REDIS_PASSWORD)" in n and "web-secrets" in n for n in c.notes)
    assert PW not in repr([o for o in c.objects if o["kind"] != "Secret"])


@pytest.mark.parametrize(
    ("environment", "variable", "reference", "secret"),
    [
        # the value is in the environment under the same name: read from there
        ({"REDIS_PASSWORD": PW}, "REDIS_PASSWORD", "REDIS_PASSWORD", {"REDIS_PASSWORD": PW}),
        # under another name: that one is read, no new key
        ({"REDIS_PASS": PW}, "REDIS_PASSWORD", "REDIS_PASS", {"REDIS_PASS": PW}),
        # the name holds another value there: a key of its own
        ({"REDIS_PASSWORD": "other-pw-123"}, "REDIS_PASSWORD", "REDIS_PASSWORD_2",
         {"REDIS_PASSWORD": "other-pw-123", "REDIS_PASSWORD_2": PW}),
        # declared bare (no value anywhere): ours to fill
        ({"REDIS_PASSWORD": None}, "REDIS_PASSWORD", "REDIS_PASSWORD", {"REDIS_PASSWORD": PW}),
    ],
)  # fmt: skip
def test_which_variable_a_reference_reads(
    environment: dict[str, str | None], variable: str, reference: str, secret: dict[str, str]
) -> None:
    c = build(svc(command=["--pw", PW], environment=environment, **uses(("command", variable, PW))))
    assert container(c)["args"] == ["--pw", f"$({reference})"]
    assert secret_data(c) == secret


def test_entrypoint_and_a_value_with_a_dollar() -> None:
    token = "adm1n-t0ken-$-4417"
    c = build(
        svc(entrypoint=["/app", f"--token={token}", "$HOME"], **uses(("entrypoint", "ADMIN_TOKEN", token)))
    )
    assert container(c)["command"] == ["/app", "--token=$(ADMIN_TOKEN)", "$$HOME"]
    assert kubelet_expand(container(c)["command"][1], secret_data(c)) == f"--token={token}"


def test_cmd_probe_runs_through_the_shell_with_the_variable() -> None:
    hc = Healthcheck(test=["CMD", "redis-cli", "-a", PW, "ping"])
    c = build(svc(healthcheck=hc, **uses(("healthcheck", "REDIS_PASSWORD", PW))))
    expected = ["sh", "-c", 'exec redis-cli -a "${REDIS_PASSWORD}" ping']
    assert container(c)["readinessProbe"]["exec"]["command"] == expected
    assert container(c)["livenessProbe"]["exec"]["command"] == expected
    assert secret_data(c) == {"REDIS_PASSWORD": PW}
    assert any("/bin/sh now" in n for n in c.notes)


def test_cmd_shell_probe_follows_the_quotes() -> None:
    hc = Healthcheck(
        test=["CMD-SHELL", f"curl -H 'X-Key: {PW}' http://localhost/ || exit 1"], start_period=10
    )
    c = build(svc(healthcheck=hc, environment={"API_KEY": PW}, **uses(("healthcheck", "API_KEY", PW))))
    script = "curl -H 'X-Key: '\"${API_KEY}\"'' http://localhost/ || exit 1"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container(c)[probe]["exec"]["command"] == ["sh", "-c", script]
    assert not any("/bin/sh now" in n for n in c.notes)  # CMD-SHELL always needed a shell


def test_a_distinctive_env_secret_written_out_on_the_command_line_is_referenced_too() -> None:
    c = build(svc(command=["app", f"--key={PW}"], environment={"API_KEY": PW}))
    assert container(c)["args"] == ["app", "--key=$(API_KEY)"]


def test_a_well_known_default_is_left_where_nothing_interpolated_it() -> None:
    """POSTGRES_PASSWORD=postgres also names the command and the user: nothing there is a secret."""
    env = {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres"}
    spec = svc(
        image="postgres:17",
        command=["postgres", "-c", "max_connections=200"],
        environment=env,
        **uses(("environment", "POSTGRES_PASSWORD", "postgres", "POSTGRES_PASSWORD")),
    )
    c = build(spec)
    assert container(c)["args"] == ["postgres", "-c", "max_connections=200"]
    assert find(c, "ConfigMap")["data"] == {"POSTGRES_USER": "postgres"}
    assert secret_data(c) == {"POSTGRES_PASSWORD": "postgres"}
    assert c.secret_references == []


@pytest.mark.parametrize(
    ("environment", "extra", "moved"),
    [
        # interpolated into an innocent name: moved, however weak the value
        ({"REDIS_ARGS": "--requirepass redis", "MODE": "x"},
         uses(("environment", "REDIS_PASSWORD", "redis", "REDIS_ARGS")), ["REDIS_ARGS"]),
        ({"JAVA_OPTS": f"-Dpw={PW}", "MODE": "x"},
         uses(("environment", "DB_PASSWORD", PW, "JAVA_OPTS")), ["JAVA_OPTS"]),
        # a distinctive secret of the environment written out in another variable
        ({"API_KEY": PW, "CURL_HEADER": f"X-Key: {PW}", "MODE": "x"}, {}, ["CURL_HEADER"]),
        # a weak one is not hunted: the user is not a secret
        ({"POSTGRES_PASSWORD": "postgres", "POSTGRES_USER": "postgres", "MODE": "x"}, {}, []),
    ],
)  # fmt: skip
def test_a_variable_holding_a_secret_value_goes_to_the_secret_whole(
    environment: dict[str, str], extra: dict[str, Any], moved: list[str]
) -> None:
    c = build(svc(environment=environment, **extra))
    config = find(c, "ConfigMap")["data"]
    assert "MODE" in config and not set(moved) & set(config)
    assert set(moved) <= set(secret_data(c))
    assert any(", ".join(moved) in n and "secret value" in n for n in c.notes) is bool(moved)


def test_a_value_split_over_words_is_a_warning_and_a_label_with_a_secret_is_left_out() -> None:
    spec = svc(
        command=["app", "--pw", "two", "words-123"],
        labels={"auth": "tok-label-0123456789"},
        **uses(("command", "PASS_PHRASE", "two words-123"), ("labels", "API_TOKEN", "tok-label-0123456789")),
    )
    c = build(spec)
    assert any("PASS_PHRASE was split over several words" in w for w in c.warnings)
    # labels are plain text to whoever may list the namespace: one holding a secret is left out
    assert any("label auth holds a secret value and was left out" in w for w in c.warnings)
    assert "tok-label-0123456789" not in repr(c.warnings + c.notes)
    assert "tok-label-0123456789" not in to_yaml([o for o in c.objects if o["kind"] != "Secret"])
    assert "auth" not in workload(c)["metadata"]["labels"]


def test_the_env_hash_follows_a_secret_on_the_command_line() -> None:
    def digest(value: str) -> str:
        c = build(svc(command=["--pw", value], **uses(("command", "REDIS_PASSWORD", value))))
        return str(workload(c)["spec"]["template"]["metadata"]["annotations"][ENV_HASH_ANNOTATION])

    assert digest("pw-one-12345") != digest("pw-two-12345")


def test_redacted_hunts_down_what_slipped_through() -> None:
    """A value the compiler could not know about as a secret (no secret_uses) but that is in the
    Secret: the defence in depth of ``redacted()`` still replaces it."""
    c = build(svc(entrypoint=["sh", "-c", f"run --pw {PW}"], environment={"API_KEY": PW}))
    assert container(c)["command"] == ["sh", "-c", "run --pw $(API_KEY)"]
    assert PW not in to_yaml(c.redacted()) and PW not in repr(c.to_json())


# -- the secrets fixture: no value anywhere but in the Secrets --------------------------------------

FIXTURES = paths.FIXTURES / "compiler"
SECRETS_FILE = FIXTURES / "secrets.yml"
# Every secret value of tests/fixtures/compiler/secrets.yml (defaults of its variables).
FIXTURE_SECRETS = {
    "REDIS_PASSWORD": "rEd1s-only-in-command-8812",
    "ADMIN_TOKEN": "adm1n-t0ken-$-4417",
    "API_KEY": "sk-fixture-0123456789abcdefXYZ",
    "API_PASSWORD": "j4va-opts-pw-5531",
    "DB_PASSWORD": "pg-fixture-pw-7781",
}
SERVICE_IDS = ["secrets:keyed-cache", "secrets:keyed-api", "secrets:keyed-db"]


def leaked(text: str | bytes) -> list[str]:
    """The fixture's secret values found in ``text``, as they are or base64-encoded."""
    blob = text.encode() if isinstance(text, str) else text
    forms = {v: [v.encode(), base64.b64encode(v.encode())] for v in FIXTURE_SECRETS.values()}
    return [value for value, encoded in forms.items() if any(form in blob for form in encoded)]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("USHADOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(FIXTURES))
    for name in FIXTURE_SECRETS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def references(container: dict[str, Any]) -> set[str]:
    """Variables a container reads by reference: ``$(VAR)`` in command/args, ``${VAR}`` in probes."""
    found: set[str] = set()
    for arg in [*container.get("command", []), *container.get("args", [])]:
        found |= set(re.findall(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        for part in (container.get(probe) or {}).get("exec", {}).get("command", []):
            found |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", part))
    return found


@pytest.mark.parametrize("name", ["keyed-cache", "keyed-api", "keyed-db"])
def test_fixture_services_read_their_secrets_by_reference(name: str) -> None:
    project = load_project(SECRETS_FILE, environ={})
    spec = project.services[name]
    c = build(spec, project)  # valid for Kubernetes 1.37 (kubernetes_validate, strict)
    data = secret_data(c)
    box = container(c)
    read = references(box)
    assert read and read == set(c.secret_references)
    assert read <= set(data)  # every reference names a key of the service's Secret...
    assert {"secretRef": {"name": f"{name}-secrets"}} in box["envFrom"]  # ...which the container loads
    for variable in read:
        assert data[variable] in FIXTURE_SECRETS.values()
    assert not leaked(to_yaml([o for o in c.objects if o["kind"] != "Secret"]))
    assert not leaked(to_yaml(c.redacted())) and not leaked(repr(c.to_json()))
    # the kubelet hands the program exactly what compose would have
    env = (
        {**data, **find(c, "ConfigMap")["data"]} if any(o["kind"] == "ConfigMap" for o in c.objects) else data
    )
    assert [kubelet_expand(a, env) for a in box.get("args", [])] == (spec.command or [])
    assert [kubelet_expand(a, env) for a in box.get("command", [])] == (spec.entrypoint or [])


def test_fixture_secret_keys_hold_the_values() -> None:
    project = load_project(SECRETS_FILE, environ={})
    compiled = {n: build(s, project) for n, s in project.services.items()}
    assert secret_data(compiled["keyed-cache"]) == {"REDIS_PASSWORD": FIXTURE_SECRETS["REDIS_PASSWORD"]}
    assert secret_data(compiled["keyed-api"]) == {
        "API_KEY": FIXTURE_SECRETS["API_KEY"],
        "JAVA_OPTS": f"-Xmx512m -Dapi.password={FIXTURE_SECRETS['API_PASSWORD']}",
        "ADMIN_TOKEN": FIXTURE_SECRETS["ADMIN_TOKEN"],
    }
    assert set(secret_data(compiled["keyed-db"])) == {"POSTGRES_PASSWORD", "PGOPTIONS_LINE"}
    assert find(compiled["keyed-db"], "ConfigMap")["data"] == {
        "PGDATA": "/var/lib/postgresql/data/pgdata",  # postgres's data subfolder
        "POSTGRES_USER": "app",
    }


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_render_prints_no_secret_value(
    service_id: str, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", service_id]) == 0
    out, err = capsys.readouterr()
    assert "$(" in out or "${" in out  # the references are there...
    assert not leaked(out) and not leaked(err)  # ...the values are not
    assert main(["render", service_id, "--json"]) == 0
    out, err = capsys.readouterr()
    assert not leaked(out) and not leaked(err)
    assert main(["render", service_id, "--out", str(cli_env / "out")]) == 0
    capsys.readouterr()
    files = list((cli_env / "out").rglob("*"))
    assert files and not any(leaked(p.read_bytes()) for p in files if p.is_file())


def test_bundle_files_and_zip_hold_no_secret_value(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = cli_env / "k8s"
    assert main(["bundle", "--out", str(out), "--json"]) == 0
    stdout, err = capsys.readouterr()
    assert not leaked(stdout) and not leaked(err)
    texts = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert (
        "infra/ushadow/keyed-cache.yaml" in texts and "base/ushadow/keyed-api.yaml" in texts
    )  # redis: infra
    assert not {rel: leaked(text) for rel, text in texts.items() if leaked(text)}
    assert b"$(REDIS_PASSWORD)" in texts["infra/ushadow/keyed-cache.yaml"]
    # the operator is asked for the new key too
    assert b"REDIS_PASSWORD=\n" in texts["secrets/ushadow/keyed-cache-secrets.env.example"]
    assert "secrets/ushadow/keyed-cache-secrets.env" not in texts  # the operator makes it
    assert b"ADMIN_TOKEN=" in texts["secrets/ushadow/keyed-api-secrets.env.example"]
    plan = plan_bundle(refs_of([load_project(SECRETS_FILE, environ={})]))
    assert not plan.concealed  # the compiler kept them out: the defence in depth found nothing
    archive = zipfile.ZipFile(io.BytesIO(zip_bundle(plan)))
    assert not any(leaked(archive.read(name)) for name in archive.namelist())
    services = {s["service_id"]: s for s in plan.services}
    assert services["secrets:keyed-api"]["secret_references"] == ["ADMIN_TOKEN", "API_KEY"]


def test_a_config_whose_content_interpolates_a_secret_is_a_secret_and_masked_when_shown() -> None:
    value = "pw-config-123456"
    spec = svc(configs=[FileRef(source="app_conf", target="/etc/app.conf")])
    p = project_of(
        spec,
        configs={"app_conf": TopLevelResource(name="app_conf", content=f"password={value}\n")},
        secret_uses=[SecretUse(field="configs", key="app_conf", variable="DB_PASSWORD", value=value)],
    )
    c = build(spec, p)
    assert find(c, "Secret", "app-conf")["data"] == {
        "app_conf": base64.b64encode(f"password={value}\n".encode()).decode()
    }  # deploy needs it
    assert not [o for o in c.objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "app-conf"]
    assert any("mounted from a Secret" in n for n in c.notes)
    assert value not in to_yaml(c.redacted()) and value not in repr(c.to_json())
    unused = build(svc(), project_of(svc(), secret_uses=p.secret_uses))  # a config it does not mount
    assert not any("interpolates" in w for w in unused.warnings)
