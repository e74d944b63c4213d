"""The short syntaxes of compose files, parsed as compose-go (Docker Compose's loader) parses them.

Pure functions: ports (``"127.0.0.1:8000-8001:80-81/udp"``), volumes (``"./data:/data:ro"``),
durations (``"1m30s"``), sizes (``"512m"``), shell words (``command: echo "hi there"``),
``extra_hosts`` entries, and the casts compose applies to interpolated strings. They raise
``ValueError`` with a short reason; the loader adds the file, service and key.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import posixpath
import re
from dataclasses import dataclass
from decimal import Decimal

from core.untrusted import clip

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")
_SIZE_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def go_scalar(value: object) -> str:
    """A YAML scalar as compose-go turns it into a string (Go's ``fmt.Sprint``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    """Go's ``%v`` for a float64: shortest digits, exponent form below 1e-4 or from 1e+06 on."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    count, point = len(digits), len(digits) + exponent
    shown = point - 1
    precision = count if 6 > count >= point else 6
    prefix = "-" if sign else ""
    if shown < -4 or shown >= precision:
        mantissa = digits[0] + ("." + digits[1:] if count > 1 else "")
        return f"{prefix}{mantissa}e{shown:+03d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= count:
        return prefix + digits + "0" * (point - count)
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def to_bool(value: object) -> bool:
    """``true``/``false`` (and YAML 1.1's ``yes``/``no``/``on``/``off`` in strings), as compose casts."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "y", "yes", "on"):
            return True
        if lowered in ("false", "n", "no", "off"):
            return False
    raise ValueError(f"expected true or false, not {value!r}")


def to_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[-+]?\d+", value.strip()):
        return int(value)
    raise ValueError(f"expected a whole number, not {value!r}")


def to_float(value: object) -> float:
    """A finite number (``1e400`` and ``.nan`` are refused: nothing in compose means them)."""
    number = math.nan
    with contextlib.suppress(ValueError, OverflowError):  # a word, an int too large for a float
        if isinstance(value, int | float | str) and not isinstance(value, bool) and len(str(value)) <= 400:
            number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, not {clip(value)}")
    return number


def parse_duration(value: object) -> float:
    """Seconds in a compose duration: ``1m30s``, ``10s``, ``500ms``, ``1h``, ``2d``, ``0``."""
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 10s or 1m30s, not {value!r}")
    text = value
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise ValueError(f"invalid duration {value!r}")
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        assert match is not None  # the pattern matches the empty string
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            raise ValueError(f"invalid duration {value!r}")
        if not unit:
            raise ValueError(f"missing unit in duration {value!r} (write e.g. 10s)")
        if unit not in _DURATION_UNITS:
            raise ValueError(f"unknown unit {unit!r} in duration {value!r}")
        number = float(f"{whole or 0}.{frac or 0}")
        total += number * _DURATION_UNITS[unit]
        pos = match.end()
    if not math.isfinite(total):
        raise ValueError(f"duration {clip(value)} is too long")
    return round(sign * total, 9)


def parse_size(value: object) -> int:
    """Bytes in a compose size: ``1g``, ``512m``, ``10000Mb``, ``1.5GiB``, ``1024`` (binary units)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a size such as 512m or 1g, not {value!r}")
    if isinstance(value, int):
        return value
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    match = re.fullmatch(r"(\d*\.?\d*) ?([A-Za-z]{0,3})", value)
    if not match or not match.group(1) or match.group(1) == ".":
        raise ValueError(f"invalid size {value!r}")
    number, suffix = float(match.group(1)), match.group(2).lower()
    if not suffix or suffix == "b":
        return int(number)
    multiplier = _SIZE_UNITS.get(suffix[0])
    if (
        multiplier is None
        or (len(suffix) == 2 and suffix[1] != "b")
        or (len(suffix) == 3 and suffix[1:] != "ib")
    ):
        raise ValueError(f"invalid size suffix {match.group(2)!r} in {value!r}")
    return int(number * multiplier)


@dataclass(frozen=True)
class ShellWords:
    words: list[str]
    stopped_at: str | None = None  # an unquoted shell operator where parsing stopped, as compose does


def shell_split(line: str) -> ShellWords:
    """Split a command string into words like compose (go-shellwords without env or backticks).

    Quotes group words, a backslash escapes the next character (outside single quotes), and an
    unquoted ``;``, ``&``, ``|``, ``<`` or ``>`` ends the command: compose drops the rest, and so
    do we, saying so in ``stopped_at``.

    One loop over the characters, kept whole on purpose: a state machine (quotes, escapes, word
    breaks) whose states read best side by side, as in go-shellwords.
    """
    args: list[str] = []
    buf = ""
    escaped = double = single = back = dollar = False
    got = False
    stopped: str | None = None
    for char in line:
        if escaped:
            buf += char
            escaped = False
            got = True
            continue
        if char == "\\":
            if single:
                buf += char
            else:
                escaped = True
            continue
        if char in " \t\r\n":
            if single or double or back or dollar:
                buf += char
            elif got:
                args.append(buf)
                buf, got = "", False
            continue
        if char == "`" and not (single or double or dollar):
            back = not back
        elif char == ")" and not (single or double or back):
            dollar = not dollar
        elif char == "(" and not (single or double or back):
            if not dollar and buf.endswith("$"):
                dollar = True
                buf += "("
                continue
            raise ValueError(f"invalid command line {line!r}: unquoted '('")
        elif char == '"' and not (single or dollar):
            double = not double
            got = True
            continue
        elif char == "'" and not (double or dollar):
            single = not single
            got = True
            continue
        elif char in ";&|<>" and not (single or double or back or dollar):
            if char == ">" and buf[:1].isdigit():
                got = False
            stopped = char
            break
        got = True
        buf += char
    if got:
        args.append(buf)
    if escaped or single or double or back or dollar:
        raise ValueError(f"invalid command line {line!r}: unbalanced quotes or escape")
    return ShellWords(args, stopped)


@dataclass(frozen=True)
class PortSpec:
    target: int
    published: str | None
    host_ip: str | None
    protocol: str


MAX_PORTS = 1000  # a service may publish or expose at most this many ports (ranges port by port)


def _port_range(text: str, what: str, spec: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", text)
    if not match:
        raise ValueError(f"invalid {what} {text!r} in port {spec!r}")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    if start > 65535 or end > 65535 or end < start:
        raise ValueError(f"invalid {what} {text!r} in port {spec!r}")
    return start, end


def parse_port(spec: str) -> list[PortSpec]:
    """``[ip:][host:]container[/proto]`` with ranges, one :class:`PortSpec` per container port."""
    if len(spec) > 128:
        raise ValueError(f"port {clip(spec)} is too long")
    parts = spec.split(":")
    container = parts[-1]
    host = parts[-2] if len(parts) >= 2 else ""
    raw_ip = ":".join(parts[:-2]) if len(parts) >= 3 else ""
    proto = "tcp"
    if "/" in container:
        container, _, proto_text = container.partition("/")
        proto = proto_text or "tcp"
    ip = raw_ip[1:-1] if raw_ip.startswith("[") and raw_ip.endswith("]") else raw_ip
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ValueError(f"invalid IP address {ip!r} in port {spec!r}") from None
    if not container:
        raise ValueError(f"no container port in {spec!r}")
    start, end = _port_range(container, "container port", spec)
    host_start, host_end = _port_range(host, "host port", spec) if host else (0, 0)
    if host and end - start != host_end - host_start and end != start:
        raise ValueError(f"container and host port ranges differ in size in {spec!r}")
    if proto.lower() not in ("tcp", "udp", "sctp"):
        raise ValueError(f"invalid protocol {proto!r} in port {spec!r}")
    if start == 0:
        raise ValueError(f"container port 0 in {spec!r} is not a port")
    if end - start >= MAX_PORTS:
        raise ValueError(
            f"port range {container!r} in {spec!r} has {end - start + 1:,} ports; at most {MAX_PORTS:,} are allowed"
        )
    ports = []
    for offset in range(end - start + 1):
        published: str | None = None
        if host:
            published = str(host_start + offset)
            if start == end and host_start != host_end:
                published = f"{host_start}-{host_end}"
        ports.append(PortSpec(start + offset, published, ip or None, proto.lower()))
    return ports


def go_path_clean(path: str) -> str:
    """Go's ``path.Clean``: like ``posixpath.normpath`` but ``//x`` becomes ``/x``."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _is_windows_drive(buffer: str, char: str) -> bool:
    return char == ":" and len(buffer) == 1 and buffer.isalpha()


def is_host_path(source: str) -> bool:
    """A volume source that names a host path (bind mount) rather than a named volume."""
    if not source:
        return False
    if source[0] in "./~" or source.startswith("\\\\"):
        return True
    return len(source) > 1 and _is_windows_drive(source[0], source[1])


@dataclass(frozen=True)
class VolumeSpec:
    type: str
    source: str | None
    target: str
    read_only: bool
    ignored_options: tuple[str, ...]


_VOLUME_OPTIONS = {
    "ro",
    "rw",
    "nocopy",
    "rprivate",
    "private",
    "rshared",
    "shared",
    "rslave",
    "slave",
    "z",
    "Z",
}


def parse_volume(spec: str) -> VolumeSpec:
    """``[source:]target[:options]``; a source that is a path makes a bind mount."""
    if not spec:
        raise ValueError("empty volume")
    if len(spec) <= 2:
        return VolumeSpec("volume", None, spec, False, ())
    fields: list[str] = []
    buffer = ""
    for char in [*spec, ""]:
        if _is_windows_drive(buffer, char):
            buffer += char
        elif char in (":", ""):
            if not buffer:
                raise ValueError(f"empty section between colons in volume {spec!r}")
            if len(fields) == 3 or (len(fields) == 2 and char == ":"):
                raise ValueError(f"too many colons in volume {spec!r}")
            fields.append(buffer)
            buffer = ""
        else:
            buffer += char
    if len(fields) == 1:
        return VolumeSpec("volume", None, go_path_clean(fields[0]), False, ())
    source, target = fields[0], fields[1]
    read_only = False
    ignored: list[str] = []
    for option in fields[2].split(",") if len(fields) == 3 else []:
        if option == "ro":
            read_only = True
        elif option == "rw":
            read_only = False
        elif option not in _VOLUME_OPTIONS:
            ignored.append(option)
    kind = "bind" if is_host_path(source) else "volume"
    return VolumeSpec(kind, source, go_path_clean(target), read_only, tuple(ignored))


def parse_extra_host(entry: str) -> list[tuple[str, str]]:
    """``host=ip`` or ``host:ip`` (several IPs comma-separated) as (host, ip) pairs."""
    for separator in ("=", ":"):
        host, found, ips = entry.partition(separator)
        if found:
            return [(host, _strip_brackets(ip)) for ip in ips.split(",")]
    raise ValueError(f"extra host {entry!r} has no IP address (write host:ip)")


def _strip_brackets(ip: str) -> str:
    return ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip


def normalise_project_name(name: str) -> str:
    """Compose's project name rule: lower case letters, digits, ``-`` and ``_``."""
    lowered = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return lowered.lstrip("-_")
