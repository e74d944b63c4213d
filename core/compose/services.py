"""From one compose service as written to its normalised :class:`ServiceSpec`. Pure: no I/O.

The loader reads files (``env_file``, ``extends: file:``) and interpolates; this module sorts a
service's keys (read, ignored with a warning, or unknown), merges ``extends`` the way compose
does, and turns the validated :class:`RawService` into the model the compiler consumes.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.compose import syntax
from core.compose.interpolation import Lookup
from core.compose.model import (
    DependsOn,
    FileRef,
    Healthcheck,
    Port,
    Resources,
    SecretUse,
    ServiceSpec,
    Volume,
)
from core.compose.raw import RawDevice, RawService, RawVolume, validate
from core.errors import InvalidInput

# Every service key of the compose specification (compose-go v2's schema).
COMPOSE_SERVICE_KEYS = frozenset(
    [
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_period",
        "cpu_quota",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_shares",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "label_file",
        "labels",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "pull_refresh_after",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "umask",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    ]
)
READ_KEYS = frozenset(RawService.model_fields) | {"extends"}


@dataclass(frozen=True)
class SortedKeys:
    read: dict[str, Any]
    ignored: list[str]  # valid compose, without meaning for this tool: a warning
    unknown: list[str]  # not compose at all: an error in strict mode


def sort_keys(service: Mapping[str, Any]) -> SortedKeys:
    read: dict[str, Any] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    for key, value in service.items():
        if key in READ_KEYS:
            read[key] = value
        elif key.startswith("x-"):
            continue
        elif key in COMPOSE_SERVICE_KEYS:
            ignored.append(key)
        else:
            unknown.append(key)
    return SortedKeys(read, ignored, unknown)


# --- extends --------------------------------------------------------------------------------

_OVERRIDE = {"command", "entrypoint"}
_KEY_VALUE = {"environment", "labels", "sysctls", "annotations"}
_SEQUENCE = {"dns", "dns_opt", "dns_search", "env_file", "extra_hosts", "tmpfs", "label_file"}
_AS_MAPPING = {"depends_on", "networks"}


def _as_key_values(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value or []:
        key, found, rest = str(item).partition("=")
        out[key] = rest if found else None
    return out


def _as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {str(name): None for name in value}
    return dict(value or {})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _as_build(value: Any) -> dict[str, Any]:
    return {"context": value} if isinstance(value, str) else dict(value)


def _append_unique(base: list[Any], extra: list[Any]) -> list[Any]:
    merged = list(base)
    merged.extend(item for item in extra if item not in merged)
    return merged


def _merge(base: Any, override: Any, key: str | None) -> Any:
    if override is None:
        return base
    if key in _OVERRIDE:
        return override
    if key in _KEY_VALUE:
        return {**_as_key_values(base), **_as_key_values(override)}
    if key in _SEQUENCE:
        return _append_unique(_as_list(base), _as_list(override))
    if key in _AS_MAPPING:
        return _merge_mappings(_as_mapping(base), _as_mapping(override))
    if key == "build":
        return _merge_mappings(_as_build(base), _as_build(override), nested="build")
    if isinstance(base, dict) and isinstance(override, dict):
        return _merge_mappings(base, override, nested=key)
    if isinstance(base, list) and isinstance(override, list):
        return _append_unique(base, override)
    return override


def _merge_mappings(
    base: dict[str, Any], override: dict[str, Any], nested: str | None = None
) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key not in merged or (nested == "healthcheck" and key == "test"):
            merged[key] = value
        elif nested == "build" and key == "args":
            merged[key] = {**_as_key_values(merged[key]), **_as_key_values(value)}
        elif nested is None:
            merged[key] = _merge(merged[key], value, key)
        else:
            merged[key] = _merge(merged[key], value, f"{nested}.{key}")
    return merged


def merge_service(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` extending ``base``, with compose's merge rules (environment by key, command
    replaced, lists appended without duplicates, mappings merged)."""
    merged = _merge_mappings(dict(base), {k: v for k, v in override.items() if k != "extends"})
    merged.pop("extends", None)
    if "extends" in override:
        merged["extends"] = override["extends"]
    return merged


def _absolute(path: str, base_dir: str, home: str | None) -> str:
    if path.startswith("~") and home:
        path = home + path[1:]
    if posixpath.isabs(path) or ntpath.isabs(path) or "://" in path:
        return path
    return syntax.go_path_clean(posixpath.join(base_dir, path))


