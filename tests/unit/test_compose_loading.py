"""The compose loader: short syntaxes (tables), the feature fixture, and errors.

The whole external corpus is loaded by ``conformance/test_compose_loading.py`` (``make conformance``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.compose import syntax
from core.compose.interpolation import interpolate, mapping_lookup
from core.compose.loading import load_project, load_text
from core.compose.model import ComposeProject, Port, Volume
from core.errors import InvalidInput
from tests.support.paths import REPO

ROOT = REPO
FIXTURES = ROOT / "tests" / "fixtures" / "compose"
ENVIRON = {"HOME": "/home/tester"}


def spec_ports(specs: list[syntax.PortSpec]) -> list[tuple[int, str | None, str | None, str]]:
    return [(p.target, p.published, p.host_ip, p.protocol) for p in specs]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("80", [(80, None, None, "tcp")]),
        ("8080:80", [(80, "8080", None, "tcp")]),
        ("127.0.0.1:8080:80", [(80, "8080", "127.0.0.1", "tcp")]),
        ("[::1]:8080:80", [(80, "8080", "::1", "tcp")]),
        ("53:53/udp", [(53, "53", None, "udp")]),
        ("53/UDP", [(53, None, None, "udp")]),
        ("3000-3001", [(3000, None, None, "tcp"), (3001, None, None, "tcp")]),
        ("9090-9091:8080-8081", [(8080, "9090", None, "tcp"), (8081, "9091", None, "tcp")]),
        ("8000-8002:80", [(80, "8000-8002", None, "tcp")]),
        (
            "0.0.0.0:5000-5001:5000-5001/sctp",
            [(5000, "5000", "0.0.0.0", "sctp"), (5001, "5001", "0.0.0.0", "sctp")],
        ),
    ],
)
def test_parse_port(spec: str, expected: list[tuple[int, str | None, str | None, str]]) -> None:
    assert spec_ports(syntax.parse_port(spec)) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no container port"),
        ("8080:", "no container port"),
        ("http:80", "invalid host port"),
        ("80:http", "invalid container port"),
        ("70000", "invalid container port"),
        ("8000-8001:80-82", "differ in size"),
        ("80/icmp", "invalid protocol"),
        ("999.1.1.1:80:80", "invalid IP address"),
        ("0", "is not a port"),
    ],
)
def test_parse_port_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        syntax.parse_port(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("/data", ("volume", None, "/data", False)),
        ("data:/data", ("volume", "data", "/data", False)),
        ("data:/data:ro", ("volume", "data", "/data", True)),
        ("./config:/etc/app:ro", ("bind", "./config", "/etc/app", True)),
        ("../up:/up", ("bind", "../up", "/up", False)),
        (
            "/var/run/docker.sock:/var/run/docker.sock",
            ("bind", "/var/run/docker.sock", "/var/run/docker.sock", False),
        ),
        ("~/cache:/cache:rw", ("bind", "~/cache", "/cache", False)),
        ("data:/data/../srv//x/", ("volume", "data", "/srv/x", False)),
        ("C:\\data:D:\\config", ("bind", "C:\\data", "D:\\config", False)),
    ],
)
def test_parse_volume(spec: str, expected: tuple[str, str | None, str, bool]) -> None:
    volume = syntax.parse_volume(spec)
    assert (volume.type, volume.source, volume.target, volume.read_only) == expected


def test_parse_volume_reports_options_it_ignores() -> None:
    assert syntax.parse_volume("./src:/app/src:delegated").ignored_options == ("delegated",)
    assert syntax.parse_volume("./src:/app/src:ro,z").ignored_options == ()
    with pytest.raises(ValueError, match="too many colons"):
        syntax.parse_volume("data:/b:ro:extra")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("1h", 3600),
        ("1.5s", 1.5),
        ("2d", 172800),
        ("0", 0),
        ("1h2m3s", 3723),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert syntax.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "s", "1x", "", "ten seconds"])
def test_parse_duration_errors(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        syntax.parse_duration(text)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("1g", 1024**3),
        ("512m", 512 * 1024**2),
        ("4G", 4 * 1024**3),
        ("10000Mb", 10000 * 1024**2),
        ("1.5GiB", int(1.5 * 1024**3)),
        ("64k", 65536),
        ("1024", 1024),
        (10000, 10000),
        ("100b", 100),
    ],
)
def test_parse_size(value: str | int, size: int) -> None:
    assert syntax.parse_size(value) == size


@pytest.mark.parametrize("value", ["1x", "g", "1.5gb2", "lots", True])
def test_parse_size_errors(value: object) -> None:
    with pytest.raises(ValueError, match="size"):
        syntax.parse_size(value)


@pytest.mark.parametrize(
    ("line", "words", "stopped"),
    [
        ("redis-server --appendonly yes", ["redis-server", "--appendonly", "yes"], None),
        ('echo "hello world"', ["echo", "hello world"], None),
        ("echo 'a \"b\" c'", ["echo", 'a "b" c'], None),
        ("echo back\\ slash", ["echo", "back slash"], None),
        ('sh -c "a && b"', ["sh", "-c", "a && b"], None),
        ("make && make test", ["make"], "&"),
        ("cat file | grep x", ["cat", "file"], "|"),
        ('echo ""', ["echo", ""], None),
        ("", [], None),
        ("echo $(date)", ["echo", "$(date)"], None),
    ],
)
def test_shell_split(line: str, words: list[str], stopped: str | None) -> None:
    result = syntax.shell_split(line)
    assert (result.words, result.stopped_at) == (words, stopped)


@pytest.mark.parametrize("line", ['echo "open', "echo 'open", "echo (x)", "trailing\\"])
def test_shell_split_errors(line: str) -> None:
    with pytest.raises(ValueError, match="invalid command line"):
        syntax.shell_split(line)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (42, "42"),
        (0.5, "0.5"),
        (30.0, "30"),
        (1e8, "1e+08"),
        (True, "true"),
        (False, "false"),
        (None, ""),
        ("s", "s"),
    ],
)
def test_go_scalar(value: object, text: str) -> None:
    assert syntax.go_scalar(value) == text


# --- the feature fixture ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def features() -> ComposeProject:
    return load_project(
        FIXTURES / "features" / "compose.yaml", env={"FROM_SETTINGS": "from-settings"}, environ=ENVIRON
    )


def test_environment_sources_and_precedence(features: ComposeProject) -> None:
    env = features.services["api"].environment
    assert env["FROM_SETTINGS"] == "from-settings"  # a bare key takes its value from the settings
    assert env["APP_MODE"] == "production"  # from env_file
    assert env["LOG_LEVEL"] == "info"  # environment (via a merge key) wins over env_file
    assert env["GREETING"] == "hello owner"  # env_file interpolated; DB_USER from .env (export)
    assert env["MULTI"] == "line one\nline two"
    assert env["DATABASE_URL"] == "postgres://owner:secret@db:5432/app"
    assert (env["NUMBER"], env["RATIO"], env["ENABLED"], env["EMPTY"]) == ("42", "0.5", "true", "")
    assert features.services["api"].image == "ghcr.io/acme/api:4.5.6"  # API_TAG from .env
    db = features.services["db"]
    assert db.environment["POSTGRES_USER"] is None
    assert "POSTGRES_USER" in db.required_variables and "POSTGRES_USER" in features.required_variables


def test_settings_beat_the_process_environment_which_beats_dotenv() -> None:
    path = FIXTURES / "features" / "compose.yaml"
    image = lambda p: p.services["api"].image  # noqa: E731
    assert image(load_project(path, environ={"API_TAG": "env"})) == "ghcr.io/acme/api:env"
    assert (
        image(load_project(path, env={"API_TAG": "set"}, environ={"API_TAG": "env"}))
        == "ghcr.io/acme/api:set"
    )


def test_ports_and_expose(features: ComposeProject) -> None:
    assert features.services["api"].ports == [
        Port(target=80, published="8080"),
        Port(target=9090, published="9090", host_ip="127.0.0.1"),
        Port(target=8443, published="443"),
        Port(target=5353, published="5353", protocol="udp"),
        Port(target=7000, exposed_only=True),
        Port(target=7001, exposed_only=True),
        Port(target=7002, exposed_only=True),
    ]


def test_commands_healthchecks_and_durations(features: ComposeProject) -> None:
    api, worker, cache = features.services["api"], features.services["worker"], features.services["cache"]
    assert api.command == ["serve", "--port", "80"]
    assert api.entrypoint == ["/docker-entrypoint.sh", "--verbose"]
    assert worker.command == ["worker", "--queue", "high priority", "--concurrency", "4"]
    assert worker.entrypoint == []  # explicitly cleared, not unset
    assert api.healthcheck is not None and api.healthcheck.test[0] == "CMD"
    assert (api.healthcheck.interval, api.healthcheck.timeout, api.healthcheck.start_period) == (90, 10, 0.5)
    assert worker.healthcheck is not None
    assert worker.healthcheck.test == ["CMD-SHELL", "curl -f http://localhost/ready || exit 1"]
    assert worker.healthcheck.interval == 90  # inherited through extends
    assert cache.healthcheck is not None and cache.healthcheck.disable
    assert (
        features.services["gpu-job"].healthcheck is not None
        and features.services["gpu-job"].healthcheck.disable
    )
    db = features.services["db"]
    assert db.healthcheck is not None and db.healthcheck.test == [
        "CMD-SHELL",
        "pg_isready -U ${POSTGRES_USER:-postgres}",
    ]
    assert (db.stop_grace_period, api.stop_grace_period) == (150, 60)


def test_volumes(features: ComposeProject) -> None:
    base = str(FIXTURES / "features")
    assert features.services["api"].volumes == [
        Volume(type="volume", source="api-data", target="/var/lib/api"),
        Volume(type="bind", source=f"{base}/config", target="/etc/api", read_only=True),
        Volume(type="tmpfs", target="/scratch", tmpfs_size=64 * 1024**2),
        Volume(type="volume", source="api-data", target="/var/lib/api/sub", subpath="sub"),
    ]
    shell = features.services["shell"]
    assert [(v.type, v.source, v.target) for v in shell.volumes] == [
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock"),
        ("bind", "/home/tester/cache", "/cache"),
        ("volume", None, "/anonymous"),
    ]
    assert features.services["db"].volumes[-1] == Volume(type="tmpfs", target="/run", tmpfs_size=16 * 1024**2)


def test_deploy_resources_and_gpus(features: ComposeProject) -> None:
    api = features.services["api"]
    assert api.replicas == 3
    assert (api.resources.cpu_limit, api.resources.memory_limit) == (1.5, 1024**3)
    assert (api.resources.cpu_request, api.resources.memory_request) == (0.25, 512 * 1024**2)
    gpu = features.services["gpu-job"]
    assert (gpu.resources.gpus, gpu.resources.gpu_driver) == (2, "nvidia")
    assert features.services["shell"].resources.gpus == -1  # gpus: all
    assert features.services["shell"].replicas == 2  # scale
    cache = features.services["cache"]
    assert (cache.resources.cpu_limit, cache.resources.memory_limit) == (0.5, 300 * 1024**2)


def test_extends_in_the_same_file_and_from_another_file(features: ComposeProject) -> None:
    worker = features.services["worker"]
    assert worker.image == "ghcr.io/acme/worker:2.0"
    assert worker.environment["LOG_LEVEL"] == "debug" and worker.environment["APP_MODE"] == "production"
    assert worker.labels == {
        "com.example.team": "platform",
        "com.example.empty": "",
        "com.example.role": "worker",
    }
    assert worker.replicas == 1
    gpu = features.services["gpu-job"]
    assert gpu.command == ["nvidia-smi", "-L"]
    assert gpu.environment == {"BASE_ENV": "from-base-file", "BASE_ONLY": "1"}
    assert gpu.volumes == [
        Volume(type="bind", source=str(FIXTURES / "features" / "models"), target="/models", read_only=True)
    ]


def test_other_service_fields(features: ComposeProject) -> None:
    api = features.services["api"]
    assert (api.user, api.working_dir, api.restart) == ("1000:1000", "/srv/api", "unless-stopped")
    assert api.labels == {"com.example.team": "platform", "com.example.empty": ""}
    assert [(d.service, d.condition, d.required) for d in api.depends_on] == [
        ("db", "service_healthy", True),
        ("cache", "service_started", False),
    ]
    assert (api.cap_add, api.cap_drop) == (["NET_ADMIN"], ["ALL"])
    assert api.extra_hosts == [("host.docker.internal", "host-gateway"), ("metrics", "10.0.0.5")]
    assert features.services["gpu-job"].extra_hosts == [("registry.local", "10.1.2.3")]
    assert [(s.source, s.target, s.mode) for s in api.secrets] == [
        ("api_token", None, None),
        ("tls_key", "/run/secrets/tls.key", 0o400),
    ]
    assert api.configs[0].target == "/etc/api/api.conf"
    shell = features.services["shell"]
    assert (shell.privileged, shell.read_only, shell.stdin_open, shell.tty) == (True, True, True, True)
    assert features.services["gpu-job"].restart == "no"  # YAML 1.2: a string, not false
    assert features.secrets["api_token"].file == str(FIXTURES / "features" / "secret.txt")
    assert features.secrets["tls_key"].environment == "TLS_KEY"


def test_x_ushadow_file_level_and_per_service(features: ComposeProject) -> None:
    assert (features.meta.namespace, features.meta.infra_services) == ("features", ["cache"])
    assert features.service_meta["api"].provides == ["api"]  # a single name becomes a list
    assert features.service_meta["api"].requires == ["cache", "llm"]
    assert features.service_meta["worker"].description == "Background worker"
    assert "api" not in features.meta.other_keys  # per-service blocks are not file-level extras


def test_unsupported_keys_are_warnings(features: ComposeProject) -> None:
    assert any("aliases" in w for w in features.services["db"].warnings)
    project = load_text(
        "services:\n  web:\n    image: nginx\n    container_name: web\n    platform: linux/amd64\n"
        "    command: make && make test\n    deploy:\n      mode: global\n      placement: {}\n",
        environ=ENVIRON,
    )
    warnings = " | ".join(project.services["web"].warnings)
    for fragment in ("container_name, platform", "'&'", "global"):
        assert fragment in warnings
    assert "placement" not in warnings  # kept for the compiler (nodeSelector, affinity)


@pytest.mark.parametrize(
    ("profiles", "services", "disabled"),
    [
        (None, ["api", "worker", "db", "cache", "gpu-job", "shell"], []),
        ((), ["api", "worker", "db", "shell"], ["cache", "gpu-job"]),
        (("infra",), ["api", "worker", "db", "cache", "shell"], ["gpu-job"]),
        (("batch",), ["api", "worker", "db", "gpu-job", "shell"], ["cache"]),
        (("*",), ["api", "worker", "db", "cache", "gpu-job", "shell"], []),
    ],
)
def test_profiles(profiles: tuple[str, ...] | None, services: list[str], disabled: list[str]) -> None:
    project = load_project(
        FIXTURES / "features" / "compose.yaml", profiles=profiles, environ=ENVIRON, strict=False
    )
    assert list(project.services) == services
    assert project.disabled_services == disabled
    assert project.services["api"].profiles == []


@pytest.mark.parametrize(
    ("profiles", "services"),
    [
        ((), []),
        (("identity",), ["postgres", "keycloak"]),
        (("memory",), ["qdrant", "neo4j"]),
        (("infra",), ["mongo", "mongo-setup", "redis", "postgres", "qdrant"]),
        (("llm", "cache"), ["redis", "ollama"]),
        (None, ["mongo", "mongo-setup", "redis", "postgres", "qdrant", "neo4j", "keycloak", "ollama"]),
    ],
)
def test_profiles_of_a_realistic_infra_file(profiles: tuple[str, ...] | None, services: list[str]) -> None:
    """Every service has profiles; strict loading keeps each selection's dependencies inside it."""
    project = load_project(FIXTURES / "platform" / "platform.infra.yml", profiles=profiles, environ=ENVIRON)
    assert list(project.services) == services


