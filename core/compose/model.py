"""The normalised form of a compose service: what the loader produces and the compiler consumes.

Everything here is already interpolated and in one canonical shape (ports as objects, durations
in seconds, sizes in bytes, environment as a map). Frozen: the compiler never mutates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

PortProtocol = Literal["tcp", "udp", "sctp"]


@dataclass(frozen=True, kw_only=True)
class Port:
    """A container port. ``published`` is the host side as written (may be a range or empty)."""

    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: PortProtocol = "tcp"
    name: str | None = None
    app_protocol: str | None = None
    exposed_only: bool = False  # from `expose`, not `ports`


@dataclass(frozen=True, kw_only=True)
class Volume:
    type: Literal["volume", "bind", "tmpfs", "npipe", "image", "cluster"]
    source: str | None = None  # named volume, host path (bind) or None (anonymous / tmpfs)
    target: str
    read_only: bool = False
    subpath: str | None = None
    tmpfs_size: int | None = None  # bytes
    # A bind mount of a regular file the loader could read (as UTF-8 text, at most 1 MiB): its
    # content, so the compiler can mount it from a ConfigMap or Secret. ``None`` otherwise.
    content: str | None = None


@dataclass(frozen=True, kw_only=True)
class Healthcheck:
    """``test`` keeps compose's form: ``["CMD", ...]``, ``["CMD-SHELL", "cmd"]`` or ``["NONE"]``."""

    test: list[str] = field(default_factory=list)
    interval: float | None = None  # seconds
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    start_interval: float | None = None
    disable: bool = False


@dataclass(frozen=True, kw_only=True)
class Resources:
    cpu_limit: float | None = None  # cores
    memory_limit: int | None = None  # bytes
    cpu_request: float | None = None
    memory_request: int | None = None
    gpus: int | None = None  # -1 means "all"
    gpu_driver: str | None = None


@dataclass(frozen=True, kw_only=True)
class DependsOn:
    service: str
    condition: str = "service_started"
    required: bool = True


@dataclass(frozen=True, kw_only=True)
class FileRef:
    """A service's use of a top-level secret or config."""

    source: str
    target: str | None = None
    mode: int | None = None


@dataclass(frozen=True, kw_only=True)
class SecretUse:
    """A secret value that interpolation put into one field of a service (or of the file).

    ``field`` is the service key it is in (``command``, ``entrypoint``, ``healthcheck``,
    ``environment``, ``labels``...); ``key`` the environment variable, for ``environment``. For
    the file, ``field`` is the top-level section and ``key`` the entry (``configs``, ``app_conf``).
    ``value`` is what ``${variable}`` expanded to there (its value, or the default used).
    """

    field: str
    variable: str
    value: str
    key: str | None = None


