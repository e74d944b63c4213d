"""What a compose file's ``x-ushadow`` block asks of the compiler, beyond compose itself (pure).

Per service (``x-ushadow: {<service>: {...}}``):

- ``controller``: ``deployment``, ``statefulset``, ``job`` or ``cronjob``;
- ``schedule``: a cron schedule (``"0 3 * * *"``): the service runs as a CronJob;
- ``backoff_limit``: retries of a Job (default: the ``on-failure:N`` count, else 6);
- ``liveness``: ``tcp`` (the main port), ``healthcheck`` (the healthcheck, far larger failure
  threshold), ``none``, or ``{path: /healthz, port: 8080}`` (an httpGet probe);
- ``host_paths``: host paths (or ``true`` for all) to mount with ``hostPath`` although they only
  make sense on a Docker host (the Docker socket, ``/dev/...``);
- ``resources``: ``{cpu: 100m, memory: 128Mi}``, requests when compose gives none;
- ``session_affinity``: ``ClientIP`` (or ``None``): the Service keeps each client on one pod
  (a Streamlit session lives in the replica that holds its websocket).
- ``node``: a label value (``real``): the pod runs on nodes labelled and tainted
  ``ushadow.io/node=<value>`` (a nodeSelector and a toleration; the local cluster's real node is
  ``real``).

Per file: ``volumes`` (``{<volume>: {size: 20Gi, access_mode: ReadWriteMany}}``) and ``resources``
(the requests default of every service of the file). A named volume's compose ``driver_opts``
``size`` and ``storage_class`` say the same (``core.manifests.claims``); ``x-ushadow`` wins where
both are given. This module is the compiler's only reader of ``x-ushadow`` (a test holds it to
that): ``SERVICE_KEYS`` and ``FILE_KEYS`` list what it reads. The registry reads the descriptive
keys (``display_name``, ``infra``, ``namespace``, ...), which are not compiler settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.compose.model import ComposeProject, UshadowMeta
from core.errors import InvalidInput
from core.naming import is_label_value

SERVICE_KEYS = (
    "controller",
    "schedule",
    "backoff_limit",
    "liveness",
    "host_paths",
    "resources",
    "node",
    "session_affinity",
)
FILE_KEYS = ("volumes", "resources")
CONTROLLERS = ("deployment", "statefulset", "job", "cronjob")
SESSION_AFFINITIES = ("ClientIP", "None")
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod")


@dataclass(frozen=True)
class VolumeKnobs:
    size: str | None = None
    access_mode: str | None = None


@dataclass(frozen=True)
class Knobs:
    controller: str | None = None
    schedule: str | None = None
    backoff_limit: int | None = None
    liveness: str | Mapping[str, Any] | None = None
    host_paths: frozenset[str] | bool = frozenset()
    resources: Mapping[str, str] = field(default_factory=dict)
    volumes: Mapping[str, VolumeKnobs] = field(default_factory=dict)
    session_affinity: str | None = None
    node: str | None = None

    def allows_host_path(self, path: str) -> bool:
        return self.host_paths is True or (
            isinstance(self.host_paths, frozenset) and path.rstrip("/") in self.host_paths
        )


def _extra(meta: UshadowMeta | None) -> dict[str, Any]:
    return dict(meta.other_keys) if meta is not None else {}


def _http_liveness(value: dict[str, Any], where: str) -> dict[str, Any]:
    """``{path: /healthz, port: 8080}`` checked (the port defaults to the service's first). The
    messages never quote a value: interpolation may have put a secret there."""
    unknown = sorted(str(k) for k in value if k not in ("path", "port"))
    if unknown:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(unknown)} (it takes path and port)")
    path, port = value["path"], value.get("port")
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidInput(f"{where}.path: expected a path starting with /, like /healthz")
    if port is None:
        return {"path": path}
    number = port if isinstance(port, int) and not isinstance(port, bool) else None
    if isinstance(port, str) and port.isdigit():
        number = int(port)
    if number is None or not 0 < number <= 65535:
        raise InvalidInput(f"{where}.port: expected a port number from 1 to 65535")
    return {"path": path, "port": number}


def knobs_for(project: ComposeProject | None, service: str) -> Knobs:
    """The ``x-ushadow`` settings for ``service`` (file-level ones merged in); bad ones raise ``InvalidInput``."""
    if project is None:
        return Knobs()
    own = _extra(project.service_meta.get(service))
    top = _extra(project.meta)
    where = f"x-ushadow.{service}"
    controller = own.get("controller")
    if controller is not None and str(controller).lower() not in CONTROLLERS:
        raise InvalidInput(
            f"{where}.controller: expected one of {', '.join(CONTROLLERS)}, not {controller!r}"
        )
    backoff = own.get("backoff_limit")
    if backoff is not None and (not isinstance(backoff, int) or backoff < 0):
        raise InvalidInput(f"{where}.backoff_limit: expected a whole number, not {backoff!r}")
    liveness = own.get("liveness")
    if isinstance(liveness, dict) and "path" in liveness:
        liveness = _http_liveness(liveness, f"{where}.liveness")
    elif liveness is not None and liveness not in ("tcp", "healthcheck", "none"):
        raise InvalidInput(
            f"{where}.liveness: expected tcp, healthcheck, none or {{path: /healthz, port: 8080}}",
        )
    paths = own.get("host_paths", [])
    host_paths: frozenset[str] | bool
    if paths is True:
        host_paths = True
    elif isinstance(paths, list) and all(isinstance(p, str) for p in paths):
        host_paths = frozenset(p.rstrip("/") for p in paths)
    else:
        raise InvalidInput(f"{where}.host_paths: expected a list of host paths, or true")
    schedule = own.get("schedule")
    if schedule is not None and (not isinstance(schedule, str) or len(schedule.split()) not in (1, 5, 6)):
        raise InvalidInput(f"{where}.schedule: expected a cron schedule such as '0 3 * * *'")
    affinity = own.get("session_affinity")
    if affinity is not None and affinity not in SESSION_AFFINITIES:
        raise InvalidInput(f"{where}.session_affinity: expected ClientIP or None, not {affinity!r}")
    return Knobs(
        node=_node(own.get("node"), service),
        controller=str(controller).lower() if controller is not None else None,
        schedule=schedule,
        backoff_limit=backoff,
        liveness=liveness,
        host_paths=host_paths,
        resources=_resources(own.get("resources", top.get("resources")), where),
        volumes=_volumes(top.get("volumes"), "x-ushadow.volumes"),
        session_affinity=affinity,
    )


def _node(value: Any, service: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not isinstance(value, str | int) or isinstance(value, bool) or not text or not is_label_value(text):
        raise InvalidInput(
            f"x-ushadow node of {service} must be a label value such as real, not {value!r}",
            hint="write x-ushadow: {node: real} to run it on the local cluster's real node",
        )
    return text


def _resources(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not set(value) <= {"cpu", "memory"}:
        raise InvalidInput(f"{where}.resources: expected {{cpu: 100m, memory: 128Mi}}")
    return {k: str(v) for k, v in value.items()}


def _volumes(value: Any, where: str) -> dict[str, VolumeKnobs]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: expected {{<volume>: {{size: 20Gi, access_mode: ReadWriteOnce}}}}")
    out: dict[str, VolumeKnobs] = {}
    for name, item in value.items():
        if not isinstance(item, dict) or not set(item) <= {"size", "access_mode"}:
            raise InvalidInput(f"{where}.{name}: expected size and/or access_mode")
        mode = item.get("access_mode")
        if mode is not None and mode not in ACCESS_MODES:
            raise InvalidInput(f"{where}.{name}.access_mode: expected one of {', '.join(ACCESS_MODES)}")
        size = item.get("size")
        out[str(name)] = VolumeKnobs(size=None if size is None else str(size), access_mode=mode)
    return out