def test_a_realistic_infra_file_reads_as_compose_does() -> None:
    project = load_project(FIXTURES / "platform" / "platform.infra.yml", environ=ENVIRON)
    mongo, neo4j = project.services["mongo"], project.services["neo4j"]
    assert mongo.healthcheck is not None  # timing from a merge key, start_period its own
    assert (mongo.healthcheck.interval, mongo.healthcheck.retries, mongo.healthcheck.start_period) == (
        10,
        5,
        20,
    )
    assert neo4j.environment["NEO4J_AUTH"] == "neo4j/gr4ph-dev-pw"  # two variables in one value
    assert [d.condition for d in project.services["keycloak"].depends_on] == ["service_healthy"]
    entrypoint = project.services["mongo-setup"].entrypoint  # a folded string, split as a shell would
    assert entrypoint is not None and entrypoint[:5] == ["mongosh", "--host", "mongo", "--quiet", "--eval"]
    assert len(entrypoint) == 6 and entrypoint[5].startswith("try {")
    assert project.services["ollama"].resources.gpus == 1


def test_a_realistic_root_file_includes_its_parts() -> None:
    project = load_project(FIXTURES / "platform" / "stack.yml", environ=ENVIRON)
    assert list(project.services) == ["worker", "scheduler"]
    assert [v.source for v in project.services["worker"].volumes] == ["worker-cache"]
    assert "worker-cache" in project.volumes


