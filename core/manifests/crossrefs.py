"""Services of several namespaces in one bundle: who runs, and how they find each other (pure).

- **Profiles**, as compose: a service with ``profiles`` runs only when one of them is active
  (``--profile``, repeatable; ``*`` activates all); a service without one always runs. So the
  alternatives a file selects by profile (a cpu and a gpu variant of one service) are never both
  emitted unless both are asked for.
- **Cross-namespace references**: a short name (``mongo``) resolves only inside its own namespace.
  A value of a service's ConfigMap whose variable names an address (``HOST``, ``URL``, ``URI``,
  ``ADDR``, ``SERVER``, ``ENDPOINT``, ``DSN`` in its name) and whose host is a service that lives in
  *another* namespace of the bundle (and not in this one) is rewritten to
  ``mongo.ushadow.svc.cluster.local``: the whole value (``MONGODB_HOST=mongo``), a URL's host
  (``mongodb://mongo:27017/db``) or ``host:port``. ``NEO4J_USERNAME=neo4j`` is not an address and
  stays. Each rewrite is a note of that service.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from core.manifests.compilations import CompiledService

_ADDRESS_KEY = re.compile(r"HOST|URL|URI|ADDR|SERVER|ENDPOINT|DSN", re.IGNORECASE)
_HOST = re.compile(
    r"(?P<pre>^|://(?:[^@/\s]*@)?)(?P<host>[a-z0-9]([-a-z0-9]*[a-z0-9])?)(?P<post>(?::\d+)?(?:[/?#]|$))"
)


def active(service_profiles: Iterable[str], profiles: Iterable[str] | None) -> bool:
    """Whether a service with ``service_profiles`` runs when ``profiles`` are active (compose's rule)."""
    wanted = set(profiles or ())
    own = set(service_profiles)
    return not own or "*" in wanted or bool(own & wanted)


def qualify(items: list[CompiledService]) -> list[CompiledService]:
    """``items`` with ConfigMap values naming a service of another namespace made fully qualified."""
    homes: dict[str, set[str]] = {}
    for item in items:
        homes.setdefault(item.name, set()).add(item.namespace)
    return [_qualified(item, homes) for item in items]


def _qualified(item: CompiledService, homes: Mapping[str, set[str]]) -> CompiledService:
    notes: list[str] = []

    def fix(value: str) -> str:
        def swap(match: re.Match[str]) -> str:
            host = match.group("host")
            where = homes.get(host, set())
            if not where or item.namespace in where or len(where) != 1:
                return match.group(0)
            full = f"{host}.{next(iter(where))}.svc.cluster.local"
            notes.append(f"{host} lives in namespace {next(iter(where))}: referred to as {full}")
            return f"{match.group('pre')}{full}{match.group('post')}"

        return _HOST.sub(swap, value, count=1)

    objects = []
    for obj in item.objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == f"{item.name}-config":
            obj = copy.deepcopy(obj)
            obj["data"] = {k: fix(v) if _ADDRESS_KEY.search(k) else v for k, v in obj.get("data", {}).items()}
        objects.append(obj)
    if not notes:
        return item
    return replace(item, objects=objects, notes=[*item.notes, *dict.fromkeys(notes)])
