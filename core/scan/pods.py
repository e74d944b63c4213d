"""The pods behind a Service: found by selector without scanning every pod, and the images they run
with the container ports declared for each (pure, over the API server's JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Json = Mapping[str, Any]


class PodIndex:
    """Pods by namespace and label, so that a selector is resolved without scanning every pod."""

    def __init__(self, pods: Sequence[Json]) -> None:
        self._pods = list(pods)
        self._by_label: dict[tuple[str, str, str], set[int]] = {}
        for i, pod in enumerate(self._pods):
            meta = pod.get("metadata") or {}
            ns = meta.get("namespace", "")
            for key, value in (meta.get("labels") or {}).items():
                self._by_label.setdefault((ns, key, value), set()).add(i)

    def selected(self, namespace: str, selector: Mapping[str, str] | None) -> list[Json]:
        """Pods of ``namespace`` whose labels include every pair of ``selector`` (none if empty)."""
        if not selector:
            return []
        found: set[int] | None = None
        for key, value in selector.items():
            hits = self._by_label.get((namespace, key, value), set())
            found = set(hits) if found is None else found & hits
            if not found:
                return []
        return [self._pods[i] for i in sorted(found or ())]


@dataclass(frozen=True)
class PodImage:
    """One image of the selected pods, with the container ports declared for it (numbers and names)."""

    image: str
    numbers: frozenset[int]
    names: frozenset[str]


def pod_images(pods: Sequence[Json]) -> list[PodImage]:
    """Every image of the pods' containers, once, with its declared container ports."""
    seen: dict[str, tuple[set[int], set[str]]] = {}
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or ():
            image = container.get("image")
            if not image:
                continue
            numbers, names = seen.setdefault(image, (set(), set()))
            for p in container.get("ports") or ():
                if isinstance(p.get("containerPort"), int):
                    numbers.add(p["containerPort"])
                if p.get("name"):
                    names.add(str(p["name"]))
    return [PodImage(image, frozenset(n), frozenset(m)) for image, (n, m) in seen.items()]
