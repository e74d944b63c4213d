"""The shape of a compose service as written, checked strictly (:mod:`core.shapes`).

Values arrive here already interpolated (so numbers and booleans may be strings, which compose
casts: ``privileged: ${PRIV:-false}``). Union forms (``command`` as a string or a list, ports in
short or long syntax) are brought to one form by :class:`~core.shapes.Cast` functions that raise a
single readable ``ValueError``; :func:`validate` turns the problems found into one
:class:`core.errors.InvalidInput` that names the key.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, TypeVar

from core.compose import syntax
from core.compose.shorthands import (
    read_command,
    read_depends_on,
    read_env_files,
    read_environment,
    read_extra_hosts,
    read_file_refs,
    read_labels,
    read_networks,
    read_ports,
    read_string_list,
    read_string_or_mapping,
    read_volumes,
)
from core.errors import InvalidInput
from core.shapes import Cast, Shape, ShapeError, check


def _cast(function: Any) -> Cast:
    return Cast(function)


CastBool = Annotated[bool, _cast(syntax.to_bool)]
CastInt = Annotated[int, _cast(syntax.to_int)]
CastFloat = Annotated[float, _cast(syntax.to_float)]
Seconds = Annotated[float, _cast(syntax.parse_duration)]
Bytes = Annotated[int, _cast(syntax.parse_size)]


class _Raw(Shape):
    extensions: ClassVar[bool] = True  # ``x-`` keys are compose's extension fields


class RawPort(_Raw):
    target: CastInt
    published: Annotated[str | None, _cast(syntax.go_scalar)] = None
    host_ip: str | None = None
    protocol: str | None = None
    mode: str | None = None
    name: str | None = None
    app_protocol: str | None = None


class RawBind(_Raw):
    propagation: str | None = None
    create_host_path: CastBool | None = None
    selinux: str | None = None
    recursive: str | None = None


class RawVolumeOptions(_Raw):
    nocopy: CastBool = False
    subpath: str | None = None
    labels: dict[str, Any] | list[str] | None = None


class RawTmpfsOptions(_Raw):
    size: Bytes | None = None
    mode: CastInt | None = None


class RawImageOptions(_Raw):
    subpath: str | None = None


class RawVolume(_Raw):
    type: Literal["volume", "bind", "tmpfs", "npipe", "image", "cluster"]
    source: str | None = None
    target: str | None = None
    read_only: CastBool = False
    consistency: str | None = None
    bind: RawBind | None = None
    volume: RawVolumeOptions | None = None
    tmpfs: RawTmpfsOptions | None = None
    image: RawImageOptions | None = None
    ignored_options: list[str] = []  # short-syntax options with no meaning here (set by read_volumes)


class RawHealthcheck(_Raw):
    test: Annotated[str | list[str] | None, _cast(read_command)] = None
    interval: Seconds | None = None
    timeout: Seconds | None = None
    retries: CastInt | None = None
    start_period: Seconds | None = None
    start_interval: Seconds | None = None
    disable: CastBool = False


class RawDevice(_Raw):
    capabilities: list[str] = []
    count: int | str | None = None
    device_ids: list[str] | None = None
    driver: str | None = None
    options: dict[str, Any] | None = None


class RawResource(_Raw):
    cpus: CastFloat | None = None
    memory: Bytes | None = None
    pids: CastInt | None = None
    devices: list[RawDevice] | None = None
    generic_resources: list[Any] | None = None


class RawResources(_Raw):
    limits: RawResource | None = None
    reservations: RawResource | None = None


class RawDeploy(_Raw):
    mode: str | None = None
    replicas: CastInt | None = None
    labels: dict[str, Any] | list[str] | None = None
    resources: RawResources | None = None
    restart_policy: dict[str, Any] | None = None
    placement: dict[str, Any] | None = None
    update_config: dict[str, Any] | None = None
    rollback_config: dict[str, Any] | None = None
    endpoint_mode: str | None = None


class RawDependency(_Raw):
    condition: Literal["service_started", "service_healthy", "service_completed_successfully"] = (
        "service_started"
    )
    required: CastBool = True
    restart: CastBool = False


class RawFileRef(_Raw):
    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | str | None = None


class RawEnvFile(_Raw):
    path: str
    required: CastBool = True
    format: str | None = None


class RawExtends(_Raw):
    service: str
    file: str | None = None


class RawInclude(_Raw):
    """One ``include`` entry (a bare path is written as ``{"path": ...}`` before validation)."""

    path: Annotated[list[str], _cast(read_string_list)]
    project_directory: str | None = None
    env_file: Annotated[list[str], _cast(read_string_list)] = []

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("path must name at least one compose file")


class RawService(_Raw):
    """The keys this project reads; every other key is sorted out before validation."""

    image: str | None = None
    build: Annotated[str | dict[str, Any] | None, _cast(read_string_or_mapping)] = None
    command: Annotated[str | list[str] | None, _cast(read_command)] = None
    entrypoint: Annotated[str | list[str] | None, _cast(read_command)] = None
    environment: Annotated[dict[str, str | None], _cast(read_environment)] = {}
    env_file: Annotated[list[RawEnvFile], _cast(read_env_files)] = []
    ports: Annotated[list[RawPort], _cast(read_ports)] = []
    expose: list[Annotated[str, _cast(syntax.go_scalar)]] = []
    volumes: Annotated[list[RawVolume], _cast(read_volumes)] = []
    tmpfs: Annotated[list[str], _cast(read_string_list)] = []
    healthcheck: RawHealthcheck | None = None
    deploy: RawDeploy | None = None
    restart: str | None = None
    secrets: Annotated[list[RawFileRef], _cast(read_file_refs)] = []
    configs: Annotated[list[RawFileRef], _cast(read_file_refs)] = []
    user: Annotated[str | None, _cast(syntax.go_scalar)] = None
    working_dir: str | None = None
    hostname: str | None = None
    labels: Annotated[dict[str, str | None], _cast(read_labels)] = {}
    depends_on: Annotated[dict[str, RawDependency], _cast(read_depends_on)] = {}
    cap_add: list[str] = []
    cap_drop: list[str] = []
    group_add: list[Annotated[str, _cast(syntax.go_scalar)]] = []
    security_opt: list[str] = []
    pull_policy: str | None = None
    privileged: CastBool = False
    read_only: CastBool = False
    stdin_open: CastBool = False
    tty: CastBool = False
    extra_hosts: Annotated[list[tuple[str, str]], _cast(read_extra_hosts)] = []
    stop_grace_period: Seconds | None = None
    profiles: list[str] = []
    networks: Annotated[dict[str, Any], _cast(read_networks)] = {}
    network_mode: str | None = None
    links: list[str] = []
    volumes_from: list[str] = []
    mem_limit: Bytes | None = None
    mem_reservation: Bytes | None = None
    cpus: CastFloat | None = None
    gpus: str | list[dict[str, Any]] | None = None
    scale: CastInt | None = None


class RawTopLevel(_Raw):
    """A top-level volume, secret, config or network declaration."""

    name: str | None = None
    external: Annotated[
        bool | dict[str, Any], _cast(lambda v: v if isinstance(v, dict) else syntax.to_bool(v))
    ] = False
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] | None = None
    labels: Annotated[dict[str, str | None], _cast(read_labels)] = {}
    template_driver: str | None = None
    attachable: CastBool | None = None
    internal: CastBool | None = None
    enable_ipv4: CastBool | None = None
    enable_ipv6: CastBool | None = None
    ipam: dict[str, Any] | None = None


Model = TypeVar("Model", bound=Shape)


def validate(model: type[Model], data: object, where: str) -> Model:
    """``model`` from ``data``, or :class:`InvalidInput` naming ``where`` and the key at fault."""
    try:
        return check(model, data)
    except ShapeError as exc:
        problems = []
        for problem in exc.problems:
            key = problem.where()
            message = "is not a key compose knows" if problem.kind == "unknown" else problem.message
            problems.append(f"{where}.{key}: {message}" if key else f"{where}: {message}")
        unique = list(dict.fromkeys(problems))
        raise InvalidInput("; ".join(unique[:3]), hint="see the compose specification for this key") from exc
