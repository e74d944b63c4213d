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
- **Probes** (``core.manifests.probes``): readiness is the healthcheck (``CMD`` as exec,
  ``CMD-SHELL`` through ``sh -c``; kompose runs it without a shell), and a ``curl --fail``/``wget``
  check of a localhost URL is an ``httpGet`` probe. Liveness must not fail when a dependency is
  down: a ``tcpSocket`` check of the main port, or without one the healthcheck with a ten-minute
  failure window; ``x-ushadow`` ``liveness`` overrides. ``start_period`` becomes a
  **startupProbe** rather than ``initialDelaySeconds``. No healthcheck but TCP ports: a
  ``tcpSocket`` readiness probe and no liveness.
- **Controller** (``core.manifests.controllers``): ``restart: "no"`` -> Job, ``on-failure`` on a
  service without ports -> Job with a backoff limit, ``x-ushadow`` ``schedule`` -> CronJob; a
  catalog datastore with its own named volume -> StatefulSet (claim templates, a headless
  Service); else a Deployment (PVCs, strategy ``Recreate``). The choice and its reason are a
  warning; ``CompileOptions.controllers`` or ``x-ushadow`` ``controller`` override.
- **Bind mounts** (``core.manifests.bindmounts``): a readable file becomes a key of the ConfigMap
  (or, when sensitive, Secret) ``<service>-files`` mounted with ``subPath``; a path that only
  exists on a Docker host (the Docker socket, devices) is ``NotConvertible`` unless ``x-ushadow``
  ``host_paths`` asks for a ``hostPath``; a folder is an ``emptyDir`` with a warning. ``tmpfs``
  becomes a memory ``emptyDir`` with its size limit.
- **Security** (``core.manifests.securitycontexts``): ``securityContext`` from ``user``,
  ``group_add``, ``read_only``, capabilities, ``privileged``, ``security_opt``, with
  ``seccompProfile: RuntimeDefault`` and ``allowPrivilegeEscalation: false`` unless privilege is
  asked for; what Pod Security baseline forbids is a warning. ``pull_policy`` ->
  ``imagePullPolicy``.
