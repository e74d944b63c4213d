"""A container's readiness, liveness and startup probes from its compose healthcheck (pure).

The rules (``core.manifests.compiler`` lists them with the others):

- **Readiness is the healthcheck.** ``CMD`` runs as exec with its arguments, ``CMD-SHELL``
  through ``sh -c``; ``interval``/``timeout``/``retries`` -> ``periodSeconds``/``timeoutSeconds``/
  ``failureThreshold``.
- **An HTTP check of localhost becomes ``httpGet``**: ``curl --fail URL`` (``-f``, with any of
  ``-s -S -L -k -o FILE -m N``...) and ``wget URL`` (``-q``, ``-O-``, ``--spider``, ``-T N``...),
  in the ``CMD`` or ``CMD-SHELL`` form, optionally ending in ``|| exit 1``, where the URL's host is
  ``localhost``, ``127.0.0.1``, ``0.0.0.0`` or ``::1``. The kubelet makes the request itself: the
  image needs no curl, and no process is started per check. ``curl`` without ``--fail`` succeeds
  on an HTTP error and stays an exec probe (``httpGet`` would be stricter). A URL with a shell
  variable or a secret value stays exec too.
- **Liveness must not fail when a dependency is down** (a readiness check often asks the
  database): it is a ``tcpSocket`` check of the main (first TCP) port; with no TCP port, the
  healthcheck with a failure window of at least ten minutes and ten times its ``retries``.
  ``x-ushadow.<service>.liveness`` overrides: ``tcp``, ``healthcheck``, ``none`` or
  ``{path, port}`` (httpGet). ``CompileOptions.liveness=False`` gives none.
- ``start_period`` becomes a **startupProbe** (the readiness check every ``start_interval``,
  allowed to fail for the whole start period) rather than ``initialDelaySeconds``.
- ``NONE``/``disable`` gives no probes; no healthcheck but TCP ports gives a ``tcpSocket``
  readiness probe on the first TCP port, and a ``tcpSocket`` liveness probe of it with the
  ten-minute failure window (there is no startup probe to cover a slow start): a process that
  stops listening for that long is restarted, one that starts slowly is not.
"""

from __future__ import annotations

import copy
import math
import re
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from core.compose.model import Healthcheck
from core.manifests.volumes import Report
from core.secrets.secretrefs import Refs, exec_probe

Manifest = dict[str, Any]