def test_strict_profiles_reject_a_required_dependency_left_disabled() -> None:
    with pytest.raises(InvalidInput, match=r"services\.a: depends on b, which no active profile enables"):
        load_text(
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: y\n    profiles: [p]\n",
            profiles=(),
            environ=ENVIRON,
        )
    project = load_text(
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: y\n    profiles: [p]\n",
        profiles=(),
        environ=ENVIRON,
        strict=False,
    )
    assert any("no active profile" in w for w in project.services["a"].warnings)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("bad-interpolation.yaml", ["bad-interpolation.yaml", "services.web.image", "invalid interpolation"]),
        (
            "required-variable.yaml",
            [
                "services.db.environment.POSTGRES_PASSWORD",
                "DB_PASSWORD",
                "set DB_PASSWORD to the database password",
            ],
        ),
        ("bad-port.yaml", ["services.web.ports", "invalid container port 'http'"]),
        ("duplicate-key.yaml", ["line 4", "'image' is defined twice"]),
        ("unknown-key.yaml", ["services.web", "enviroment"]),
        ("wrong-type.yaml", ["services.web.privileged", "maybe"]),
        ("extends-cycle.yaml", ["extends cycle"]),
        ("bad-duration.yaml", ["services.web.healthcheck.interval", "duration"]),
    ],
)
def test_invalid_files_name_file_service_and_key(name: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_project(FIXTURES / "invalid" / name, environ=ENVIRON)
    for fragment in fragments:
        assert fragment in caught.value.message


def test_a_missing_required_variable_is_recorded_in_lenient_mode() -> None:
    project = load_project(FIXTURES / "invalid" / "required-variable.yaml", environ=ENVIRON, strict=False)
    assert project.services["db"].environment["POSTGRES_PASSWORD"] == ""
    assert project.services["db"].required_variables == ["DB_PASSWORD"]
    assert project.required_variables == ["DB_PASSWORD"]
    filled = load_project(
        FIXTURES / "invalid" / "required-variable.yaml", env={"DB_PASSWORD": "pw"}, environ=ENVIRON
    )
    assert filled.services["db"].environment["POSTGRES_PASSWORD"] == "pw"


def test_lenient_mode_keeps_the_good_services_of_a_file() -> None:
    text = "services:\n  good:\n    image: nginx\n  bad:\n    image: nginx\n    ports: ['x:80']\n"
    project = load_text(text, strict=False, environ=ENVIRON)
    assert list(project.services) == ["good"]
    assert "services.bad.ports" in project.service_errors["bad"]
    with pytest.raises(InvalidInput, match=r"compose\.yaml: services\.bad\.ports"):
        load_text(text, environ=ENVIRON)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty compose file"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("web:\n  image: nginx\n", "version 1 compose format"),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            r"a Kubernetes manifest \(kind ConfigMap\)",
        ),
        ("services:\n  web:\n    image: nginx\nvolumez: {}\n", "unknown top-level key"),
        ("services: [web]\n", "services: expected a mapping"),
        ("services:\n  web:\n    image: nginx\n    environment:\n      1: one\n", "key 1 is not a string"),
        ("services:\n  web:\n    image: [nginx]\n", "services.web.image"),
        ("services:\n  web:\n    image: nginx\n    command: 42\n", "services.web.command: expected a string"),
        ("services:\n  web:\n    image: nginx\n    networks: [missing]\n", "undefined network missing"),
        ("services:\n  web:\n    image: nginx\n    depends_on: [ghost]\n", "undefined service ghost"),
        ("services:\n  web:\n    image: nginx\n    volumes: ['data:/d']\n", "undefined volume data"),
        (
            "services:\n  web:\n    image: nginx\n    healthcheck:\n      test: [RUN, x]\n",
            "CMD, CMD-SHELL or NONE",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: y\n    depends_on: [a]\n",
            "cycle",
        ),
        ("services:\n  web:\n    image: nginx\n    scale: 2\n    deploy:\n      replicas: 3\n", "disagree"),
        ("services:\n  web:\n    image: nginx\n   bad: indent\n", "not valid YAML"),
    ],
)
def test_invalid_text(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_text(text, environ=ENVIRON)


def test_yaml_12_scalars() -> None:
    project = load_text(
        "services:\n  web:\n    image: nginx\n    restart: no\n    ports:\n      - 80:80\n      - 22:22\n"
        "    environment:\n      ON: on\n      OCTAL: 0755\n      HEX: 0x1F\n      YES: yes\n",
        environ=ENVIRON,
    )
    web = project.services["web"]
    assert web.restart == "no"
    assert [(p.target, p.published) for p in web.ports] == [(80, "80"), (22, "22")]  # not base 60
    assert web.environment == {"ON": "on", "OCTAL": "493", "HEX": "31", "YES": "yes"}


def test_uploaded_text_reads_no_server_files(tmp_path: Path) -> None:
    (tmp_path / "secret.env").write_text("TOKEN=from-file\n")
    (tmp_path / ".env").write_text("TAG=from-dotenv\n")
    text = "services:\n  web:\n    image: nginx:${TAG:-default}\n    env_file: secret.env\n"
    uploaded = load_text(text, path=str(tmp_path / "compose.yaml"), environ=ENVIRON)
    assert uploaded.services["web"].image == "nginx:default"
    assert "TOKEN" not in uploaded.services["web"].environment
    assert any("not read" in w for w in uploaded.services["web"].warnings)
    trusted = load_text(text, path=str(tmp_path / "compose.yaml"), environ=ENVIRON, read_files=True)
    assert (trusted.services["web"].image, trusted.services["web"].environment) == (
        "nginx:from-dotenv",
        {"TOKEN": "from-file"},
    )


def test_variables_are_listed_per_service_and_per_project() -> None:
    text = (
        "services:\n  web:\n    image: nginx:${TAG:-1}\n    environment:\n      - KEY=${KEY}\n      - BARE\n"
    )
    project = load_text(text, environ=ENVIRON)
    web = project.services["web"]
    assert web.variables == ["TAG", "KEY", "BARE"]
    assert web.required_variables == ["KEY", "BARE"]
    assert any("KEY" in w for w in web.warnings)
    assert project.variables == ["TAG", "KEY", "BARE"]


# -- secret values that interpolation put into a service ----------------------------------------


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("plain", ()),
        ("${PASS}", (("PASS", "s3cret"),)),
        ("$PASS and $USER", (("PASS", "s3cret"), ("USER", "alice"))),
        ("${UNSET}", (("UNSET", ""),)),  # an empty string was put in: the place still counts
        ("${UNSET:-sk-default}", (("UNSET", "sk-default"),)),  # the default stands for the variable
        ("${PASS:-unused}", (("PASS", "s3cret"),)),
        ("${EMPTY-dflt}", (("EMPTY", ""),)),
        ("${PASS:?needed}", (("PASS", "s3cret"),)),
        ("${PASS:+--auth}", ()),  # the alternative is not the variable's value
        ("${PASS:+--pw=${PASS}}", (("PASS", "s3cret"),)),  # ...but its own references are
        ("${UNSET:-${PASS}}", (("PASS", "s3cret"), ("UNSET", "s3cret"))),
        ("$$PASS", ()),
    ],
)
def test_interpolation_records_what_each_reference_expanded_to(
    template: str, values: tuple[tuple[str, str], ...]
) -> None:
    env = {"PASS": "s3cret", "USER": "alice", "EMPTY": ""}
    assert interpolate(template, mapping_lookup(env)).values == values


