"""The checks compose-go makes across a whole project, once every service is built.

Every service needs an image or a build context, and may only refer to services, networks,
volumes, secrets and configs the file declares (a dependency on a service that no active profile
enables counts as missing when it is required); ``depends_on`` must not go round in a cycle.
Strict loading raises on the first problem; lenient loading puts it on the service's warnings
(a cycle on the project's).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.compose.model import ServiceSpec
from core.compose.reading import Loader


def check_consistency(
    loader: Loader, specs: dict[str, ServiceSpec], everything: set[str], top: dict[str, Any]
) -> None:
    """What compose-go's consistency check rejects: strict raises, lenient warns on the service."""
    for name, spec in specs.items():
        where = f"services.{name}"
        found: list[str] = []
        if spec.image is None and spec.build is None:
            found.append("has neither an image nor a build context")
        found += [
            f"refers to undefined network {n}"
            for n in spec.networks
            if n != "default" and n not in top["networks"]
        ]
        for dep in spec.depends_on:
            if dep.service not in everything:
                found.append(f"depends on undefined service {dep.service}")
            elif dep.service not in specs and dep.required:
                found.append(f"depends on {dep.service}, which no active profile enables")
        found += [
            f"refers to undefined volume {v.source}"
            for v in spec.volumes
            if v.type == "volume" and v.source and v.source not in top["volumes"]
        ]
        for kind in ("secrets", "configs"):
            found += [
                f"refers to undefined {kind[:-1]} {r.source}"
                for r in getattr(spec, kind)
                if r.source not in top[kind]
            ]
        extra: list[str] = []
        for message in found:
            loader.problem(where, message, extra)
        if extra:
            specs[name] = replace(spec, warnings=[*spec.warnings, *extra])
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in specs:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            loader.problem("services", f"depends_on cycle: {cycle}", loader.warnings)
            return
        visiting.append(name)
        for dep in specs[name].depends_on:
            visit(dep.service)
        visiting.pop()
        done.add(name)

    for name in specs:
        visit(name)