def rebase_paths(service: Mapping[str, Any], base_dir: str, home: str | None) -> dict[str, Any]:
    """Make a service's relative paths absolute against ``base_dir`` (for ``extends: file:``)."""
    out = dict(service)
    env_file = out.get("env_file")
    if isinstance(env_file, str | list):
        entries = env_file if isinstance(env_file, list) else [env_file]
        out["env_file"] = [
            _absolute(e, base_dir, home)
            if isinstance(e, str)
            else {**e, "path": _absolute(str(e.get("path", "")), base_dir, home)}
            for e in entries
        ]
    build = out.get("build")
    if isinstance(build, str):
        out["build"] = _absolute(build, base_dir, home)
    elif isinstance(build, dict) and isinstance(build.get("context"), str):
        out["build"] = {**build, "context": _absolute(build["context"], base_dir, home)}
    volumes = out.get("volumes")
    if isinstance(volumes, list):
        rebased: list[Any] = []
        for volume in volumes:
            if isinstance(volume, str):
                try:
                    spec = syntax.parse_volume(volume)
                except ValueError:
                    rebased.append(volume)
                    continue
                if spec.type == "bind" and spec.source:
                    volume = {"type": "bind", "source": _absolute(spec.source, base_dir, home)}
                    volume |= {"target": spec.target, "read_only": spec.read_only}
            elif (
                isinstance(volume, dict)
                and volume.get("type") == "bind"
                and isinstance(volume.get("source"), str)
            ):
                volume = {**volume, "source": _absolute(volume["source"], base_dir, home)}
            rebased.append(volume)
        out["volumes"] = rebased
    return out


# --- the normalised service -------------------------------------------------------------------