SECRETS_FIXTURE = ROOT / "tests" / "fixtures" / "compiler" / "secrets.yml"


def test_secret_variables_and_where_they_went() -> None:
    project = load_project(SECRETS_FIXTURE, environ=ENVIRON)
    cache, api, db = (project.services[n] for n in ("keyed-cache", "keyed-api", "keyed-db"))
    assert cache.secret_variables == {"REDIS_PASSWORD": "rEd1s-only-in-command-8812"}
    assert [(u.field, u.key) for u in cache.secret_uses] == [("command", None), ("healthcheck", None)]
    assert "REDIS_PASSWORD" not in cache.environment
    assert api.secret_variables == {
        "ADMIN_TOKEN": "adm1n-t0ken-$-4417",
        "API_KEY": "sk-fixture-0123456789abcdefXYZ",
        "API_PASSWORD": "j4va-opts-pw-5531",
    }
    assert sorted((u.field, u.variable, u.key) for u in api.secret_uses) == [
        ("command", "API_KEY", None),
        ("entrypoint", "ADMIN_TOKEN", None),
        ("environment", "API_KEY", "API_KEY"),
        ("environment", "API_PASSWORD", "JAVA_OPTS"),
        ("healthcheck", "API_KEY", None),
    ]
    # the list form of environment: the key is read from "KEY=value"
    assert [(u.field, u.key) for u in db.secret_uses] == [
        ("environment", "POSTGRES_PASSWORD"),
        ("environment", "PGOPTIONS_LINE"),
        ("healthcheck", None),
    ]
    given = load_project(SECRETS_FIXTURE, env={"REDIS_PASSWORD": "typed-in-9911"}, environ=ENVIRON)
    assert given.services["keyed-cache"].secret_variables == {"REDIS_PASSWORD": "typed-in-9911"}


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        # a credential value makes a variable secret whatever its name
        ("    command: app --db ${DB_URL}\n", {"DB_URL": "postgres://u:pw@db/x"}),
        ("    command: app --level ${LEVEL}\n", {}),  # not sensitive
        ("    command: app --token ${EMPTY_TOKEN}\n", {}),  # empty: nothing to hide
        ("    command: app ${API_TOKEN:+--auth}\n", {}),  # only the alternative went in
        ("    labels:\n      key: ${API_TOKEN}\n", {"API_TOKEN": "tok-abc-123"}),
    ],
)
def test_which_variables_are_secret(service: str, expected: dict[str, str]) -> None:
    env = {"DB_URL": "postgres://u:pw@db/x", "LEVEL": "debug", "EMPTY_TOKEN": "", "API_TOKEN": "tok-abc-123"}
    project = load_text("services:\n  web:\n    image: nginx\n" + service, env=env, environ=ENVIRON)
    assert project.services["web"].secret_variables == expected


