"""A compiled service's one container: its image, command line, environment, probes (pure, used by ``manifests``).

The pieces come from ``core.manifests.environments`` (ConfigMap/Secret and ``envFrom``/``env``),
``core.manifests.probes``, ``core.manifests.securitycontexts``, ``core.manifests.podspecs`` (resources) and ``core.secrets.secretrefs`` (``$`` escaped as
``$$``, secret values read as ``$(VAR)``); this module puts them together in one container.
"""

from __future__ import annotations

from typing import Any

from core.compose.model import ServiceSpec
from core.errors import NotConvertible
from core.manifests.environments import EnvPlan
from core.manifests.knobs import Knobs
from core.manifests.podspecs import resources
from core.manifests.probes import probes
from core.manifests.securitycontexts import pull_policy, security_context
from core.manifests.volumes import Report
from core.naming import dns_label
from core.secrets.secretrefs import k8s_arg

Manifest = dict[str, Any]


def container_image(spec: ServiceSpec, *, override: str | None, sid: str, report: Report) -> str:
    """The image to run: the override, else ``image:``. Raises ``NotConvertible`` when there is none
    (a cluster pulls images, it cannot build them)."""
    if override:
        return str(override)
    if spec.image and spec.image.strip():
        if spec.build is not None:
            report.notes.append(
                f"compose builds the image {spec.image!r} from source (`build:`): "
                "push it to a registry the cluster can pull from"
            )
        return spec.image.strip()
    if spec.build is not None:
        raise NotConvertible(
            f"{sid}: has `build:` but no `image:`, and a cluster can only pull images",
            hint="build and push the image, then set `image:` in the compose file",
        )
    raise NotConvertible(
        f"{sid}: has no `image:` (is it a partial file meant to be merged with another?)",
        hint="give the service an `image:`",
    )


def container(
    spec: ServiceSpec,
    *,
    image: str,
    ports: list[Manifest],
    env: EnvPlan,
    mounts: list[Manifest],
    liveness: bool,
    report: Report,
    knobs: Knobs | None = None,
) -> tuple[Manifest, list[Manifest]]:
    """The container, and the ConfigMap/Secret its environment is loaded from.

    The environment's objects are made after the command line and probes, which decide the
    secret values they read from the Secret (``env.in_args``/``env.in_probes``).
    """
    knobs = knobs or Knobs()
    out: Manifest = {"name": dns_label(spec.name), "image": image}
    policy = pull_policy(spec, report)
    if policy:
        out["imagePullPolicy"] = policy
    if spec.entrypoint == []:
        # ``entrypoint: []`` clears the image's ENTRYPOINT: the command runs on its own. An empty
        # ``command`` means "the image's" to Kubernetes, so the command becomes the command.
        if spec.command:
            out["command"] = [k8s_arg(a, env.refs, env.in_args) for a in spec.command]
        else:
            report.warnings.append(
                "entrypoint: [] with no command: Kubernetes cannot run the image's CMD without its "
                "ENTRYPOINT, so the image's ENTRYPOINT still runs; give the command in compose"
            )
    else:
        if spec.entrypoint is not None:
            out["command"] = [k8s_arg(a, env.refs, env.in_args) for a in spec.entrypoint]
        if spec.command is not None:
            out["args"] = [k8s_arg(a, env.refs, env.in_args) for a in spec.command]
    if spec.working_dir:
        out["workingDir"] = spec.working_dir
    if ports:
        out["ports"] = ports
    probe_fields = probes(
        spec.healthcheck,
        ports,
        liveness=liveness,
        report=report,
        refs=env.refs,
        used=env.in_probes,
        override=knobs.liveness,
    )
    env_objects, env_from, env_list = env.objects()
    if env_from:
        out["envFrom"] = env_from
    if env_list:
        out["env"] = env_list
    if mounts:
        out["volumeMounts"] = mounts
    limits = resources(spec.resources, report, knobs.resources)
    if limits:
        out["resources"] = limits
    out.update(probe_fields)
    out["securityContext"] = security_context(spec, report)
    if spec.stdin_open:
        out["stdin"] = True
    if spec.tty:
        out["tty"] = True
    return out, env_objects
