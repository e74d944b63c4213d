"""Compose service -> Kubernetes manifests: pure functions returning plain dicts, no I/O.

``compile_service`` turns one normalised compose service (``core.compose.model.ServiceSpec``)
into the objects that run it, in apply order: ConfigMap ``<name>-config`` and Secret
``<name>-secrets`` (only when non-empty, attached with ``envFrom``), PersistentVolumeClaims,
Services, then the Deployment or StatefulSet. Whatever compose says that Kubernetes cannot do is
a *warning* in the result, never dropped silently; informational differences are *notes*.

Choices (kompose makes other ones; these are ours, and why):

- **Service ports are the container ports.** Peers in a compose network reach ``service:8080``
  (the container port), never the host port of ``8081:8080``; in-cluster URLs keep working. Host
  ports are reported as a note (expose them with an Ingress, NodePort or LoadBalancer).
- **Probes come from the healthcheck.** ``CMD`` runs as exec with its arguments, ``CMD-SHELL``
  through ``sh -c`` (kompose runs it without a shell). The same check is the readiness *and*
  liveness probe (``interval``/``timeout``/``retries`` -> ``periodSeconds``/``timeoutSeconds``/
  ``failureThreshold``). ``start_period`` becomes a **startupProbe** (the same check, every
  ``start_interval``, allowed to fail for the whole start period) rather than
  ``initialDelaySeconds``: a service that starts early becomes ready early, one that starts late
  is not killed. ``NONE``/``disable`` gives no probes; no healthcheck but TCP ports gives a
  ``tcpSocket`` readiness probe on the first TCP port (no liveness: a port check says too little
  to kill a container for).
- **Controller**: ``auto`` (default) makes a StatefulSet for a service with named volumes that no
  other service of its file shares (volumeClaimTemplates, a headless Service for stable pod DNS),
  and a Deployment otherwise (PVCs, strategy ``Recreate`` so a ReadWriteOnce claim is never wanted
  by two pods on two nodes). Per service via ``CompileOptions.controllers``.
- **Bind mounts** become ``emptyDir`` with a warning (never ``hostPath``: the node's files are
  not the developer's files); ``tmpfs`` becomes a memory ``emptyDir`` with its size limit.
- **A service with ``build:`` and no ``image:``** is ``NotConvertible`` (a cluster pulls images, it
  cannot build them), unless ``CompileOptions.images`` names an image for it.
- **depends_on** is a note; with ``wait_for_dependencies`` an init container waits for the first
  TCP port of each dependency (off by default: it pulls an extra image).
- ``$`` in command, args and env values is escaped as ``$$`` so Kubernetes' own ``$(VAR)``
  expansion leaves compose's already-interpolated strings alone.
- **Secret values stay in the Secret.** Besides the sensitive environment, the Secret
  ``<name>-secrets`` gets every secret value that the compose file interpolated into
  ``command``, ``entrypoint`` or the healthcheck (``ServiceSpec.secret_uses``; a value already in
  the environment is read from its variable): the command line reads it as ``$(VAR)``, a probe
  through ``sh -c`` as ``"${VAR}"``. A variable whose value holds a secret value
  (``REDIS_ARGS=--requirepass ${REDIS_PASSWORD}``) goes to the Secret whole. A secret
  interpolated anywhere else (labels, image, a config's ``content``) is a warning.
  ``core.environments`` and ``core.secretrefs`` say how and why; ``CompiledService.redacted()``
  hunts down whatever slipped through all the same (``core.sensitivity.conceal``).
- The pod template carries ``ushadow.io/env-hash`` (a digest of the ConfigMap and Secret content,
  as Helm's checksum annotations do), so an environment change rolls the pods and an identical
  apply changes nothing. ``enableServiceLinks`` is off (compose has no ``REDIS_PORT=tcp://...``
  variables, and they break images that read ``*_PORT``), and no service account token is mounted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

import yaml

from core.compose.model import ComposeProject, Port, ServiceSpec
from core.environments import EnvPlan
from core.errors import Conflict, InvalidInput, NotConvertible
from core.naming import (
    dns1035_label,
    dns_label,
    is_dns_label,
    is_label_value,
    is_qualified_name,
    label_value,
    qualified_name,
    short_hash,
    unique_port_names,
)
from core.podspecs import host_aliases, probes, resources, security_context
from core.secretrefs import k8s_arg
from core.sensitivity import conceal, distinctive, redact, scrub_text, secret_refs, secret_values
from core.volumes import Report, VolumePlan, VolumeSettings, claims_storage, shared_volumes

Manifest = dict[str, Any]
Controller = Literal["auto", "deployment", "statefulset"]

MANAGED_BY = "ushadow"
SERVICE_ID_ANNOTATION = "ushadow.io/service-id"
ENV_HASH_ANNOTATION = "ushadow.io/env-hash"
NAME_MAX = 52  # a StatefulSet's name + "-" + 10-character revision hash must fit a 63-char label value


# Every field of ServiceSpec that the compiler reads (a test keeps this equal to the model, so a
# new compose field cannot be dropped silently).
HANDLED_FIELDS = frozenset(
    {
        "name", "image", "build", "command", "entrypoint", "environment", "ports", "volumes",
        "healthcheck", "replicas", "resources", "restart", "user", "working_dir", "hostname", "labels",
        "depends_on", "cap_add", "cap_drop", "privileged", "read_only", "stdin_open", "tty",
        "extra_hosts", "stop_grace_period", "secrets", "configs", "profiles", "networks", "variables",
        "required_variables", "secret_variables", "secret_uses", "warnings",
    }
)  # fmt: skip


@dataclass(frozen=True)
class CompileOptions:
    """How to compile; per-service maps are keyed by service id (``file:service``) or name."""

    controller: Controller = "auto"
    controllers: Mapping[str, Controller] = field(default_factory=dict)
    images: Mapping[str, str] = field(default_factory=dict)
    volume_size: str = "1Gi"
    volume_sizes: Mapping[str, str] = field(default_factory=dict)  # by compose volume name
    storage_class: str | None = None
    persistence: Literal["pvc", "emptydir"] = "pvc"
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    liveness: bool = True
    service_account_token: bool = False  # compose containers never talk to the Kubernetes API
    wait_for_dependencies: bool = False
    wait_image: str = "busybox:1.37"
    part_of: str | None = None  # app.kubernetes.io/part-of; default: the compose project name


@dataclass(frozen=True)
class CompiledService:
    """The manifests of one service in apply order, with what could not be mapped.

    ``objects`` hold real Secret values (deploy needs them): show or save them only through
    ``redacted()`` / ``core.sensitivity.redact``. ``secret_references`` are the container
    variables that the command line or probes read a secret value from (``$(VAR)``).
    """

    service_id: str
    service: str
    name: str
    namespace: str
    kind: str
    objects: list[Manifest]
    warnings: list[str]
    notes: list[str]
    secret_references: list[str] = field(default_factory=list)
    # the distinctive secret values compose interpolated into the service or a config it mounts
    interpolated_secrets: frozenset[str] = frozenset()

    def redacted(self) -> list[Manifest]:
        """The objects with Secret values masked, and hunted down anywhere else (defence in depth)."""
        out = redact(self.objects)  # hunts the values of the Secrets
        if self.interpolated_secrets - secret_values({}, self.objects):  # a secret in a label, say
            out = conceal(out, self.hidden(), secret_refs(self.objects))
        return out

    def hidden(self) -> set[str]:
        """The distinctive secret values of this service (to scrub from any text about it)."""
        return secret_values({}, self.objects) | set(self.interpolated_secrets)

    def to_json(self) -> dict[str, Any]:
        hide = self.hidden()
        return {
            "service_id": self.service_id,
            "name": self.name,
            "namespace": self.namespace,
            "kind": self.kind,
            "objects": self.redacted(),
            "warnings": [scrub_text(w, hide) for w in self.warnings],
            "notes": [scrub_text(n, hide) for n in self.notes],
        }


@dataclass(frozen=True)
class ProjectCompilation:
    compiled: list[CompiledService]
    skipped: dict[str, str]  # service id -> why it is not convertible


def service_id(project: ComposeProject | None, service: str) -> str:
    """``<file-stem>:<service>``, the registry's id of a service."""
    if project is None:
        return service
    return f"{PurePath(project.path).stem}:{service}"