@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    name: str
    image: str | None = None
    build: dict[str, object] | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    # None means "declared without a value and not set anywhere" (a bare key in compose).
    environment: dict[str, str | None] = field(default_factory=dict)
    ports: list[Port] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    healthcheck: Healthcheck | None = None
    replicas: int | None = None
    resources: Resources = field(default_factory=Resources)
    restart: str | None = None
    user: str | None = None
    working_dir: str | None = None
    hostname: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    depends_on: list[DependsOn] = field(default_factory=list)
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    group_add: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    pull_policy: str | None = None
    network_mode: str | None = None
    # deploy.placement: constraints as written (``node.labels.zone == a``) and preference specs
    # (``node.labels.zone`` from ``spread:``), for nodeSelector/affinity.
    placement_constraints: list[str] = field(default_factory=list)
    placement_preferences: list[str] = field(default_factory=list)
    privileged: bool = False
    read_only: bool = False
    stdin_open: bool = False
    tty: bool = False
    extra_hosts: list[tuple[str, str]] = field(default_factory=list)  # (hostname, ip)
    stop_grace_period: float | None = None  # seconds
    secrets: list[FileRef] = field(default_factory=list)
    configs: list[FileRef] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    # Variables the service's definition references (bare environment keys included), and those
    # left without a value: ``${VAR}`` with no value and no default, an unmet ``${VAR:?msg}``
    # (lenient loading only; strict loading raises), and a bare ``- KEY`` that no setting fills.
    # The deploy form asks for these.
    variables: list[str] = field(default_factory=list)
    required_variables: list[str] = field(default_factory=list)
    # The unmet ``${VAR:?message}`` among them, described with their messages: compose refuses
    # to run the service without these, so rendering it refuses too.
    unmet: list[str] = field(default_factory=list)
    # Secret values that interpolation put into the definition: variables with a sensitive name
    # (``core.secrets.sensitivity``: PASSWORD, TOKEN, API_KEY...) or a credential value, referenced
    # anywhere (command, healthcheck, environment...), each with the value it expanded to (the
    # first, should defaults differ); ``secret_uses`` says where each one went. The compiler
    # keeps these values in the service's Secret and out of everything else.
    secret_variables: dict[str, str] = field(default_factory=dict)
    secret_uses: list[SecretUse] = field(default_factory=list)
    # What each variable used outside the environment (``image: app:${TAG:-1.2.0}``) expanded to:
    # its setting or the file's default. The deploy form shows it as the compose default.
    variable_values: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class TopLevelResource:
    """A top-level volume, secret or config declaration."""

    name: str
    external: bool = False
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    driver: str | None = None
    driver_opts: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class UshadowMeta:
    """The ``x-ushadow`` block of a compose file (or the part of it about one service).

    Keys this project does not know are kept in ``other_keys`` (``infra: true`` marks an infrastructure
    file); ``given`` holds the keys the block wrote, so a service's own block can be laid over the
    file's without its defaults undoing what the file said.
    """

    KNOWN: ClassVar[frozenset[str]] = frozenset(
        ("display_name", "description", "requires", "provides", "tags", "infra_services", "namespace")
    )

    display_name: str | None = None
    description: str | None = None
    requires: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    infra_services: list[str] = field(default_factory=list)
    namespace: str | None = None
    other_keys: dict[str, Any] = field(default_factory=dict)
    given: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> UshadowMeta:
        """From a block's keys, already read into their types (``core.compose.metadata``)."""
        known = {k: v for k, v in values.items() if k in cls.KNOWN}
        others = {k: v for k, v in values.items() if k not in cls.KNOWN}
        return cls(**known, other_keys=others, given=frozenset(values))

    def written(self) -> dict[str, Any]:
        """The keys the block wrote, with their values."""
        return {k: self.other_keys[k] if k in self.other_keys else getattr(self, k) for k in self.given}

    def values(self) -> dict[str, Any]:
        """Every key: the known ones (written or default) and the block's others."""
        return {**{k: getattr(self, k) for k in self.KNOWN}, **self.other_keys}


@dataclass(frozen=True, kw_only=True)
class ComposeProject:
    path: str
    name: str
    services: dict[str, ServiceSpec]
    volumes: dict[str, TopLevelResource] = field(default_factory=dict)
    secrets: dict[str, TopLevelResource] = field(default_factory=dict)
    configs: dict[str, TopLevelResource] = field(default_factory=dict)
    # Networks meant to be shared with other projects (``external``, or given a ``name:``): the
    # compose key -> the name they are known by. Every other network is the project's own.
    shared_networks: dict[str, str] = field(default_factory=dict)
    # x-ushadow may be per file, or per service (keyed by service name) where the file says so.
    meta: UshadowMeta = field(default_factory=UshadowMeta)
    service_meta: dict[str, UshadowMeta] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Every variable the file references, and those left without a value (see ServiceSpec).
    variables: list[str] = field(default_factory=list)
    required_variables: list[str] = field(default_factory=list)
    # Services left out because none of their profiles is active (when profiles were given).
    disabled_services: list[str] = field(default_factory=list)
    # Lenient loading only: services that could not be read, with the reason (file-relative key).
    service_errors: dict[str, str] = field(default_factory=dict)
    # Secret values interpolated outside the services (``field`` is the section, ``configs``,
    # ``key`` the entry): a top-level config's ``content`` becomes a ConfigMap, not a Secret.
    secret_uses: list[SecretUse] = field(default_factory=list)