- **Networks** (``core.manifests.netpolicies``): a NetworkPolicy per service admits ingress only
  from pods of the compose networks it joins (the file's default network when none), and to its
  published ports from anywhere.
- **Storage and scheduling** (``core.manifests.volumes``, ``core.manifests.scheduling``): a
  datastore's data in a subfolder (``PGDATA``/``subPath``); claim size and access mode from
  ``x-ushadow`` (the default named in a warning); a shared ReadWriteOnce claim keeps its pods on
  one node (pod affinity); ``deploy.placement`` -> ``nodeSelector``/affinity/topology spread.
  ``x-ushadow`` keys are listed in ``core.manifests.knobs``.
- **A service with ``build:`` and no ``image:``** is ``NotConvertible`` (a cluster pulls images, it
  cannot build them), unless ``CompileOptions.images`` names an image for it.
- **network_mode: service:X** (``core.manifests.sidecars``): the service is a second container of
  X's pod, reaching X on localhost, its ports published through X's Service; compiled alone it is
  ``NotConvertible`` (deploy X, which carries it).
- **depends_on** is a note; with ``wait_for_dependencies`` an init container waits for the first
  TCP port of each dependency (off by default: it pulls an extra image).
- ``$`` in command, args and env values is escaped as ``$$`` so Kubernetes' own ``$(VAR)``
  expansion leaves compose's already-interpolated strings alone.
- **Secret values stay in the Secret.** Besides the sensitive environment, the Secret
  ``<name>-secrets`` gets every secret value that the compose file interpolated into
  ``command``, ``entrypoint`` or the healthcheck (``ServiceSpec.secret_uses``; a value already in
  the environment is read from its variable): the command line reads it as ``$(VAR)``, a probe
  through ``sh -c`` as ``"${VAR}"``. A variable whose value holds a secret value
  (``REDIS_ARGS=--requirepass ${REDIS_PASSWORD}``) goes to the Secret whole, and a config that
  interpolates one is mounted from a Secret. A label holding one is left out (a warning); one in
  the image name is a warning.
  ``core.manifests.environments`` and ``core.secrets.secretrefs`` say how and why; ``CompiledService.redacted()``
  hunts down whatever slipped through all the same (``core.secrets.sensitivity.conceal``).
- The pod template carries ``ushadow.io/env-hash`` (a digest of the ConfigMap and Secret content,
  as Helm's checksum annotations do), so an environment change rolls the pods and an identical
  apply changes nothing. ``enableServiceLinks`` is off (compose has no ``REDIS_PORT=tcp://...``
  variables, and they break images that read ``*_PORT``), and no service account token is mounted.

Layout: this module is the entry point (``compile_service``, ``compile_project``) and puts a
service together; ``core.manifests.compilations`` holds the options and results and merges services'
objects, ``core.manifests.serviceports`` the ports and Services, ``core.manifests.containers`` the container,
``core.manifests.workloads`` the pod and its controller, ``core.manifests.yamldocs`` the YAML output; and
``core.manifests.environments``, ``core.manifests.volumes``, ``core.manifests.podspecs``, ``core.secrets.secretrefs`` their pieces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from core.compose.model import ComposeProject, ServiceSpec
from core.conventions import (
    INSTANCE_LABEL,
    MANAGED_BY_LABEL,
    NAME_LABEL,
    PART_OF_LABEL,
    SERVICE_ID_ANNOTATION,
)
from core.conventions import MANAGED_BY_VALUE as MANAGED_BY
from core.errors import InvalidInput, NotConvertible
from core.manifests.compilations import (
    CompiledService,
    CompileOptions,
    Manifest,
    ProjectCompilation,
    check_unique,
    kube_name,
    service_id,
)
from core.manifests.containers import container, container_image
from core.manifests.controllers import choose_controller, datastore_type
from core.manifests.environments import EnvPlan
from core.manifests.knobs import knobs_for
from core.manifests.netpolicies import network_labels, network_policy
from core.manifests.serviceports import governing_service, ports, services
from core.manifests.sidecars import Riders, refuse_alone, riders_of
from core.manifests.volumes import Report, VolumePlan, VolumeSettings
from core.manifests.workloads import (
    init_containers,
    network_notes,
    place_on_node,
    pod_spec,
    restart_warning,
    scheduled,
    workload,
)
from core.naming import is_dns_label, label_value
from core.secrets.masking import distinctive

# Every field of ServiceSpec that the compiler reads (a test keeps this equal to the model, so a
# new compose field cannot be dropped silently).
HANDLED_FIELDS = frozenset(
    {
        "name", "image", "build", "command", "entrypoint", "environment", "ports", "volumes",
        "healthcheck", "replicas", "resources", "restart", "user", "working_dir", "hostname", "labels",
        "depends_on", "cap_add", "cap_drop", "group_add", "security_opt", "pull_policy", "network_mode",
        "placement_constraints", "placement_preferences", "privileged", "read_only", "stdin_open", "tty",
        "extra_hosts", "stop_grace_period", "secrets", "configs", "profiles", "networks", "variables",
        "required_variables", "unmet", "secret_variables", "secret_uses", "variable_values", "warnings",
    }
)  # fmt: skip


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


# -- the builder: one service, put together from the modules above -----------------------------


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
        self.settings = VolumeSettings(
            persistence=options.persistence,
            size=options.volume_size,
            sizes=dict(options.volume_sizes),
            storage_class=options.storage_class,
        )
        part_of = options.part_of or (project.name if project else None) or "ushadow"
        self.selector = {
            NAME_LABEL: label_value(spec.name),
            INSTANCE_LABEL: self.name,
        }
        self.labels = {
            **self.selector,
            PART_OF_LABEL: label_value(part_of),
            MANAGED_BY_LABEL: MANAGED_BY,
        }
        if self.name != spec.name:
            self.report.notes.append(
                f"the Kubernetes name is {self.name!r} (compose name {spec.name!r} is not a valid DNS "
                f"label): other services must reach it as {self.name!r}"
            )

    def _option(self, mapping: Mapping[str, Any]) -> Any:
        """A per-service option, by service id or else by name."""
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

    def build(self) -> CompiledService:
        """The compiled service. Kept as one sequence on purpose: the order of its steps is the order
        of the warnings and notes people read, and each step is one call."""
        spec, options, report = self.spec, self.options, self.report
        refuse_alone(spec, self.project, self.sid)
        knobs = knobs_for(self.project, spec.name)
        image = container_image(spec, override=self._option(options.images), sid=self.sid, report=report)
        choice = choose_controller(
            spec,
            self.project,
            choice=self._option(options.controllers) or options.controller,
            sid=self.sid,
            settings=self.settings,
            knobs=knobs,
        )
        kind = choice.kind
        if choice.reason:
            report.warnings.append(choice.reason)
        plan = VolumePlan(
            project=self.project,
            namespace=self.namespace,
            settings=self.settings,
            meta=self.meta,
            selector=self.selector,
            report=report,
            reserved=frozenset({f"{self.name}-config", f"{self.name}-secrets"}),
            knobs=knobs,
            datastore=datastore_type(spec),
        )
        riders = Riders(self.project, spec, report)
        riders.add_volumes(plan, kind)
        plan.add_service(spec, kind)
        if plan.env:  # PGDATA for a datastore's data subfolder, unless compose sets it
            spec = replace(spec, environment={**plan.env, **spec.environment})
        env = EnvPlan(spec, name=self.name, meta=self.meta, report=report)
        all_ports, service_ports = ports([*spec.ports, *riders.ports], name=self.name, report=report)
        own = {(p.target, p.protocol.upper()) for p in spec.ports}
        container_ports = [p for p in all_ports if (p["containerPort"], p["protocol"]) in own]
        main, env_objects = container(
            spec,
            image=image,
            ports=container_ports,
            env=env,
            mounts=plan.mounts,
            liveness=options.liveness,
            report=report,
            knobs=knobs,
        )
        riding, rider_objects = riders.containers(all_ports, meta=self.meta, liveness=options.liveness)
        env_objects += rider_objects
        pod = pod_spec(
            spec, main, plan.volumes, service_account_token=options.service_account_token, report=report
        )
        pod["containers"] += riding
        scheduled(spec, pod, plan, self.selector, report)
        place_on_node(pod, knobs.node)
        restart_warning(spec, kind, report)
        init = init_containers(spec, self.project, options, report)
        if init:
            pod["initContainers"] = init
        network_notes(spec, report, policies=options.network_policies)
        fronts = services(
            service_ports,
            kind,
            name=self.name,
            selector=self.selector,
            service_type=options.service_type,
            meta=self.meta,
            session_affinity=knobs.session_affinity,
        )
        if kind in ("Job", "CronJob") and not service_ports:
            fronts = []  # nothing to reach
        networks = network_labels(spec, self.project) if options.network_policies else {}
        policies = (
            [
                network_policy(
                    networks,
                    name=self.name,
                    selector=self.selector,
                    published=[
                        {"containerPort": p.target, "protocol": p.protocol.upper()}
                        for p in [*spec.ports, *riders.ports]
                        if p.published
                    ],
                    meta=self.meta,
                )
            ]
            if networks
            else []
        )
        controller = workload(
            spec,
            choice,
            pod,
            [*env_objects, *plan.objects],
            plan,
            sid=self.sid,
            name=self.name,
            labels={**self.labels, **plan.pod_labels, **networks},
            selector=self.selector,
            meta=self.meta,
            report=report,
            service_name=governing_service(self.name, service_ports),
            schedule_text=knobs.schedule,
        )
        if not service_ports and fronts:
            report.notes.append(
                f"no ports declared: Service {self.name} is headless, so {self.name} resolves to the pods "
                "as in a compose network (declare ports for a stable address)"
            )
        objects = [*env_objects, *plan.objects, *plan.pvcs, *fronts, *policies, controller]
        check_unique(objects, self.sid)
        interpolated = frozenset(v for v in self._interpolated_secrets() if distinctive(v))
        return CompiledService(
            service_id=self.sid,
            service=spec.name,
            name=self.name,
            namespace=self.namespace,
            kind=kind,
            objects=objects,
            warnings=_dedupe(report.warnings),
            notes=_dedupe(report.notes),
            secret_references=sorted(env.in_args | env.in_probes),
            interpolated_secrets=interpolated,
            provided_secrets=tuple(plan.provided),
        )

    def _interpolated_secrets(self) -> list[str]:
        """The secret values compose interpolated into this service (or a rider of its pod) or a
        config it mounts (such a config is mounted from a Secret: see ``VolumePlan``)."""
        riders = riders_of(self.project, self.spec.name)  # their containers are this pod's
        values = [v for s in (self.spec, *riders) for v in s.secret_variables.values()]
        mounted = {ref.source for s in (self.spec, *riders) for ref in s.configs}
        for use in self.project.secret_uses if self.project else []:
            if use.field == "configs" and use.key in mounted:
                values.append(use.value)
        return values


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