def kube_name(service: str) -> str:
    """The Kubernetes name of a compose service (also its in-cluster hostname)."""
    return dns1035_label(service, max_length=NAME_MAX)


def compile_service(
    spec: ServiceSpec,
    *,
    project: ComposeProject | None,
    namespace: str,
    options: CompileOptions | None = None,
    service_id: str | None = None,
) -> CompiledService:
    """Compile one service. Raises ``NotConvertible`` (no image) or ``InvalidInput`` (bad options).

    ``service_id`` is the registry's id when it differs from ``<file-stem>:<service>`` (two
    registry folders with files of the same name).
    """
    if not is_dns_label(namespace):
        raise InvalidInput(
            f"namespace {namespace!r} is not a valid Kubernetes name",
            hint="use lowercase letters, digits and '-', at most 63 characters",
        )
    return _Builder(spec, project, namespace, options or CompileOptions(), service_id).build()


def compile_project(
    project: ComposeProject,
    *,
    namespace: str,
    options: CompileOptions | None = None,
    services: Iterable[str] | None = None,
) -> ProjectCompilation:
    """Compile every (or the named) service of a project; unconvertible ones are listed, not raised."""
    compiled: list[CompiledService] = []
    skipped: dict[str, str] = {}
    names = list(services) if services is not None else list(project.services)
    for name in names:
        spec = project.services[name]
        try:
            compiled.append(compile_service(spec, project=project, namespace=namespace, options=options))
        except NotConvertible as exc:
            skipped[service_id(project, name)] = exc.message
    return ProjectCompilation(compiled, skipped)


