"""Issue 12: the compiled service runs the way its compose file meant. One table per rule; every
object is also checked against the Kubernetes 1.37 OpenAPI schema (strict)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from core.compose.loading import load_project
from core.compose.model import (
    ComposeProject,
    Healthcheck,
    Port,
    Resources,
    ServiceSpec,
    UshadowMeta,
    Volume,
)
from core.errors import InvalidInput, NotConvertible
from core.manifests.bundles import plan_bundle, refs_of
from core.manifests.compilations import CompiledService, CompileOptions
from core.manifests.compiler import compile_service
from core.manifests.crossrefs import active
from core.manifests.probes import http_get
from core.manifests.renderdirs import KUSTOMIZATION, render_folder
from tests.support import paths

SEMANTICS = paths.FIXTURES / "semantics" / "semantics.yml"
NGINX_CONF = "events {}\nhttp { server { listen 80; } }\n"


def svc(**kwargs: Any) -> ServiceSpec:
    kwargs.setdefault("name", "web")
    kwargs.setdefault("image", "nginx:1.27")
    return ServiceSpec(**kwargs)


def project_of(*specs: ServiceSpec, ushadow: dict[str, Any] | None = None, **extra: Any) -> ComposeProject:
    block = dict(ushadow or {})
    per_service = {k: UshadowMeta.of(v) for k, v in block.items() if k in {s.name for s in specs}}
    meta = UshadowMeta.of({k: v for k, v in block.items() if k not in per_service})
    return ComposeProject(
        path="/compose/app.yml",
        name="app",
        services={s.name: s for s in specs},
        meta=meta,
        service_meta=per_service,
        **extra,
    )


def build(spec: ServiceSpec, project: ComposeProject | None = None, **options: Any) -> CompiledService:
    compiled = compile_service(
        spec, project=project or project_of(spec), namespace="demo", options=CompileOptions(**options)
    )
    for obj in compiled.objects:
        kubernetes_validate.validate(obj, "1.37", strict=True)
    return compiled


def find(compiled: CompiledService, kind: str, name: str | None = None) -> dict[str, Any]:
    for obj in compiled.objects:
        if obj["kind"] == kind and (name is None or obj["metadata"]["name"] == name):
            return obj
    raise AssertionError(f"no {kind} {name or ''} in {[o['kind'] for o in compiled.objects]}")


def pod(compiled: CompiledService) -> dict[str, Any]:
    body = find(compiled, compiled.kind)["spec"]
    body = body["jobTemplate"]["spec"] if compiled.kind == "CronJob" else body
    spec: dict[str, Any] = body["template"]["spec"]
    return spec


def container(compiled: CompiledService) -> dict[str, Any]:
    first: dict[str, Any] = pod(compiled)["containers"][0]
    return first


def warned(compiled: CompiledService, fragment: str) -> bool:
    return any(fragment in w for w in compiled.warnings)


# -- (a) bind mounts ------------------------------------------------------------------------------


def test_a_bind_mounted_file_is_a_configmap_key_mounted_with_subpath() -> None:
    vol = Volume(
        type="bind", source="/compose/nginx.conf", target="/etc/nginx/nginx.conf", content=NGINX_CONF
    )
    c = build(svc(volumes=[vol]))
    assert find(c, "ConfigMap", "web-files")["data"] == {"nginx.conf": NGINX_CONF}
    assert {"name": "files", "configMap": {"name": "web-files"}} in pod(c)["volumes"]
    assert container(c)["volumeMounts"] == [
        {"name": "files", "mountPath": "/etc/nginx/nginx.conf", "readOnly": True, "subPath": "nginx.conf"}
    ]
    assert any("read-only from a ConfigMap" in n for n in c.notes)  # compose mounted it writable


@pytest.mark.parametrize(
    ("source", "content"),
    [
        ("/compose/certs/server.key", "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"),
        ("/compose/db_password.txt", "hunter2\n"),
        ("/compose/app.conf", "token = sk-proj-0123456789abcdefghijklmnopqrstuvwxyz\n"),
    ],
)
def test_a_sensitive_bind_mounted_file_is_a_secret(source: str, content: str) -> None:
    c = build(svc(volumes=[Volume(type="bind", source=source, target="/run/x", content=content)]))
    assert "ConfigMap" not in [o["kind"] for o in c.objects]
    secret = find(c, "Secret", "web-files")
    assert list(secret["data"]) == [source.rsplit("/", 1)[1]]
    assert any(v.get("secret") == {"secretName": "web-files"} for v in pod(c)["volumes"])
    assert c.hidden()  # the content is a secret value: redacted wherever the service is shown


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("/var/run/docker.sock", "Docker socket"),
        ("/run/docker.sock", "Docker socket"),
        ("/dev/net/tun", "device plugin"),
        ("/proc", "/proc belongs to the Docker host"),
        ("/var/lib/docker/volumes", "/var/lib/docker belongs"),
    ],
)
def test_docker_host_paths_are_refused_with_the_reason(source: str, reason: str) -> None:
    spec = svc(volumes=[Volume(type="bind", source=source, target="/mnt/x")])
    with pytest.raises(NotConvertible) as caught:
        build(spec)
    assert reason in caught.value.message and "host_paths" in (caught.value.hint or "")


def test_x_ushadow_host_paths_mount_the_nodes_path_with_a_warning() -> None:
    spec = svc(volumes=[Volume(type="bind", source="/var/run/docker.sock", target="/var/run/docker.sock")])
    c = build(spec, project_of(spec, ushadow={"web": {"host_paths": ["/var/run/docker.sock"]}}))
    assert {"name": "host-docker-sock", "hostPath": {"path": "/var/run/docker.sock"}} in pod(c)["volumes"]
    assert warned(c, "hostPath") and warned(c, "depends on that node")


def test_a_bind_mounted_folder_or_unreadable_file_is_an_empty_dir_with_the_reason() -> None:
    folder = Volume(type="bind", source="/compose/data", target="/data")
    missing = Volume(type="bind", source="/compose/missing.yaml", target="/etc/app.yaml")
    c = build(svc(volumes=[folder, missing]))
    assert all(v["emptyDir"] == {} for v in pod(c)["volumes"])
    assert warned(c, "/compose/data:/data") and warned(c, "could not read")


def test_the_loader_reads_a_bind_mounted_file(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(NGINX_CONF)
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "compose.yml").write_text(
        "services:\n  web:\n    image: nginx\n    volumes: [./nginx.conf:/etc/nginx/nginx.conf, ./conf.d:/c]\n"
    )
    project = load_project(tmp_path / "compose.yml", environ={})
    conf, folder = project.services["web"].volumes
    assert conf.content == NGINX_CONF and folder.content is None


# -- (b) Jobs and CronJobs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restart", "ports", "kind", "policy", "backoff"),
    [
        ("no", [], "Job", "Never", 0),
        ('"no"', [], "Job", "Never", 0),
        ("no", [Port(target=80)], "Job", "Never", 0),
        ("on-failure", [], "Job", "OnFailure", 6),
        ("on-failure:3", [], "Job", "OnFailure", 3),
        ("on-failure", [Port(target=80)], "Deployment", None, None),  # a server, not a task
        ("always", [], "Deployment", None, None),
        (None, [], "Deployment", None, None),
    ],
)
def test_restart_decides_job_or_deployment(
    restart: str | None, ports: list[Port], kind: str, policy: str | None, backoff: int | None
) -> None:
    c = build(svc(restart=restart, ports=ports))
    assert c.kind == kind
    if kind == "Job":
        job = find(c, "Job")
        assert job["spec"]["backoffLimit"] == backoff
        assert pod(c)["restartPolicy"] == policy
        assert warned(c, "Job: ")
        assert ("Service" in [o["kind"] for o in c.objects]) == bool(ports)


def test_x_ushadow_schedule_makes_a_cronjob_and_backoff_limit_is_kept() -> None:
    spec = svc(name="vacuum", command=["vacuum"])
    c = build(spec, project_of(spec, ushadow={"vacuum": {"schedule": "0 3 * * *", "backoff_limit": 2}}))
    cron = find(c, "CronJob")
    assert cron["spec"]["schedule"] == "0 3 * * *" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 2
    assert pod(c)["restartPolicy"] == "Never"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"controller": "daemonset"}, "controller"),
        ({"schedule": "every day"}, "schedule"),
        ({"controller": "cronjob"}, "needs a schedule"),
        ({"backoff_limit": -1}, "backoff_limit"),
        ({"liveness": "sometimes"}, "liveness"),
        ({"liveness": {"path": "/x", "port": "s3cr3t-Valu3"}}, r"liveness\.port: expected a port number"),
        ({"liveness": {"path": "/x", "port": 70000}}, r"liveness\.port"),
        ({"liveness": {"path": 3}}, r"liveness\.path: expected a path"),
        ({"liveness": {"path": "/x", "delay": 5}}, r"liveness: unknown key\(s\) delay"),
        ({"host_paths": "/dev"}, "host_paths"),
    ],
)
def test_bad_x_ushadow_settings_are_refused(block: dict[str, Any], message: str) -> None:
    spec = svc()
    with pytest.raises(InvalidInput, match=message) as caught:
        build(spec, project_of(spec, ushadow={"web": block}))
    assert "s3cr3t" not in str(caught.value)  # a value interpolation put there may be a secret


# -- (c) probes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["curl", "-f", "http://localhost:8080/health"], {"path": "/health", "port": 8080}),
        (["curl", "-fsS", "http://127.0.0.1/"], {"path": "/", "port": 80}),
        (
            ["curl", "--fail", "--silent", "-o", "/dev/null", "http://localhost:9000/q?x=1"],
            {"path": "/q?x=1", "port": 9000},
        ),
        (
            ["sh", "-c", "curl -f http://localhost:3000/api/health || exit 1"],
            {"path": "/api/health", "port": 3000},
        ),
        (["sh", "-c", "wget -qO- http://127.0.0.1:8000/ready || exit 1"], {"path": "/ready", "port": 8000}),
        (["wget", "--spider", "-q", "http://localhost:8080"], {"path": "/", "port": 8080}),
        (["curl", "-fk", "https://localhost:8443/h"], {"path": "/h", "port": 8443, "scheme": "HTTPS"}),
        (["curl", "http://localhost:8080/health"], None),  # no --fail: an HTTP error still passes
        (["curl", "-f", "http://other-host:8080/health"], None),  # not this container
        (["curl", "-f", "-H", "X: y", "http://localhost/"], None),  # a header httpGet would not send
        (["sh", "-c", "curl -f http://localhost:80/ && test -f /ok"], None),  # more than a request
        (["sh", "-c", "curl -f http://localhost:$PORT/"], None),  # a shell variable
        (["pg_isready"], None),
    ],
)
def test_http_checks_of_localhost_become_http_get(
    command: list[str], expected: dict[str, Any] | None
) -> None:
    assert http_get(command) == expected


def test_readiness_is_the_healthcheck_and_liveness_checks_the_port() -> None:
    hc = Healthcheck(
        test=["CMD-SHELL", "curl -f http://localhost:8080/ready"], interval=10, retries=3, start_period=60
    )
    c = build(svc(healthcheck=hc, ports=[Port(target=8080)]))
    box = container(c)
    assert box["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8080}
    assert box["livenessProbe"]["tcpSocket"] == {"port": 8080}
    assert box["startupProbe"]["httpGet"] == {"path": "/ready", "port": 8080}
    assert box["startupProbe"]["failureThreshold"] == 60 // 5 + 3


def test_without_a_port_liveness_is_the_healthcheck_with_a_far_larger_threshold() -> None:
    hc = Healthcheck(test=["CMD", "celery", "inspect", "ping"], interval=30, retries=3)
    box = container(build(svc(healthcheck=hc)))
    assert box["readinessProbe"]["failureThreshold"] == 3
    assert box["livenessProbe"]["exec"] == box["readinessProbe"]["exec"]
    assert box["livenessProbe"]["failureThreshold"] == 30  # ten times, and ten minutes of failures


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("none", None),
        (
            "healthcheck",
            {
                "exec": {"command": ["check"]},
                "periodSeconds": 30,
                "timeoutSeconds": 30,
                "failureThreshold": 30,
            },
        ),
        (
            {"path": "/livez", "port": 9000},
            {
                "httpGet": {"path": "/livez", "port": 9000},
                "periodSeconds": 10,
                "timeoutSeconds": 1,
                "failureThreshold": 3,
            },
        ),
    ],
)
def test_x_ushadow_liveness_overrides(override: Any, expected: dict[str, Any] | None) -> None:
    spec = svc(healthcheck=Healthcheck(test=["CMD", "check"]), ports=[Port(target=80)])
    box = container(build(spec, project_of(spec, ushadow={"web": {"liveness": override}})))
    assert box.get("livenessProbe") == expected


# -- (d) security ------------------------------------------------------------------------------------


DEFAULTS = {"allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}
NO_RAW = {"capabilities": {"drop": ["NET_RAW"]}}  # dropped unless asked for (see securitycontexts)


@pytest.mark.parametrize(
    ("fields", "expected", "baseline_warning"),
    [
        ({}, {**DEFAULTS, **NO_RAW}, None),
        (
            {"read_only": True, "cap_drop": ["NET_RAW"]},
            {**DEFAULTS, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["NET_RAW"]}},
            None,
        ),
        (
            {"user": "1000:1000", "cap_drop": ["ALL"]},
            {
                **DEFAULTS,
                "runAsUser": 1000,
                "runAsGroup": 1000,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            },
            None,
        ),
        (
            {"cap_add": ["NET_BIND_SERVICE"]},
            {**DEFAULTS, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["NET_RAW"]}},
            None,
        ),
        (
            {"cap_add": ["NET_ADMIN"]},
            {**DEFAULTS, "capabilities": {"add": ["NET_ADMIN"]}},
            "cap_add NET_ADMIN",
        ),
        (
            {"cap_add": ["SYS_ADMIN"]},
            {
                "seccompProfile": {"type": "RuntimeDefault"},
                "capabilities": {"add": ["SYS_ADMIN"], "drop": ["NET_RAW"]},
            },
            "SYS_ADMIN",
        ),
        (
            {"privileged": True},
            {"privileged": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "privileged",
        ),
        ({"security_opt": ["no-new-privileges:true"]}, {**DEFAULTS, **NO_RAW}, None),
        (
            {"security_opt": ["no-new-privileges=false"]},
            {"seccompProfile": {"type": "RuntimeDefault"}, **NO_RAW},
            None,
        ),
        (
            {"security_opt": ["seccomp:unconfined"]},
            {**DEFAULTS, **NO_RAW, "seccompProfile": {"type": "Unconfined"}},
            "seccomp:unconfined",
        ),
        (
            {"security_opt": ["apparmor=unconfined"]},
            {**DEFAULTS, **NO_RAW, "appArmorProfile": {"type": "Unconfined"}},
            "apparmor",
        ),
        (
            {"security_opt": ["label:type:container_t"]},
            {**DEFAULTS, **NO_RAW, "seLinuxOptions": {"type": "container_t"}},
            None,
        ),
        ({"cap_add": ["NET_RAW"]}, {**DEFAULTS, "capabilities": {"add": ["NET_RAW"]}}, "cap_add NET_RAW"),
    ],
)
def test_security_context_from_compose(
    fields: dict[str, Any], expected: dict[str, Any], baseline_warning: str | None
) -> None:
    c = build(svc(**fields))
    assert container(c)["securityContext"] == expected
    baseline = [w for w in c.warnings if "Pod Security baseline forbids" in w]
    assert (baseline_warning in baseline[0]) if baseline_warning else not baseline


def test_group_add_and_the_group_of_user_are_pod_level() -> None:
    c = build(svc(user="1000:3000", group_add=["2000", "video"]))
    assert pod(c)["securityContext"] == {
        "seccompProfile": {"type": "RuntimeDefault"},
        "supplementalGroups": [2000],
        "fsGroup": 3000,
    }
    assert warned(c, "group_add 'video'")


@pytest.mark.parametrize(
    ("policy", "expected", "warns"),
    [
        ("always", "Always", False),
        ("never", "Never", False),
        ("missing", "IfNotPresent", False),
        ("if_not_present", "IfNotPresent", False),
        ("build", "IfNotPresent", False),
        ("daily", "Always", True),
        ("every_12h", "Always", True),
        (None, None, False),
    ],
)
def test_pull_policy(policy: str | None, expected: str | None, warns: bool) -> None:
    c = build(svc(pull_policy=policy))
    assert container(c).get("imagePullPolicy") == expected
    assert warned(c, "periodic pull") is warns


# -- (f) data folders, claims, shared claims ---------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "target", "env", "sub_path"),
    [
        ("postgres:16", "/var/lib/postgresql/data", {"PGDATA": "/var/lib/postgresql/data/pgdata"}, None),
        ("mysql:8", "/var/lib/mysql", {}, "data"),
        ("mongo:7", "/data/db", {}, "data"),
        ("ghcr.io/example/app:1", "/srv/data", {}, None),  # not a datastore: as compose mounts it
    ],
)
def test_datastore_data_lives_in_a_subfolder(
    image: str, target: str, env: dict[str, str], sub_path: str | None
) -> None:
    c = build(svc(name="store", image=image, volumes=[Volume(type="volume", source="d", target=target)]))
    (mount,) = container(c)["volumeMounts"]
    assert mount.get("subPath") == sub_path
    config = next((o["data"] for o in c.objects if o["kind"] == "ConfigMap"), {})
    assert config == env


def test_a_compose_pgdata_is_kept() -> None:
    spec = svc(
        name="db",
        image="postgres:16",
        environment={"PGDATA": "/var/lib/postgresql/data/mine"},
        volumes=[Volume(type="volume", source="d", target="/var/lib/postgresql/data")],
    )
    assert find(build(spec), "ConfigMap")["data"] == {"PGDATA": "/var/lib/postgresql/data/mine"}


def test_claim_size_and_access_mode_from_x_ushadow_and_the_default_is_named() -> None:
    models = Volume(type="volume", source="models", target="/models")
    cache = Volume(type="volume", source="cache", target="/cache")
    spec = svc(volumes=[models, cache])
    p = project_of(spec, ushadow={"volumes": {"models": {"size": "50Gi", "access_mode": "ReadWriteMany"}}})
    c = build(spec, p)
    assert find(c, "PersistentVolumeClaim", "models")["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "50Gi"}},
    }
    assert find(c, "PersistentVolumeClaim", "cache")["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert warned(c, "volume cache: no size given, the claim asks for the default 1Gi")
    assert not warned(c, "volume models: no size")


def test_a_shared_read_write_once_claim_keeps_its_pods_together() -> None:
    vol = Volume(type="volume", source="audio", target="/audio")
    a, b = svc(name="backend", volumes=[vol]), svc(name="workers", volumes=[vol])
    p = project_of(a, b)
    for c in (build(a, p), build(b, p)):
        template = find(c, "Deployment")["spec"]["template"]
        assert template["metadata"]["labels"]["volume.ushadow.io/audio"] == "true"
        (term,) = pod(c)["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term == {
            "labelSelector": {"matchLabels": {"volume.ushadow.io/audio": "true"}},
            "topologyKey": "kubernetes.io/hostname",
        }
        assert warned(c, "keeps their pods on one node")


def test_a_shared_read_write_many_claim_needs_no_affinity() -> None:
    vol = Volume(type="volume", source="audio", target="/audio")
    a, b = svc(name="backend", volumes=[vol]), svc(name="workers", volumes=[vol])
    c = build(a, project_of(a, b, ushadow={"volumes": {"audio": {"access_mode": "ReadWriteMany"}}}))
    assert "affinity" not in pod(c) and not warned(c, "one node")


# -- (g) controller ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "block", "kind", "reason"),
    [
        ("ghcr.io/example/app:1", {}, "Deployment", "not a datastore"),
        ("postgres:16", {}, "StatefulSet", "postgres is a datastore"),
        ("ghcr.io/example/app:1", {"controller": "statefulset"}, "StatefulSet", "x-ushadow"),
        ("postgres:16", {"controller": "deployment"}, "Deployment", "x-ushadow"),
    ],
)
def test_deployment_unless_a_datastore_or_x_ushadow_says(
    image: str, block: dict[str, Any], kind: str, reason: str
) -> None:
    spec = svc(name="app", image=image, volumes=[Volume(type="volume", source="d", target="/d")])
    c = build(spec, project_of(spec, ushadow={"app": block} if block else None))
    assert c.kind == kind and warned(c, reason)


# -- (i, j) placement and resource defaults ----------------------------------------------------------


def test_placement_constraints_and_preferences() -> None:
    spec = svc(
        placement_constraints=[
            "node.labels.disk == ssd",
            "node.labels.zone != b",
            "node.hostname==gpu-1",
            "node.role == worker",
            "engine.labels.x == y",
        ],
        placement_preferences=["node.labels.zone"],
    )
    c = build(spec)
    assert pod(c)["nodeSelector"] == {"disk": "ssd", "kubernetes.io/hostname": "gpu-1"}
    (term,) = pod(c)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert term["matchExpressions"] == [
        {"key": "zone", "operator": "NotIn", "values": ["b"]},
        {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"},
    ]
    assert pod(c)["topologySpreadConstraints"][0]["topologyKey"] == "zone"
    assert warned(c, "engine.labels.x")


def test_resource_requests_default_from_x_ushadow_with_a_warning() -> None:
    spec = svc(resources=Resources(memory_limit=512 * 1024**2))
    c = build(spec, project_of(spec, ushadow={"resources": {"cpu": "100m", "memory": "128Mi"}}))
    assert container(c)["resources"] == {
        "limits": {"memory": "512Mi"},
        "requests": {"cpu": "100m", "memory": "512Mi"},  # the memory limit is its request too
    }
    assert warned(c, "requests default to x-ushadow resources (cpu 100m)")


# -- the fixture, as the outside check reads it ---------------------------------------------------------


def test_the_semantics_fixture_shows_every_rule() -> None:
    project = load_project(SEMANTICS, environ={})
    compiled = {n: build(s, project) for n, s in project.services.items()}
    assert {n: c.kind for n, c in compiled.items()} == {
        "proxy": "Deployment",
        "api": "Deployment",
        "worker": "Deployment",
        "migrate": "Job",
        "seed": "Job",
        "maintenance": "CronJob",
        "db": "StatefulSet",
        "agent": "Deployment",
    }
    proxy = container(compiled["proxy"])
    assert "listen 80" in find(compiled["proxy"], "ConfigMap", "proxy-files")["data"]["nginx.conf"]
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 80}
    assert proxy["imagePullPolicy"] == "Always"
    assert proxy["securityContext"]["readOnlyRootFilesystem"] is True
    assert proxy["securityContext"]["runAsNonRoot"] is True
    assert container(compiled["api"])["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8000}
    assert container(compiled["api"])["livenessProbe"]["tcpSocket"] == {"port": 8000}
    assert find(compiled["api"], "PersistentVolumeClaim", "uploads")["spec"]["resources"]["requests"] == {
        "storage": "5Gi"
    }


def test_render_folder_holds_no_secret_object_and_a_kustomization() -> None:
    project = load_project(SEMANTICS, environ={})
    folder = render_folder(build(project.services["db"], project))
    assert KUSTOMIZATION in folder.files and not any(name.endswith(".json") for name in folder.files)
    manifests = "".join(folder.files[name] for name in folder.manifests)
    assert "kind: Secret" not in manifests and "********" not in "".join(folder.files.values())
    assert "s3cret-fixture-pw-4417" not in "".join([*folder.files.values(), *folder.seeds.values()])
    assert folder.seeds == {"secrets/db-secrets.env": "POSTGRES_PASSWORD=\n"}
    assert "secrets/db-secrets.env" in folder.files[KUSTOMIZATION]


# -- (h) bundles: profiles and cross-namespace references ---------------------------------------------


@pytest.mark.parametrize(
    ("own", "asked", "runs"),
    [
        ([], None, True),
        (["gpu"], None, False),
        (["gpu"], ["cpu"], False),
        (["cpu", "gpu"], ["gpu"], True),
        (["gpu"], ["*"], True),
    ],
)
def test_profiles_as_compose(own: list[str], asked: list[str] | None, runs: bool) -> None:
    assert active(own, asked) is runs


def _two_namespaces(profiles: list[str] | None = None) -> dict[str, Any]:
    mongo = svc(name="mongo", image="mongo:7", ports=[Port(target=27017)])
    infra = ComposeProject(
        path="/c/infra.yml", name="infra", services={"mongo": mongo}, meta=UshadowMeta(namespace="ushadow")
    )
    env = {
        "MONGODB_HOST": "mongo",
        "MONGO_URL": "mongodb://mongo:27017/db",
        "MONGO_SERVER": "mongo:27017",
        "NOTE": "mongo is nice",
        "MONGO_USER": "mongo",
    }
    app = svc(name="app", environment=env)
    cpu = svc(name="speaker", profiles=["cpu"])
    gpu = svc(name="speaker-gpu", profiles=["gpu"])
    apps = ComposeProject(
        path="/c/apps.yml",
        name="apps",
        services={"app": app, "speaker": cpu, "speaker-gpu": gpu},
        meta=UshadowMeta(namespace="mycelia"),
    )
    plan = plan_bundle(refs_of([infra, apps]), profiles=profiles)
    return {"plan": plan, "files": plan.files}


def test_a_bundle_qualifies_references_to_another_namespace() -> None:
    bundle = _two_namespaces()
    config = next(
        d
        for d in yaml.safe_load_all(bundle["files"]["configmap.yaml"])
        if d["metadata"]["name"] == "app-config"
    )
    assert config["data"] == {
        "MONGODB_HOST": "mongo.ushadow.svc.cluster.local",
        "MONGO_URL": "mongodb://mongo.ushadow.svc.cluster.local:27017/db",
        "MONGO_SERVER": "mongo.ushadow.svc.cluster.local:27017",
        "NOTE": "mongo is nice",  # not a host
        "MONGO_USER": "mongo",  # not an address
    }
    (app,) = [s for s in bundle["plan"].services if s["name"] == "app"]
    assert any("mongo lives in namespace ushadow" in n for n in app["notes"])


def test_a_bundle_takes_services_without_profiles_unless_asked() -> None:
    default = _two_namespaces()["plan"]
    assert {s["name"] for s in default.services} == {"mongo", "app"}
    assert "profile gpu is not active" in default.skipped["apps:speaker-gpu"]
    gpu = _two_namespaces(["gpu"])["plan"]
    assert {s["name"] for s in gpu.services} == {"mongo", "app", "speaker-gpu"}


# -- (j) compose networks as NetworkPolicies ----------------------------------------------------------


def test_services_reach_each_other_only_over_networks_they_share() -> None:
    web = svc(name="web", networks=["front"], ports=[Port(target=80, published="8080")])
    api = svc(name="api", networks=["front", "back"], ports=[Port(target=8000)])
    lone = svc(name="lone")  # the file's default network
    p = project_of(web, api, lone)
    policy = find(build(api, p), "NetworkPolicy", "api")
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "api"
    assert policy["spec"]["ingress"] == [
        {
            "from": [
                {"namespaceSelector": {}, "podSelector": {"matchLabels": {f"network.ushadow.io/{n}": "app"}}}
            ]
        }
        for n in ("back", "front")
    ]
    web_c = build(web, p)
    web_rules = find(web_c, "NetworkPolicy")["spec"]["ingress"]
    assert web_rules[-1] == {"ports": [{"port": 80, "protocol": "TCP"}]}  # published: from anywhere
    assert (
        find(web_c, "Deployment")["spec"]["template"]["metadata"]["labels"]["network.ushadow.io/front"]
        == "app"
    )
    lone_labels = find(build(lone, p), "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert lone_labels["network.ushadow.io/default"] == "app"
    assert "NetworkPolicy" not in [o["kind"] for o in build(lone, p, network_policies=False).objects]


def test_a_network_is_the_projects_own_unless_the_file_shares_it(tmp_path: Path) -> None:
    """Another project's pods on a network of the same name (or on its own default network) are not
    let in; an external or named network is shared by every file that names it, as in compose."""
    text = (
        "name: {project}\n"
        "services:\n"
        "  api: {{image: nginx:1.27, networks: [back, hub, pub]}}\n"
        "  lone: {{image: nginx:1.27}}\n"
        "networks:\n"
        "  back: {{}}\n"
        "  hub: {{external: true, name: ushadow-network}}\n"
        "  pub: {{name: public-net}}\n"
    )
    labels = {}
    for project in ("one", "two"):
        path = tmp_path / f"{project}.yml"
        path.write_text(text.format(project=project))
        loaded = load_project(path, environ={})
        assert loaded.shared_networks == {"hub": "ushadow-network", "pub": "public-net"}
        for service in ("api", "lone"):
            compiled = build(loaded.services[service], loaded)
            pod = find(compiled, "Deployment")["spec"]["template"]["metadata"]["labels"]
            rules = find(compiled, "NetworkPolicy")["spec"]["ingress"]
            labels[project, service] = {k: v for k, v in pod.items() if k.startswith("network.ushadow.io/")}
            admitted = [r["from"][0]["podSelector"]["matchLabels"] for r in rules if "from" in r]
            assert admitted == [{k: v} for k, v in sorted(labels[project, service].items())]
    assert labels["one", "api"] == {
        "network.ushadow.io/back": "one",
        "network.ushadow.io/ushadow-network": "shared.network",
        "network.ushadow.io/public-net": "shared.network",
    }
    assert labels["one", "lone"] == {"network.ushadow.io/default": "one"}
    assert labels["two", "lone"] == {"network.ushadow.io/default": "two"}  # not admitted by one's
    assert labels["two", "api"]["network.ushadow.io/back"] == "two"


def test_network_mode_of_a_service_the_file_lacks_is_a_warning() -> None:
    c = build(svc(network_mode="service:vpn"))
    assert warned(
        c, "network_mode service:vpn: vpn is not a service of this file, so this service gets its own pod"
    )