def test_secret_uses_of_an_extended_service_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "services:\n  base:\n    image: redis\n    command: redis-server --requirepass ${REDIS_PASSWORD}\n"
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  cache:\n    extends: {file: base.yaml, service: base}\n"
        "    environment:\n      - REDIS_ARGS=--requirepass ${REDIS_PASSWORD}\n"
    )
    project = load_project(tmp_path / "compose.yaml", env={"REDIS_PASSWORD": "pw-xyz-123"}, environ=ENVIRON)
    uses = project.services["cache"].secret_uses
    assert [(u.field, u.key, u.value) for u in uses] == [
        ("environment", "REDIS_ARGS", "pw-xyz-123"),
        ("command", None, "pw-xyz-123"),
    ]


def test_secrets_in_a_top_level_config_are_recorded_on_the_project() -> None:
    text = (
        "services:\n  web:\n    image: nginx\n    configs: [app_conf]\n"
        "configs:\n  app_conf:\n    content: |\n      password=${DB_PASSWORD}\n      level=${LEVEL}\n"
    )
    project = load_text(text, env={"DB_PASSWORD": "pw-config-123", "LEVEL": "3"}, environ=ENVIRON)
    assert [(u.field, u.key, u.variable, u.value) for u in project.secret_uses] == [
        ("configs", "app_conf", "DB_PASSWORD", "pw-config-123")
    ]
    assert project.services["web"].secret_uses == []


def test_project_name() -> None:
    assert load_text("name: My_App\nservices: {}\n", environ=ENVIRON).name == "my_app"
    named = load_text("name: app\nservices: {}\n", environ={"COMPOSE_PROJECT_NAME": "override"})
    assert named.name == "override"


def test_an_unsplittable_command_hints_without_brackets() -> None:
    """The CLI prints "error: MESSAGE (HINT)": a bracket inside the hint would nest."""
    with pytest.raises(InvalidInput) as raised:
        load_text("services:\n  web:\n    image: nginx\n    command: echo 'unclosed\n")
    assert raised.value.hint and not set("[]()") & set(raised.value.hint), raised.value.hint