# -- the builder --------------------------------------------------------------------------------


class _Builder:
    def __init__(
        self,
        spec: ServiceSpec,
        project: ComposeProject | None,
        namespace: str,
        options: CompileOptions,
        sid: str | None,
    ) -> None:
        self.spec = spec
        self.project = project
        self.namespace = namespace
        self.options = options
        self.sid = sid or service_id(project, spec.name)
        self.name = kube_name(spec.name)
        self.report = Report(warnings=list(spec.warnings))
        self.warnings = self.report.warnings
        self.notes = self.report.notes
        part_of = options.part_of or (project.name if project else None) or "ushadow"
        self.selector = {
            "app.kubernetes.io/name": label_value(spec.name),
            "app.kubernetes.io/instance": self.name,
        }
        self.labels = {
            **self.selector,
            "app.kubernetes.io/part-of": label_value(part_of),
            "app.kubernetes.io/managed-by": MANAGED_BY,
        }
        if self.name != spec.name:
            self.notes.append(
                f"the Kubernetes name is {self.name!r} (compose name {spec.name!r} is not a valid DNS "
                f"label): other services must reach it as {self.name!r}"
            )

    # -- per-service options ------------------------------------------------------------------

    def _option(self, mapping: Mapping[str, Any]) -> Any:
        return mapping.get(self.sid, mapping.get(self.spec.name))

    def meta(self, name: str, **extra: Any) -> Manifest:
        out: Manifest = {
            "name": name,
            "namespace": self.namespace,
            "labels": dict(self.labels),
            "annotations": {SERVICE_ID_ANNOTATION: self.sid},
        }
        out.update(extra)
        return out

    # -- top level ------------------------------------------------------------------------------

    def build(self) -> CompiledService:
        spec = self.spec
        image = self._image()
        kind = self._kind()
        env = EnvPlan(spec, name=self.name, meta=self.meta, report=self.report)
        container_ports, service_ports = self._ports()
        plan = VolumePlan(
            project=self.project,
            namespace=self.namespace,
            settings=self.volume_settings,
            meta=self.meta,
            selector=self.selector,
            report=self.report,
        )
        plan.add_service(spec, kind)
        container: Manifest = {"name": dns_label(spec.name), "image": image}
        if spec.entrypoint is not None:
            container["command"] = [k8s_arg(a, env.refs, env.in_args) for a in spec.entrypoint]
        if spec.command is not None:
            container["args"] = [k8s_arg(a, env.refs, env.in_args) for a in spec.command]
        if spec.working_dir:
            container["workingDir"] = spec.working_dir
        if container_ports:
            container["ports"] = container_ports
        probe_fields = probes(
            spec.healthcheck,
            container_ports,
            liveness=self.options.liveness,
            report=self.report,
            refs=env.refs,
            used=env.in_probes,
        )
        env_objects, env_from, env_list = env.objects()
        if env_from:
            container["envFrom"] = env_from
        if env_list:
            container["env"] = env_list
        if plan.mounts:
            container["volumeMounts"] = plan.mounts
        limits = resources(spec.resources, self.report)
        if limits:
            container["resources"] = limits
        container.update(probe_fields)
        security = security_context(
            user=spec.user,
            privileged=spec.privileged,
            cap_add=spec.cap_add,
            cap_drop=spec.cap_drop,
            read_only=spec.read_only,
            report=self.report,
        )
        if security:
            container["securityContext"] = security
        if spec.stdin_open:
            container["stdin"] = True
        if spec.tty:
            container["tty"] = True
        pod = self._pod_spec(container, plan.volumes)
        self._restart()
        self._depends_on(pod)
        self._misc_notes()
        services = self._services(service_ports, kind)
        workload = self._workload(kind, pod, env_objects, plan)
        objects = [*env_objects, *plan.objects, *plan.pvcs, *services, workload]
        _check_unique(objects, self.sid)
        interpolated = frozenset(v for v in self._interpolated_secrets() if distinctive(v))
        return CompiledService(
            service_id=self.sid,
            service=self.spec.name,
            name=self.name,
            namespace=self.namespace,
            kind=kind,
            objects=objects,
            warnings=_dedupe(self.warnings),
            notes=_dedupe(self.notes),
            secret_references=sorted(env.in_args | env.in_probes),
            interpolated_secrets=interpolated,
        )

    def _interpolated_secrets(self) -> list[str]:
        """The secret values compose interpolated into this service or a config it mounts; a config
        with one is a warning (a ConfigMap is plain text to whoever may read the namespace)."""
        values = list(self.spec.secret_variables.values())
        mounted = {ref.source for ref in self.spec.configs}
        for use in self.project.secret_uses if self.project else []:
            if use.field == "configs" and use.key in mounted:
                values.append(use.value)
                self.warnings.append(
                    f"config {use.key} interpolates {use.variable}, a secret: its ConfigMap holds the value "
                    "in plain text (declare it under secrets: instead)"
                )
        return values

    def _image(self) -> str:
        override = self._option(self.options.images)
        if override:
            return str(override)
        if self.spec.image and self.spec.image.strip():
            if self.spec.build is not None:
                self.notes.append(
                    f"compose builds the image {self.spec.image!r} from source (`build:`): "
                    "push it to a registry the cluster can pull from"
                )
            return self.spec.image.strip()
        if self.spec.build is not None:
            raise NotConvertible(
                f"{self.sid}: has `build:` but no `image:`, and a cluster can only pull images",
                hint="build and push the image, then set `image:` in the compose file",
            )
        raise NotConvertible(
            f"{self.sid}: has no `image:` (is it a partial file meant to be merged with another?)",
            hint="give the service an `image:`",
        )

    def _kind(self) -> str:
        choice = self._option(self.options.controllers) or self.options.controller
        if choice not in ("auto", "deployment", "statefulset"):
            raise InvalidInput(f"controller for {self.sid} must be auto, deployment or statefulset")
        if choice == "deployment":
            return "Deployment"
        if choice == "statefulset":
            return "StatefulSet"
        settings = self.volume_settings
        named = {v.source for v in self.spec.volumes if claims_storage(v, self.project, settings)}
        if named and not (named & shared_volumes(self.project)):
            return "StatefulSet"
        return "Deployment"

    @property
    def volume_settings(self) -> VolumeSettings:
        return VolumeSettings(
            persistence=self.options.persistence,
            size=self.options.volume_size,
            sizes=dict(self.options.volume_sizes),
            storage_class=self.options.storage_class,
        )

    # -- ports and services ---------------------------------------------------------------------

    def _ports(self) -> tuple[list[Manifest], list[Manifest]]:
        kept: list[Port] = []
        seen: set[tuple[int, str]] = set()
        published: list[str] = []
        for port in self.spec.ports:
            if not 1 <= port.target <= 65535:
                self.warnings.append(f"port {port.target}/{port.protocol} is out of range and was skipped")
                continue
            if port.published and not port.exposed_only:
                host = f"{port.host_ip}:" if port.host_ip else ""
                published.append(f"{host}{port.published}->{port.target}/{port.protocol}")
            if (port.target, port.protocol) in seen:
                continue
            seen.add((port.target, port.protocol))
            kept.append(port)
        if published:
            self.notes.append(
                "host ports are not published on Kubernetes ("
                + ", ".join(published)
                + f"); inside the cluster use {self.name}:<container port>, outside add an Ingress, "
                "NodePort or LoadBalancer"
            )
        names = unique_port_names([(p.protocol, p.target, p.name) for p in kept])
        container_ports: list[Manifest] = []
        service_ports: list[Manifest] = []
        for port, name in zip(kept, names, strict=True):
            proto = port.protocol.upper()
            container_ports.append({"name": name, "containerPort": port.target, "protocol": proto})
            entry: Manifest = {
                "name": name,
                "port": port.target,
                "targetPort": port.target,
                "protocol": proto,
            }
            if port.app_protocol:
                if is_qualified_name(port.app_protocol):
                    entry["appProtocol"] = port.app_protocol
                else:
                    self.warnings.append(
                        f"app_protocol {port.app_protocol!r} is not a valid name and was dropped"
                    )
            service_ports.append(entry)
        return container_ports, service_ports

    def _services(self, ports: list[Manifest], kind: str) -> list[Manifest]:
        out: list[Manifest] = []
        if ports:
            spec: Manifest = {
                "type": self.options.service_type,
                "selector": dict(self.selector),
                "ports": ports,
            }
            out.append(
                {"apiVersion": "v1", "kind": "Service", "metadata": self.meta(self.name), "spec": spec}
            )
        if kind == "StatefulSet":
            headless: Manifest = {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": dict(self.selector),
            }
            if ports:
                headless["ports"] = [dict(p) for p in ports]
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": self.meta(f"{self.name}-headless"),
                    "spec": headless,
                }
            )
        return out

    def _pod_spec(self, container: Manifest, volumes: list[Manifest]) -> Manifest:
        pod: Manifest = {
            "enableServiceLinks": False,
            "automountServiceAccountToken": self.options.service_account_token,
            "containers": [container],
        }
        if volumes:
            pod["volumes"] = volumes
        aliases = host_aliases(self.spec.extra_hosts, self.report)
        if aliases:
            pod["hostAliases"] = aliases
        if self.spec.hostname:
            hostname = self.spec.hostname.lower()
            if is_dns_label(hostname):
                pod["hostname"] = hostname
            else:
                self.warnings.append(
                    f"hostname {self.spec.hostname!r} is not a valid DNS label and was not set"
                )
        if self.spec.stop_grace_period is not None:
            pod["terminationGracePeriodSeconds"] = math.ceil(self.spec.stop_grace_period)
        return pod

    def _restart(self) -> None:
        restart = (self.spec.restart or "").strip()
        if restart == "no" or restart.startswith("on-failure"):
            self.warnings.append(
                f"restart: {restart} cannot be kept: a Deployment or StatefulSet always restarts its "
                "containers (a one-shot task fits a Job)"
            )

    def _depends_on(self, pod: Manifest) -> None:
        init: list[Manifest] = []
        for dep in self.spec.depends_on:
            target = kube_name(dep.service)
            self.notes.append(
                f"depends_on {dep.service} ({dep.condition}): Kubernetes starts all pods at once; "
                f"this one must cope with {target} not being ready yet"
            )
            if not self.options.wait_for_dependencies:
                continue
            other = self.project.services.get(dep.service) if self.project else None
            tcp = [p.target for p in (other.ports if other else []) if p.protocol == "tcp"]
            if not tcp:
                self.notes.append(f"no TCP port of {dep.service} is known: no init container waits for it")
                continue
            init.append(
                {
                    "name": dns_label(f"wait-for-{target}"),
                    "image": self.options.wait_image,
                    "command": [
                        "sh",
                        "-c",
                        f"until nc -z -w 2 {target} {tcp[0]}; do echo waiting for {target}; sleep 2; done",
                    ],
                }
            )
        if init:
            pod["initContainers"] = init

    def _misc_notes(self) -> None:
        if len(self.spec.networks) > 1:
            self.notes.append(
                "compose networks are flattened: every pod of the namespace can reach every other "
                "(isolate with NetworkPolicies)"
            )
        if self.spec.profiles:
            self.notes.append(f"compose profiles {', '.join(self.spec.profiles)} do not apply on Kubernetes")

    # -- the workload ---------------------------------------------------------------------------

    def _compose_labels(self) -> tuple[dict[str, str], dict[str, str]]:
        labels: dict[str, str] = {}
        annotations: dict[str, str] = {}
        for key, value in self.spec.labels.items():
            if key in self.labels:
                self.warnings.append(f"compose label {key} is set by ushadow and was kept as an annotation")
                annotations[qualified_name(f"compose.ushadow.io/{label_value(key)}")] = str(value)
            elif is_qualified_name(key) and is_label_value(str(value)):
                labels[key] = str(value)
            else:
                annotations[qualified_name(key)] = str(value)
        return labels, annotations

    def _workload(self, kind: str, pod: Manifest, env_objects: list[Manifest], plan: VolumePlan) -> Manifest:
        extra_labels, extra_annotations = self._compose_labels()
        env_digest = short_hash(json.dumps([o.get("data") for o in env_objects], sort_keys=True), 16)
        template_meta: Manifest = {
            "labels": {**extra_labels, **self.labels},
            "annotations": {
                **extra_annotations,
                SERVICE_ID_ANNOTATION: self.sid,
                ENV_HASH_ANNOTATION: env_digest,
            },
        }
        meta = self.meta(self.name)
        meta["labels"] = {**extra_labels, **self.labels}
        meta["annotations"] = {**extra_annotations, SERVICE_ID_ANNOTATION: self.sid}
        replicas = self.spec.replicas if self.spec.replicas is not None else 1
        spec: Manifest = {
            "replicas": replicas,
            "selector": {"matchLabels": dict(self.selector)},
            "template": {"metadata": template_meta, "spec": pod},
        }
        if kind == "StatefulSet":
            spec["serviceName"] = f"{self.name}-headless"
            if plan.claim_templates:
                spec["volumeClaimTemplates"] = plan.claim_templates
            return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": spec}
        if plan.uses_claims:
            spec["strategy"] = {"type": "Recreate"}
            if replicas > 1:
                self.warnings.append(
                    f"{replicas} replicas share ReadWriteOnce claims: they can only run on one node"
                )
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


