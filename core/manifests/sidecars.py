"""``network_mode: service:X``: the service is a second container of X's pod (pure).

Compose runs such a service in X's network namespace: it reaches X on ``localhost`` and X's peers
reach it through X's name. The same on Kubernetes is a second container of X's pod (a *rider*):

- X's compiled service carries one container per rider, with the rider's own image, command,
  environment (its ConfigMap/Secret ``<rider>-config``/``-secrets``), probes, securityContext and
  volumes; the rider's ports are published through X's Service;
- the rider has no workload, Service or NetworkPolicy of its own: compiling it alone is
  ``NotConvertible`` with the hint to deploy X (``deploy`` of it refuses the same way), and in a
  project or bundle it is listed as carried by X;
- a warning of X says which riders it carries, and that they share the pod's lifecycle (scaling,
  restarts, the controller X gets);
- ``network_mode: service:X`` naming a service the file does not define is a warning and the
  service gets its own pod (reach X by its name, not localhost).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.compose.model import ComposeProject, ServiceSpec
from core.errors import NotConvertible
from core.manifests.compilations import kube_name
from core.manifests.containers import container, container_image
from core.manifests.environments import EnvPlan
from core.manifests.knobs import knobs_for
from core.manifests.volumes import Report, VolumePlan

Manifest = dict[str, Any]
PREFIX = "service:"


def host_of(spec: ServiceSpec) -> str | None:
    """The service whose network namespace ``spec`` joins, if any."""
    mode = spec.network_mode or ""
    return mode.removeprefix(PREFIX) if mode.startswith(PREFIX) else None


def riders_of(project: ComposeProject | None, host: str) -> list[ServiceSpec]:
    """The services of ``project`` that run in ``host``'s pod, in file order."""
    if project is None:
        return []
    return [s for s in project.services.values() if s.name != host and host_of(s) == host]


def refuse_alone(spec: ServiceSpec, project: ComposeProject | None, sid: str) -> None:
    """Raise ``NotConvertible`` when ``spec`` rides in another service's pod of ``project``."""
    host = host_of(spec)
    if host is None or project is None or host not in project.services or host == spec.name:
        return
    raise NotConvertible(
        f"{sid}: runs in the pod of {host} (network_mode: service:{host}), as a second container "
        f"that reaches {host} on localhost; it has no workload of its own",
        hint=f"deploy {sid.rsplit(':', 1)[0]}:{host}, which carries {spec.name}",
    )


class Riders:
    """The riders of one host service: their mounts (added to the host's ``VolumePlan`` before the
    host's own), then their containers and environment objects."""

    def __init__(self, project: ComposeProject | None, host: ServiceSpec, report: Report) -> None:
        self.project = project
        self.specs = riders_of(project, host.name)
        self.report = report
        self.mounts: dict[str, list[Manifest]] = {}
        if self.specs:
            names = ", ".join(s.name for s in self.specs)
            report.warnings.append(
                f"{names} (network_mode: service:{host.name}) run as containers of this pod: they reach "
                f"{host.name} on localhost and share its lifecycle (replicas, restarts, controller); "
                "their ports are published through this Service"
            )

    @property
    def ports(self) -> list[Any]:
        return [p for s in self.specs for p in s.ports]

    def add_volumes(self, plan: VolumePlan, kind: str) -> None:
        for spec in self.specs:
            self.mounts[spec.name] = list(plan.add_service(spec, kind, rider=True))

    def containers(
        self,
        ports: list[Manifest],
        *,
        meta: Callable[[str], Manifest],
        liveness: bool,
    ) -> tuple[list[Manifest], list[Manifest]]:
        """The riders' containers (each with its declared ones of ``ports``) and their env objects."""
        out: list[Manifest] = []
        objects: list[Manifest] = []
        for spec in self.specs:
            own = {(p.target, p.protocol.upper()) for p in spec.ports}
            name = kube_name(spec.name)
            image = container_image(spec, override=None, sid=spec.name, report=self.report)
            env = EnvPlan(spec, name=name, meta=meta, report=self.report)
            made, env_objects = container(
                spec,
                image=image,
                ports=[p for p in ports if (p["containerPort"], p["protocol"]) in own],
                env=env,
                mounts=self.mounts.get(spec.name, []),
                liveness=liveness,
                report=self.report,
                knobs=knobs_for(self.project, spec.name),
            )
            out.append(made)
            objects += env_objects
        return out, objects