# compose healthcheck defaults (compose specification)
HC_INTERVAL, HC_TIMEOUT, HC_RETRIES, HC_START_INTERVAL = 30.0, 30.0, 3, 5.0
TCP_PROBE = {"periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}
LIVENESS_WINDOW = 600  # seconds a healthcheck-based liveness probe may fail before a restart
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1"})
_CURL_FLAGS = frozenset("fsSLkIq")
_CURL_VALUED = frozenset({"-o", "--output", "-m", "--max-time", "--connect-timeout", "--retry", "-w"})
_CURL_LONG = frozenset({"--fail", "--silent", "--show-error", "--location", "--insecure", "--head"})
_WGET_FLAGS = frozenset({"-q", "--quiet", "--spider", "-nv", "--no-verbose", "-O-", "-qO-", "-qO", "-S"})
_WGET_VALUED = frozenset({"-O", "--output-document", "-T", "--timeout", "-t", "--tries", "-qO"})
_FAILS = (["||", "exit", "1"], ["||", "false"], ["||", "exit", "1;"])


def probe_command(
    hc: Healthcheck, refs: Refs | None = None, used: set[str] | None = None
) -> list[str] | None:
    """The exec command of a healthcheck: ``CMD`` as is, ``CMD-SHELL`` (or a bare string) via ``sh -c``.

    Secret values (``refs``: value -> the container variable holding it) are read from the
    environment through the shell instead (``core.secrets.secretrefs.exec_probe``); their variables are
    added to ``used``.
    """
    if not hc.test:
        return None
    head, rest = hc.test[0].upper(), [str(a) for a in hc.test[1:]]
    if head == "CMD":
        command = rest or None
    else:
        script = " ".join(rest if head == "CMD-SHELL" else hc.test).strip()
        command = ["sh", "-c", script] if script else None
    if command is None or not refs:
        return command
    return exec_probe(command, refs, used if used is not None else set())


def http_get(command: list[str], refs: Refs | None = None) -> Manifest | None:
    """The ``httpGet`` action equal to a ``curl --fail``/``wget`` check of a localhost URL, else None."""
    words = command
    if len(command) == 3 and command[0] in ("sh", "/bin/sh") and command[1] == "-c":
        try:
            words = shlex.split(command[2])
        except ValueError:
            return None
    for tail in _FAILS:
        if words[-len(tail) :] == tail:
            words = words[: -len(tail)]
    if not words or words[0].rsplit("/", 1)[-1] not in ("curl", "wget"):
        return None
    url = _url(words[1:], curl=words[0].endswith("curl"))
    if url is None or "$" in url or any(value and value in url for value in refs or {}):
        return None
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS or parts.username or parts.password:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    action: Manifest = {"path": path, "port": port}
    if parts.scheme == "https":
        action["scheme"] = "HTTPS"
    return action


def _url(args: list[str], *, curl: bool) -> str | None:
    """The one http(s) URL of a curl/wget argument list whose options change nothing but output."""
    urls: list[str] = []
    failing = not curl  # wget fails on an HTTP error by itself
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif re.match(r"^https?://", arg):
            urls.append(arg)
        elif (curl and arg in _CURL_VALUED) or (not curl and arg in _WGET_VALUED):
            skip = True
        elif curl and arg in _CURL_LONG:
            failing = failing or arg == "--fail"
        elif curl and re.fullmatch(r"-[fsSLkIq]+", arg) and set(arg[1:]) <= _CURL_FLAGS:
            failing = failing or "f" in arg
        elif not curl and (arg in _WGET_FLAGS or re.fullmatch(r"(-T|--timeout=|--tries=|-t)\d+", arg)):
            continue
        else:
            return None
    return urls[0] if failing and len(urls) == 1 else None


def _seconds(value: float | None, default: float) -> int:
    """Whole seconds, at least 1; ``0`` means the default, as it does to Docker."""
    return max(1, math.ceil(value or default))


def probes(
    hc: Healthcheck | None,
    ports: list[Manifest],
    *,
    liveness: bool,
    report: Report,
    refs: Refs | None = None,
    used: set[str] | None = None,
    override: str | Mapping[str, Any] | None = None,
) -> Manifest:
    """readiness/liveness/startup probes for the container (see the module docstring); ``refs`` and
    ``used`` as for :func:`probe_command`; ``override`` is ``x-ushadow``'s ``liveness``."""
    tcp = [p["containerPort"] for p in ports if p["protocol"] == "TCP"]
    if hc is not None and (hc.disable or (hc.test and hc.test[0].upper() == "NONE")):
        return _only_override(override, tcp, liveness, report)
    plain = probe_command(hc) if hc is not None else None
    command = probe_command(hc, refs, used) if hc is not None else None
    if hc is not None and command is None:
        if hc.test:
            report.warnings.append(f"healthcheck test {hc.test!r} has no command and was skipped")
        else:
            report.notes.append("healthcheck has no test (the image's own HEALTHCHECK is unknown here)")
    if hc is None or command is None or plain is None:
        ready = {"readinessProbe": {"tcpSocket": {"port": tcp[0]}, **TCP_PROBE}} if tcp else {}
        if liveness and override is None and tcp:  # patient: no startup probe covers a slow start
            window = math.ceil(LIVENESS_WINDOW / TCP_PROBE["periodSeconds"])
            patient: Manifest = {"tcpSocket": {"port": tcp[0]}, **TCP_PROBE, "failureThreshold": window}
            return {**ready, "livenessProbe": patient}
        return {**ready, **_only_override(override, tcp, liveness, report)}
    period = _seconds(hc.interval, HC_INTERVAL)
    http = http_get(plain, refs)
    action: Manifest = {"httpGet": http} if http else {"exec": {"command": command}}
    if http:
        report.notes.append(
            f"the healthcheck's HTTP request is an httpGet probe of {http['path']} on {http['port']}"
        )
    base: Manifest = {
        **action,
        "periodSeconds": period,
        "timeoutSeconds": _seconds(hc.timeout, HC_TIMEOUT),
        "failureThreshold": hc.retries or HC_RETRIES,  # 0 means the default, as it does to Docker
    }
    out: Manifest = {"readinessProbe": copy.deepcopy(base)}
    alive = _liveness(base, tcp, override, report) if liveness else None
    if alive:
        out["livenessProbe"] = alive
    if hc.start_period:
        every = _seconds(hc.start_interval, min(HC_START_INTERVAL, period))
        out["startupProbe"] = {
            **copy.deepcopy(base),
            "periodSeconds": every,
            "failureThreshold": math.ceil(hc.start_period / every) + base["failureThreshold"],
        }
    return out


def _only_override(
    override: str | Mapping[str, Any] | None, tcp: list[int], liveness: bool, report: Report
) -> Manifest:
    """Without a usable healthcheck there is a liveness probe only when ``x-ushadow`` asks for one."""
    if not liveness or override in (None, "none", "healthcheck"):
        if override == "healthcheck":
            report.warnings.append("x-ushadow liveness: healthcheck, but the service has none: no liveness")
        return {}
    alive = _liveness({}, tcp, override, report)
    return {"livenessProbe": alive} if alive else {}


def _liveness(
    base: Manifest, tcp: list[int], override: str | Mapping[str, Any] | None, report: Report
) -> Manifest | None:
    if override == "none":
        return None
    if isinstance(override, Mapping):
        get = {"path": str(override["path"]), "port": int(override.get("port") or (tcp[0] if tcp else 80))}
        return {"httpGet": get, **TCP_PROBE}
    if override == "tcp" or (override is None and tcp):
        if not tcp:
            report.warnings.append("x-ushadow liveness: tcp, but the service has no TCP port: no liveness")
            return None
        period = base.get("periodSeconds", TCP_PROBE["periodSeconds"])
        return {"tcpSocket": {"port": tcp[0]}, **TCP_PROBE, "periodSeconds": period}
    period = base["periodSeconds"]
    threshold = max(10 * base["failureThreshold"], math.ceil(LIVENESS_WINDOW / period))
    return {**copy.deepcopy(base), "failureThreshold": threshold}
