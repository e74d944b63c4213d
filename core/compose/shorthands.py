"""Compose's short forms read into the long ones before validation: ``"8080:80/udp"`` ports,
``./data:/data:ro`` volumes, ``KEY=VALUE`` lists, commands as strings, and the like (pure).
"""

from __future__ import annotations

from core.compose import syntax
from core.untrusted import clip


def read_string_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ValueError("expected a string or a list of strings")


def read_command(value: object) -> object:
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(i, str) for i in value)):
        return value
    raise ValueError("expected a string or a list of strings")


def read_key_values(value: object, what: str, bare: str | None) -> dict[str, str | None]:
    """A ``KEY=VALUE`` list or a mapping as a dict; a bare ``KEY`` maps to ``bare``."""
    out: dict[str, str | None] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise ValueError(f"{what} {key!r} must be a single value, not a {type(item).__name__}")
            out[key] = bare if item is None else syntax.go_scalar(item)
        return out
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"{what} entries must be strings like KEY=VALUE, not {item!r}")
            key, found, rest = item.partition("=")
            out[key] = rest if found else bare
        return out
    raise ValueError(f"expected a list of KEY=VALUE strings or a mapping for {what}")


def read_environment(value: object) -> dict[str, str | None]:
    return read_key_values(value, "environment variable", None)


def read_labels(value: object) -> dict[str, str | None]:
    return read_key_values(value, "label", "")


def read_extra_hosts(value: object) -> list[tuple[str, str]]:
    hosts: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for host, ips in value.items():
            for ip in ips if isinstance(ips, list) else [ips]:
                if not isinstance(ip, str):
                    raise ValueError(f"extra host {host!r}: the IP address must be a string")
                hosts.extend((host, one) for one in ip.split(","))
        return hosts
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        for item in value:
            hosts.extend(syntax.parse_extra_host(item))
        return hosts
    raise ValueError("expected a list of host:ip strings or a mapping of host to IP")


def read_ports(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list of ports")
    out: list[object] = []
    seen: set[syntax.PortSpec] = set()  # a range written twice counts once (linear, not quadratic)
    for index, entry in enumerate(value):
        if isinstance(entry, bool) or not isinstance(entry, int | str | dict):
            raise ValueError(f"entry {index}: expected a port like 8080:80 or a mapping, not {clip(entry)}")
        if isinstance(entry, dict):
            out.append(entry)
            continue
        try:
            specs = syntax.parse_port(str(entry))
        except ValueError as exc:
            raise ValueError(f"entry {index}: {exc}") from None
        for s in specs:
            if s not in seen:
                seen.add(s)
                out.append(
                    {
                        "target": s.target,
                        "published": s.published,
                        "host_ip": s.host_ip,
                        "protocol": s.protocol,
                    }
                )
        if len(out) > syntax.MAX_PORTS:
            raise ValueError(f"more than {syntax.MAX_PORTS:,} ports (ranges count port by port)")
    return out


def read_volumes(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list of volumes")
    out: list[object] = []
    for index, entry in enumerate(value):
        if isinstance(entry, dict):
            out.append(entry)
        elif isinstance(entry, str):
            try:
                spec = syntax.parse_volume(entry)
            except ValueError as exc:
                raise ValueError(f"entry {index}: {exc}") from None
            out.append(
                {
                    "type": spec.type,
                    "source": spec.source,
                    "target": spec.target,
                    "read_only": spec.read_only,
                    "ignored_options": list(spec.ignored_options),
                }
            )
        else:
            raise ValueError(f"entry {index}: expected a string like ./data:/data or a mapping")
    return out


def read_file_refs(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return [{"source": entry} if isinstance(entry, str) else entry for entry in value]


def read_env_files(value: object) -> list[object]:
    entries = value if isinstance(value, list) else [value]
    if not all(isinstance(entry, str | dict) for entry in entries):
        raise ValueError("expected a path, or a list of paths or {path, required} mappings")
    return [{"path": entry} if isinstance(entry, str) else entry for entry in entries]


def read_depends_on(value: object) -> dict[str, object]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return {name: {} for name in value}
    if isinstance(value, dict):
        return {name: {} if item is None else item for name, item in value.items()}
    raise ValueError("expected a list of service names or a mapping of service to {condition}")


def read_networks(value: object) -> dict[str, object]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return {name: None for name in value}
    if isinstance(value, dict):
        return value
    raise ValueError("expected a list of network names or a mapping")


def read_string_or_mapping(value: object) -> object:
    if isinstance(value, str | dict):
        return value
    raise ValueError("expected a string or a mapping")