# -- helpers ------------------------------------------------------------------------------------


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def object_key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (
        str(obj.get("apiVersion")),
        str(obj.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta["name"]),
    )


def _check_unique(objects: Sequence[Manifest], sid: str) -> None:
    seen: set[tuple[str, str, str, str]] = set()
    for obj in objects:
        key = object_key(obj)
        if key in seen:
            raise Conflict(
                f"{sid}: two objects would be named {key[1]} {key[3]}",
                hint="rename the compose secret, config or volume that clashes",
            )
        seen.add(key)


def merge_objects(compiled: Iterable[CompiledService]) -> list[Manifest]:
    """All objects of several services in apply order, refusing two services with one name.

    Two services that would get the same Kubernetes name in one namespace are a ``Conflict``.
    An object that several services emit identically (a PVC of a shared volume) is kept once;
    one they emit differently is a ``Conflict``.
    """
    owners: dict[tuple[str, str], str] = {}
    by_key: dict[tuple[str, str, str, str], tuple[str, Manifest]] = {}
    for item in compiled:
        clash = owners.get((item.namespace, item.name))
        if clash is not None:
            raise Conflict(
                f"{clash} and {item.service_id} would both be named {item.name!r} "
                f"in namespace {item.namespace}",
                hint="rename one of the services, or deploy them to different namespaces",
            )
        owners[(item.namespace, item.name)] = item.service_id
        for obj in item.objects:
            key = object_key(obj)
            previous = by_key.get(key)
            if previous is None:
                by_key[key] = (item.service_id, obj)
            elif _without_owner(previous[1]) != _without_owner(obj):
                raise Conflict(
                    f"{key[1]} {key[3]} is defined differently by {previous[0]} and {item.service_id}",
                    hint="rename the volume, secret or config in one of the compose files",
                )
    order = {"Namespace": 0, "ConfigMap": 1, "Secret": 1, "PersistentVolumeClaim": 2, "Service": 3}
    return [obj for _, obj in sorted(by_key.values(), key=lambda pair: order.get(str(pair[1]["kind"]), 4))]


def _without_owner(obj: Manifest) -> Manifest:
    """An object without the per-service metadata (for comparing shared objects)."""
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("labels", "annotations")}
    return {**obj, "metadata": meta}


# -- YAML ---------------------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # libyaml: ~10x faster
    def ignore_aliases(self, data: Any) -> bool:  # never `&id001` anchors in manifests
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def to_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    """Objects as one multi-document YAML text (``---`` between documents)."""
    docs = [yaml.dump(dict(o), Dumper=_Dumper, sort_keys=False, default_flow_style=False) for o in objects]
    return "".join(f"---\n{doc}" for doc in docs)


def object_filename(index: int, obj: Mapping[str, Any]) -> str:
    """``01-deployment-mem0.yaml``: numbered so that ``kubectl apply -f DIR`` keeps apply order."""
    meta = obj.get("metadata") or {}
    return f"{index:02d}-{str(obj.get('kind', 'object')).lower()}-{meta.get('name', 'unnamed')}.yaml"


def files_for(objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """One YAML file per object, keyed by ``object_filename``."""
    return {object_filename(i, o): to_yaml([o]) for i, o in enumerate(objects, start=1)}