@dataclass
class ServiceInputs:
    """What the loader found out about a service before building it."""

    base_dir: str
    home: str | None
    lookup: Lookup  # the project's variables: bare environment keys take their values from here
    env_file_vars: dict[str, str] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)
    secret_uses: list[SecretUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _command(value: str | list[str] | None, key: str, warnings: list[str]) -> list[str] | None:
    if value is None or isinstance(value, list):
        return value
    try:
        words = syntax.shell_split(value)
    except ValueError as exc:
        raise InvalidInput(f"{key}: {exc}", hint="use the list form, e.g. [sh, -c, '...']") from exc
    if words.stopped_at:
        warnings.append(
            f"{key}: the unquoted {words.stopped_at!r} ends the command, as in compose; the rest is "
            "dropped (use the list form with sh -c to run a shell line)"
        )
    return words.words


def _volume(raw: RawVolume, index: int, inputs: ServiceInputs) -> Volume:
    where = f"volumes[{index}]"
    if not raw.target:
        raise InvalidInput(f"{where}: a volume needs a target path")
    source = raw.source or None
    if raw.type == "bind":
        if not source:
            raise InvalidInput(f"{where}: a bind mount needs a source path")
        source = _absolute(source, inputs.base_dir, inputs.home)
    for option in raw.ignored_options:
        inputs.warnings.append(f"{where}: option {option!r} has no meaning on Kubernetes and is ignored")
    subpath = (raw.volume.subpath if raw.volume else None) or (raw.image.subpath if raw.image else None)
    return Volume(
        type=raw.type,
        source=source,
        target=syntax.go_path_clean(raw.target),
        read_only=raw.read_only,
        subpath=subpath,
        tmpfs_size=raw.tmpfs.size if raw.tmpfs else None,
    )


def _tmpfs(entry: str, inputs: ServiceInputs) -> Volume:
    target, _, options = entry.partition(":")
    size: int | None = None
    for option in filter(None, options.split(",")):
        name, _, value = option.partition("=")
        if name == "size":
            try:
                size = syntax.parse_size(value)
            except ValueError as exc:
                raise InvalidInput(f"tmpfs {entry!r}: {exc}") from exc
        elif name != "rw":
            inputs.warnings.append(f"tmpfs {target}: mount option {option!r} is ignored")
    return Volume(type="tmpfs", target=syntax.go_path_clean(target), tmpfs_size=size)


def _gpu_count(device: RawDevice, where: str) -> int:
    if device.count is None:
        return len(device.device_ids) if device.device_ids else -1
    if isinstance(device.count, int):
        return device.count
    if device.count.lower() == "all":
        return -1
    try:
        return int(device.count)
    except ValueError:
        raise InvalidInput(f"{where}.count: expected a number or 'all', not {device.count!r}") from None


def _resources(raw: RawService, warnings: list[str]) -> Resources:
    limits = raw.deploy.resources.limits if raw.deploy and raw.deploy.resources else None
    reservations = raw.deploy.resources.reservations if raw.deploy and raw.deploy.resources else None
    gpus: int | None = None
    driver: str | None = None
    for kind, resource in (("limits", limits), ("reservations", reservations)):
        if resource is None:
            continue
        if resource.pids is not None or resource.generic_resources:
            warnings.append(f"deploy.resources.{kind}: pids and generic_resources are ignored")
        for index, device in enumerate(resource.devices or []):
            where = f"deploy.resources.{kind}.devices[{index}]"
            if "gpu" not in device.capabilities:
                warnings.append(f"{where}: only GPU devices are supported; {device.capabilities} ignored")
                continue
            gpus, driver = _gpu_count(device, where), device.driver or driver
    if isinstance(raw.gpus, str):
        gpus = -1
    elif raw.gpus:
        devices = [validate(RawDevice, d, f"gpus[{i}]") for i, d in enumerate(raw.gpus)]
        gpus = sum(_gpu_count(d, "gpus") for d in devices) if all(d.count != "all" for d in devices) else -1
    return Resources(
        cpu_limit=limits.cpus if limits and limits.cpus is not None else raw.cpus,
        memory_limit=limits.memory if limits and limits.memory is not None else raw.mem_limit,
        cpu_request=reservations.cpus if reservations else None,
        memory_request=reservations.memory
        if reservations and reservations.memory is not None
        else raw.mem_reservation,
        gpus=gpus,
        gpu_driver=driver,
    )


def _file_mode(value: int | str | None, where: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value, 8)
    except ValueError:
        raise InvalidInput(f"{where}.mode: expected an octal file mode such as 0440, not {value!r}") from None


def _first_values(uses: list[SecretUse]) -> dict[str, str]:
    values: dict[str, str] = {}
    for use in uses:
        values.setdefault(use.variable, use.value)
    return values


def build_service(name: str, raw: RawService, inputs: ServiceInputs) -> ServiceSpec:
    warnings = inputs.warnings
    variables = list(inputs.variables)
    required = list(inputs.unset)

    environment: dict[str, str | None] = dict(inputs.env_file_vars)
    for key, value in raw.environment.items():
        if value is None:
            value = inputs.lookup(key)
            if key not in variables:
                variables.append(key)
            if value is None and key not in required:
                required.append(key)
        environment[key] = value

    ports: list[Port] = []
    for index, port in enumerate(raw.ports):
        protocol = (port.protocol or "tcp").lower()
        if protocol not in ("tcp", "udp", "sctp"):
            raise InvalidInput(f"ports[{index}].protocol: expected tcp, udp or sctp, not {port.protocol!r}")
        if not 0 < port.target <= 65535:
            raise InvalidInput(f"ports[{index}].target: {port.target} is not a port number")
        entry = Port(
            target=port.target,
            published=port.published or None,
            host_ip=port.host_ip or None,
            protocol=protocol,
            name=port.name,
            app_protocol=port.app_protocol,
        )
        if entry not in ports:
            ports.append(entry)
    for text in raw.expose:
        number, _, protocol = text.partition("/")
        try:
            specs = syntax.parse_port(f"{number}/{protocol or 'tcp'}")
        except ValueError as exc:
            raise InvalidInput(f"expose: {exc}") from exc
        for spec in specs:
            if not any(p.target == spec.target and p.protocol == spec.protocol for p in ports):
                ports.append(Port(target=spec.target, protocol=spec.protocol, exposed_only=True))

    by_target: dict[str, Volume] = {}
    for index, raw_volume in enumerate(raw.volumes):
        volume = _volume(raw_volume, index, inputs)
        by_target[volume.target] = volume
    for mount in raw.tmpfs:
        volume = _tmpfs(mount, inputs)
        by_target.setdefault(volume.target, volume)

    healthcheck: Healthcheck | None = None
    if raw.healthcheck is not None:
        h = raw.healthcheck
        test = ["CMD-SHELL", h.test] if isinstance(h.test, str) else list(h.test or [])
        if test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
            raise InvalidInput(f"healthcheck.test: must start with CMD, CMD-SHELL or NONE, not {test[0]!r}")
        healthcheck = Healthcheck(
            test=test,
            interval=h.interval,
            timeout=h.timeout,
            retries=h.retries,
            start_period=h.start_period,
            start_interval=h.start_interval,
            disable=h.disable or test[:1] == ["NONE"],
        )

    replicas = raw.deploy.replicas if raw.deploy else None
    if raw.scale is not None:
        if replicas is not None and replicas != raw.scale:
            raise InvalidInput(f"scale ({raw.scale}) and deploy.replicas ({replicas}) disagree")
        replicas = raw.scale
    if replicas is not None and replicas < 0:
        raise InvalidInput(f"deploy.replicas: {replicas} is below zero")
    if raw.deploy:
        if raw.deploy.mode == "global":
            warnings.append("deploy.mode global (one per node) is not supported: a Deployment is made")
        extra = [
            k for k in ("placement", "restart_policy", "update_config", "rollback_config", "endpoint_mode")
        ]
        extra = [k for k in extra if getattr(raw.deploy, k) is not None]
        if extra or raw.deploy.labels:
            warnings.append(f"deploy: {', '.join(extra + (['labels'] if raw.deploy.labels else []))} ignored")

    depends_on = [
        DependsOn(service=dep, condition=cfg.condition, required=cfg.required)
        for dep, cfg in raw.depends_on.items()
    ]
    implied = [link.split(":")[0] for link in raw.links]
    if raw.links:
        warnings.append("links: every service is reachable by its name on Kubernetes; kept as depends_on")
    if raw.volumes_from:
        warnings.append("volumes_from is not supported: mount the volumes explicitly")
        implied += [v.split(":")[0] for v in raw.volumes_from if not v.startswith("container:")]
    if raw.network_mode:
        warnings.append(f"network_mode {raw.network_mode!r} is not supported: the pod gets its own network")
        if raw.network_mode.startswith("service:"):
            implied.append(raw.network_mode.removeprefix("service:"))
    for dep in implied:
        if all(d.service != dep for d in depends_on):
            depends_on.append(DependsOn(service=dep))

    aliases = [n for n, cfg in raw.networks.items() if isinstance(cfg, dict) and cfg.get("aliases")]
    if aliases:
        warnings.append(f"network aliases on {', '.join(aliases)} are ignored: use the service name")
    for refs, kind in ((raw.secrets, "secrets"), (raw.configs, "configs")):
        if any(ref.uid or ref.gid for ref in refs):
            warnings.append(f"{kind}: uid and gid are ignored")

    return ServiceSpec(
        name=name,
        image=raw.image or None,
        build={"context": raw.build} if isinstance(raw.build, str) else raw.build,
        command=_command(raw.command, "command", warnings),
        entrypoint=_command(raw.entrypoint, "entrypoint", warnings),
        environment=environment,
        ports=ports,
        volumes=list(by_target.values()),
        healthcheck=healthcheck,
        replicas=replicas,
        resources=_resources(raw, warnings),
        restart=raw.restart,
        user=raw.user or None,
        working_dir=raw.working_dir or None,
        hostname=raw.hostname or None,
        labels={k: v or "" for k, v in raw.labels.items()},
        depends_on=depends_on,
        cap_add=raw.cap_add,
        cap_drop=raw.cap_drop,
        privileged=raw.privileged,
        read_only=raw.read_only,
        stdin_open=raw.stdin_open,
        tty=raw.tty,
        extra_hosts=raw.extra_hosts,
        stop_grace_period=raw.stop_grace_period,
        secrets=[
            FileRef(source=r.source, target=r.target, mode=_file_mode(r.mode, "secrets")) for r in raw.secrets
        ],
        configs=[
            FileRef(source=r.source, target=r.target, mode=_file_mode(r.mode, "configs")) for r in raw.configs
        ],
        profiles=raw.profiles,
        networks=list(raw.networks),
        variables=variables,
        required_variables=required,
        secret_variables=_first_values(inputs.secret_uses),
        secret_uses=list(inputs.secret_uses),
        warnings=list(dict.fromkeys(warnings)),
    )
