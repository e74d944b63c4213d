"""From one compose service as written to its normalised :class:`ServiceSpec`. Pure: no I/O.

The loader reads files (``env_file``, ``extends: file:``) and interpolates; this module turns the
validated :class:`RawService` into the model the compiler consumes. The parts live beside it:
:mod:`core.compose.keys` sorts a service's keys (read, ignored with a warning, or unknown),
:mod:`core.compose.merging` merges ``extends`` the way compose does, :mod:`core.compose.mounts`
builds the volumes and :mod:`core.compose.deploy` the replicas and resources. This module still
exports their names, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from core.compose import deploy, syntax
from core.compose.interpolation import Lookup
from core.compose.model import DependsOn, FileRef, Healthcheck, Port, SecretUse, ServiceSpec
from core.compose.mounts import mounts
from core.compose.raw import RawService
from core.errors import InvalidInput
from core.untrusted import clip

if TYPE_CHECKING:
    from core.compose.model import PortProtocol


@dataclass
class ServiceInputs:
    """What the loader found out about a service before building it."""

    base_dir: str
    home: str | None
    lookup: Lookup  # the project's variables: bare environment keys take their values from here
    env_file_vars: dict[str, str] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    secret_uses: list[SecretUse] = field(default_factory=list)
    expanded: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _command(value: str | list[str] | None, key: str, warnings: list[str]) -> list[str] | None:
    if value is None or isinstance(value, list):
        return value
    try:
        words = syntax.shell_split(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{key}: {exc}",
            hint="write the command as a YAML list, one item per word: sh, -c, then the line to run",
        ) from exc
    if words.stopped_at:
        warnings.append(
            f"{key}: the unquoted {words.stopped_at!r} ends the command, as in compose; the rest is "
            "dropped (use the list form with sh -c to run a shell line)"
        )
    return words.words


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
        if use.value:  # an empty one (an unset variable in the environment) has nothing to hide
            values.setdefault(use.variable, use.value)
    return values


def _ports(raw: RawService) -> list[Port]:
    """``ports`` and ``expose`` (exposed only), without repeats (linear: ranges can be long)."""
    ports: list[Port] = []
    seen: set[Port] = set()
    for index, port in enumerate(raw.ports):
        protocol = (port.protocol or "tcp").lower()
        if protocol not in ("tcp", "udp", "sctp"):
            raise InvalidInput(
                f"ports[{index}].protocol: expected tcp, udp or sctp, not {clip(port.protocol)}"
            )
        if not 0 < port.target <= 65535:
            raise InvalidInput(f"ports[{index}].target: {port.target} is not a port number")
        entry = Port(
            target=port.target,
            published=port.published or None,
            host_ip=port.host_ip or None,
            protocol=cast("PortProtocol", protocol),  # checked above
            name=port.name,
            app_protocol=port.app_protocol,
        )
        if entry not in seen:
            seen.add(entry)
            ports.append(entry)
    targets: set[tuple[int, str]] = {(p.target, p.protocol) for p in ports}
    for text in raw.expose:
        number, _, protocol = text.partition("/")
        try:
            specs = syntax.parse_port(f"{number}/{protocol or 'tcp'}")
        except ValueError as exc:
            raise InvalidInput(f"expose: {exc}") from exc
        for spec in specs:
            if (spec.target, spec.protocol) not in targets:
                targets.add((spec.target, spec.protocol))
                ports.append(
                    Port(target=spec.target, protocol=cast("PortProtocol", spec.protocol), exposed_only=True)
                )
        if len(ports) > syntax.MAX_PORTS:
            raise InvalidInput(
                f"ports and expose: more than {syntax.MAX_PORTS:,} ports (ranges count port by port)",
                hint="publish a smaller range; Kubernetes lists every port of a Service one by one",
            )
    return ports


def _healthcheck(raw: RawService) -> Healthcheck | None:
    """The healthcheck, its ``test`` always in the list form."""
    if raw.healthcheck is None:
        return None
    h = raw.healthcheck
    test = ["CMD-SHELL", h.test] if isinstance(h.test, str) else list(h.test or [])
    if test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise InvalidInput(f"healthcheck.test: must start with CMD, CMD-SHELL or NONE, not {test[0]!r}")
    return Healthcheck(
        test=test,
        interval=h.interval,
        timeout=h.timeout,
        retries=h.retries,
        start_period=h.start_period,
        start_interval=h.start_interval,
        disable=h.disable or test[:1] == ["NONE"],
    )


def _depends_on(raw: RawService, warnings: list[str]) -> list[DependsOn]:
    """``depends_on``, plus the services ``links``, ``volumes_from`` and ``network_mode`` imply."""
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
        if raw.network_mode.startswith("service:"):
            implied.append(raw.network_mode.removeprefix("service:"))
        elif raw.network_mode != "bridge":
            warnings.append(
                f"network_mode {raw.network_mode!r} is not supported: the pod gets its own network"
            )
    for dep in implied:
        if all(d.service != dep for d in depends_on):
            depends_on.append(DependsOn(service=dep))
    return depends_on


def build_service(name: str, raw: RawService, inputs: ServiceInputs) -> ServiceSpec:
    """The normalised service ``name``; errors name the key (the caller adds the service).

    Kept as one function on purpose: one keyword argument per field of :class:`ServiceSpec`, each
    read by its own helper, so the model and its reading stay side by side."""
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

    ports = _ports(raw)
    volumes = mounts(raw, inputs.base_dir, inputs.home, warnings)
    healthcheck = _healthcheck(raw)
    replicas = deploy.replicas(raw, warnings)
    depends_on = _depends_on(raw, warnings)

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
        volumes=volumes,
        healthcheck=healthcheck,
        replicas=replicas,
        resources=deploy.resources(raw, warnings),
        restart=raw.restart,
        user=raw.user or None,
        working_dir=raw.working_dir or None,
        hostname=raw.hostname or None,
        labels={k: v or "" for k, v in raw.labels.items()},
        depends_on=depends_on,
        cap_add=raw.cap_add,
        cap_drop=raw.cap_drop,
        group_add=list(raw.group_add),
        security_opt=list(raw.security_opt),
        pull_policy=raw.pull_policy or None,
        network_mode=raw.network_mode or None,
        placement_constraints=deploy.placement_constraints(raw),
        placement_preferences=deploy.placement_preferences(raw),
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
        unmet=list(inputs.unmet),
        secret_variables=_first_values(inputs.secret_uses),
        secret_uses=list(inputs.secret_uses),
        variable_values=dict(inputs.expanded),
        warnings=list(dict.fromkeys(warnings)),
    )
