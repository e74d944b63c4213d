"""Compose volumes, secrets and configs -> pod volumes, mounts and claims (pure, used by ``manifests``).

- A named volume becomes a PersistentVolumeClaim (Deployment, or a volume another service shares)
  or a ``volumeClaimTemplate`` (StatefulSet); the claim is named after the compose volume so that
  services of one file that share a volume share the claim. ``external: true`` refers to an
  existing claim of that name. With ``persistence="emptydir"`` named volumes are ``emptyDir``.
- An anonymous volume is an ``emptyDir``; ``tmpfs`` a memory ``emptyDir`` with its size limit.
- A bind mount: a readable file is mounted from ``<service>-files``, a Docker-host path is refused,
  anything else is an ``emptyDir`` (``core.manifests.bindmounts`` has the rules).
- Claim size, access mode and storage class: ``core.manifests.claims`` (``x-ushadow`` ``volumes``,
  the volume's ``driver_opts``, else ReadWriteOnce of the default size, named in a warning). A shared ReadWriteOnce claim puts
  ``volume.ushadow.io/<claim>`` on the pods, for a pod affinity (``core.manifests.scheduling``).
- A datastore's named volume is mounted at its ``data`` subfolder (``PGDATA=.../pgdata`` for
  postgres): a fresh volume's root may hold ``lost+found``, which initdb and mysqld refuse.
- A service's ``secrets:``/``configs:`` are mounted from a Secret/ConfigMap named after the compose
  secret/config (at ``/run/secrets/<target>`` and ``/<source>`` by default, as compose does).
  Those with inline content (``content:``, or ``environment:`` resolved by the loader) are emitted;
  those from a ``file:`` are reported as needing to be created.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from core.compose.model import ComposeProject, FileRef, ServiceSpec, TopLevelResource, Volume
from core.conventions import VOLUME_LABEL
from core.manifests import claims
from core.manifests.bindmounts import (
    docker_only_reason,
    empty_reason,
    file_key,
    host_path_warning,
    is_sensitive_file,
    refuse,
)
from core.manifests.knobs import Knobs
from core.naming import config_key, dns_label, label_value, qualified_name

Manifest = dict[str, Any]


@dataclass
class Report:
    """What a compile step could not map (``warnings``) and what a person should know (``notes``)."""

    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VolumeSettings:
    persistence: Literal["pvc", "emptydir"] = "pvc"
    size: str = "1Gi"
    sizes: dict[str, str] = field(default_factory=dict)
    storage_class: str | None = None


def memory_quantity(size: int) -> str:
    """Bytes as the largest exact binary quantity: ``536870912`` -> ``"512Mi"``."""
    for unit, factor in (("Ti", 1024**4), ("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


_SHARED: list[tuple[ComposeProject, frozenset[str]]] = []  # the last few projects (compiling a file)


def shared_volumes(project: ComposeProject | None) -> frozenset[str]:
    """Named volumes that more than one service of the project mounts (remembered per project)."""
    if project is None:
        return frozenset()
    for known, shared in _SHARED:
        if known is project:
            return shared
    users: dict[str, set[str]] = {}
    for service in project.services.values():
        for v in service.volumes:
            if v.type == "volume" and v.source:
                users.setdefault(v.source, set()).add(service.name)
    result = frozenset(name for name, who in users.items() if len(who) > 1)
    _SHARED.insert(0, (project, result))
    del _SHARED[4:]
    return result


def claims_storage(volume: Volume, project: ComposeProject | None, settings: VolumeSettings) -> bool:
    """True when this mount needs a claim of its own (a named, non-external volume with persistence)."""
    if volume.type != "volume" or not volume.source or settings.persistence != "pvc":
        return False
    declared = project.volumes.get(volume.source) if project else None
    return not (declared and declared.external)


class VolumePlan:
    """Collects the pod's volumes and mounts, the PVCs and claim templates, and inline objects."""

    def __init__(
        self,
        *,
        project: ComposeProject | None,
        namespace: str,
        settings: VolumeSettings,
        meta: Callable[[str], Manifest],
        selector: dict[str, str],
        report: Report,
        reserved: frozenset[str] = frozenset(),
        knobs: Knobs | None = None,
        datastore: str | None = None,
    ) -> None:
        """``reserved``: object names the service uses already (its env ConfigMap and Secret);
        ``datastore``: the catalog type when the service is a datastore."""
        self.reserved = reserved
        self.knobs = knobs or Knobs()
        self.datastore = datastore
        self.pod_labels: dict[str, str] = {}  # volume.ushadow.io/<claim> of shared RWO claims
        self.env: dict[str, str] = {}  # variables a mount needs (PGDATA)
        self.uses_host_path = False
        self._files: dict[bool, dict[str, str]] = {False: {}, True: {}}  # sensitive? -> key -> content
        self._file_volume: dict[bool, str] = {}  # sensitive? -> pod volume name
        self.project = project
        self.namespace = namespace
        self.settings = settings
        self.meta = meta
        self.selector = selector
        self.report = report
        self.volumes: list[Manifest] = []
        self.mounts: list[Manifest] = []
        self.pvcs: list[Manifest] = []
        self.claim_templates: list[Manifest] = []
        self.objects: list[Manifest] = []  # Secrets/ConfigMaps from inline compose secrets/configs
        self.provided: list[tuple[str, str]] = []  # (Secret, key) of file- or variable-backed secrets
        self._mounted: set[str] = set()
        self._claims: dict[str, str] = {}

    @property
    def uses_claims(self) -> bool:
        return any("persistentVolumeClaim" in v for v in self.volumes)

    def add_service(self, spec: ServiceSpec, kind: str, *, rider: bool = False) -> list[Manifest]:
        """Add ``spec``'s volumes; returns its container's mounts (``self.mounts`` holds the last
        service's). A ``rider`` (a container of another service's pod, ``core.manifests.sidecars``)
        is added first: its files join the pod's ``<service>-files`` objects made by the host's call."""
        self.mounts, self._mounted = [], set()
        claims = self._claims  # compose volume -> pod volume / template name, shared by the pod
        shared = shared_volumes(self.project)
        for vol in spec.volumes:
            leaf = PurePath(vol.target).name or "root"
            if vol.type == "volume" and vol.source:
                if vol.source not in claims:
                    claims[vol.source] = self._named(vol.source, kind, vol.source in shared)
                self._mount(claims[vol.source], vol.target, vol.read_only, vol.subpath or self._data_dir(vol))
            elif vol.type == "volume":
                name = self._add_volume(f"anon-{leaf}", {"emptyDir": {}})
                self.report.notes.append(f"anonymous volume {vol.target} is an emptyDir (lost with the pod)")
                self._mount(name, vol.target, vol.read_only, vol.subpath)
            elif vol.type == "tmpfs":
                empty: Manifest = {"medium": "Memory"}
                if vol.tmpfs_size:
                    empty["sizeLimit"] = memory_quantity(vol.tmpfs_size)
                name = self._add_volume(f"tmpfs-{leaf}", {"emptyDir": empty})
                self._mount(name, vol.target, vol.read_only, vol.subpath)
            elif vol.type == "bind":
                self._bind(spec, vol, leaf)
            else:
                self.report.warnings.append(
                    f"{vol.type} volume {vol.target} is not supported on Kubernetes and was skipped"
                )
        for ref in spec.secrets:
            self._file_ref("secret", ref)
        for ref in spec.configs:
            self._file_ref("config", ref)
        if not rider:
            self._file_objects(spec)
        return self.mounts

    def _data_dir(self, vol: Volume) -> str | None:
        """The subfolder a datastore keeps its data in (see the module docstring)."""
        if not self.datastore or self.settings.persistence != "pvc":
            return None
        if self.datastore == "postgres" and vol.target == "/var/lib/postgresql/data":
            self.env["PGDATA"] = "/var/lib/postgresql/data/pgdata"
            self.report.notes.append("postgres keeps its data in PGDATA=/var/lib/postgresql/data/pgdata")
            return None
        self.report.notes.append(
            f"{self.datastore} keeps its data in the subfolder data of volume {vol.source}"
        )
        return "data"

    def _bind(self, spec: ServiceSpec, vol: Volume, leaf: str) -> None:
        source = vol.source or ""
        reason = docker_only_reason(source)
        if self.knobs.allows_host_path(source):
            name = self._add_volume(f"host-{leaf}", {"hostPath": {"path": source}})
            self.report.warnings.append(host_path_warning(vol))
            self.uses_host_path = True
            self._mount(name, vol.target, vol.read_only, vol.subpath)
        elif reason:
            raise refuse(spec.name, vol, reason)
        elif vol.content is not None:
            sensitive = is_sensitive_file(vol, list(spec.secret_variables.values()))
            key = file_key(vol, set(self._files[False]) | set(self._files[True]))
            self._files[sensitive][key] = vol.content
            if sensitive not in self._file_volume:
                self._file_volume[sensitive] = self._add_volume("secret-files" if sensitive else "files", {})
            name = self._file_volume[sensitive]
            if not vol.read_only:
                self.report.notes.append(
                    f"{vol.target} is mounted read-only from a {'Secret' if sensitive else 'ConfigMap'}"
                )
            self._mount(name, vol.target, True, key)
        else:
            name = self._add_volume(f"bind-{leaf}", {"emptyDir": {}})
            self.report.warnings.append(
                f"bind mount {vol.source}:{vol.target} has no Kubernetes equivalent ({empty_reason(vol)}); "
                "it is an empty directory here: provide its files with a ConfigMap or its data with a volume"
            )
            self._mount(name, vol.target, vol.read_only, vol.subpath)

    def _file_objects(self, spec: ServiceSpec) -> None:
        """The ConfigMap and Secret ``<service>-files`` of the bind-mounted files (and their volumes)."""
        name = dns_label(f"{dns_label(spec.name)}-files")
        for sensitive, files in self._files.items():
            if not files:
                continue
            volume = next(v for v in self.volumes if v["name"] == self._file_volume[sensitive])
            if sensitive:
                volume["secret"] = {"secretName": name}
                data = {"type": "Opaque", "data": {k: b64(v) for k, v in files.items()}}
            else:
                volume["configMap"] = {"name": name}
                data = {"data": dict(files)}
            kind = "Secret" if sensitive else "ConfigMap"
            self.objects.append({"apiVersion": "v1", "kind": kind, "metadata": self.meta(name), **data})

    # -- pieces ---------------------------------------------------------------------------------

    def _free_name(self, base: str) -> str:
        name = dns_label(base)
        taken = {v["name"] for v in self.volumes} | {t["metadata"]["name"] for t in self.claim_templates}
        candidate, n = name, 2
        while candidate in taken:
            candidate = dns_label(f"{name}-{n}")
            n += 1
        return candidate

    def _add_volume(self, base: str, source: Manifest) -> str:
        name = self._free_name(base)
        self.volumes.append({"name": name, **source})
        return name

    def _mount(self, name: str, target: str, read_only: bool, subpath: str | None) -> None:
        if target in self._mounted:
            self.report.warnings.append(f"{target} is mounted twice; the second mount was skipped")
            return
        self._mounted.add(target)
        mount: Manifest = {"name": name, "mountPath": target}
        if read_only:
            mount["readOnly"] = True
        if subpath:
            if subpath.startswith("/") or ".." in PurePath(subpath).parts:
                self.report.warnings.append(
                    f"subpath {subpath!r} of {target} is not a relative path; not set"
                )
            else:
                mount["subPath"] = subpath
        self.mounts.append(mount)

    def _named(self, source: str, kind: str, shared: bool) -> str:
        declared = self.project.volumes.get(source) if self.project else None
        claim = dns_label(source)
        if declared and declared.driver not in (None, "local"):
            self.report.warnings.append(
                f"volume {source}: driver {declared.driver!r} has no Kubernetes equivalent"
            )
        if self.settings.persistence == "emptydir":
            self.report.notes.append(
                f"volume {source} is an emptyDir (persistence is off): data is lost with the pod"
            )
            return self._add_volume(source, {"emptyDir": {}})
        if declared and declared.external:
            self.report.notes.append(
                f"volume {source} is external: a PersistentVolumeClaim {claim!r} must exist"
            )
            return self._add_volume(source, {"persistentVolumeClaim": {"claimName": claim}})
        claim_spec = claims.claim_spec(
            source, declared, knobs=self.knobs, settings=self.settings, warnings=self.report.warnings
        )
        mode = claim_spec["accessModes"][0]
        if kind == "StatefulSet" and not shared:
            name = self._free_name(source)
            # labelled as everything of ours, so that its claims are found (and deleted on request)
            # even once the StatefulSet is gone
            meta = self.meta(name)
            template = {"name": name, "labels": meta["labels"], "annotations": meta["annotations"]}
            self.claim_templates.append({"metadata": template, "spec": claim_spec})
            return name
        if shared and mode in ("ReadWriteOnce", "ReadWriteOncePod"):
            self.pod_labels[qualified_name(f"volume.ushadow.io/{claim}")] = "true"
            self.report.warnings.append(
                f"volume {source} is shared with other services: its ReadWriteOnce claim {claim!r} keeps "
                f"their pods on one node (pod affinity on volume.ushadow.io/{claim}); for pods on several "
                f"nodes give x-ushadow volumes: {{{source}: {{access_mode: ReadWriteMany}}}} and a storage "
                "class that supports it"
            )
        elif shared:
            self.report.notes.append(f"volume {source} is shared with other services as {mode}")
        meta = self.meta(claim)
        if shared and self.project is not None:
            meta = claims.shared_meta(meta, self.project, source)
        meta["labels"][VOLUME_LABEL] = label_value(source)
        self.pvcs.append(
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": claim_spec}
        )
        return self._add_volume(source, {"persistentVolumeClaim": {"claimName": claim}})

    def _holds_secret(self, config: str) -> bool:
        uses = self.project.secret_uses if self.project is not None else []
        return any(u.field == "configs" and u.key == config for u in uses)

    def _file_ref(self, what: Literal["secret", "config"], ref: FileRef) -> None:
        declared: dict[str, TopLevelResource] = {}
        if self.project is not None:
            declared = self.project.secrets if what == "secret" else self.project.configs
        top = declared.get(ref.source)
        if top is None:
            self.report.warnings.append(
                f"{what} {ref.source} is not declared at the top level and was skipped"
            )
            return
        if what == "config" and self._holds_secret(ref.source):
            # A config whose content interpolates a secret is stored (and mounted) as a Secret,
            # so the value never sits in a ConfigMap, a saved manifest or a deploy record.
            self.report.notes.append(
                f"config {ref.source} carries a secret value: it is mounted from a Secret, not a ConfigMap"
            )
            what = "secret"
            ref = FileRef(source=ref.source, target=ref.target or f"/{ref.source}", mode=ref.mode)
        kind = "Secret" if what == "secret" else "ConfigMap"
        obj_name = dns_label(ref.source)
        if obj_name in self.reserved:  # `web_secrets` would be the service's own env Secret
            obj_name = dns_label(f"{ref.source}-{what}")
        key = config_key(ref.source)
        if top.content is not None:
            obj: Manifest = {"apiVersion": "v1", "kind": kind, "metadata": self.meta(obj_name)}
            if what == "secret":
                obj.update({"type": "Opaque", "data": {key: b64(top.content)}})
            else:
                obj["data"] = {key: top.content}
            self.objects.append(obj)
        elif top.external:
            self.report.notes.append(
                f"{what} {ref.source} is external: a {kind} {obj_name!r} must already exist"
            )
        else:
            if what == "secret":
                self.provided.append((obj_name, key))
            origin = f"file {top.file}" if top.file else f"variable {top.environment}"
            command = "secret generic" if what == "secret" else "configmap"
            self.report.warnings.append(
                f"{what} {ref.source} comes from {origin}: create it before deploying "
                f"(kubectl create {command} {obj_name} --from-file={key}=<file> -n {self.namespace})"
            )
        if what == "secret":
            target = ref.target or ref.source
            path = target if target.startswith("/") else f"/run/secrets/{target}"
        else:
            path = ref.target or f"/{ref.source}"
        item: Manifest = {"key": key, "path": key}
        if ref.mode is not None:
            item["mode"] = ref.mode
        if what == "secret":
            source: Manifest = {"secret": {"secretName": obj_name, "items": [item]}}
        else:
            source = {"configMap": {"name": obj_name, "items": [item]}}
        name = self._add_volume(f"{what}-{ref.source}", source)
        if path in self._mounted:
            self.report.warnings.append(f"{path} is mounted twice; the second mount was skipped")
            return
        self._mounted.add(path)
        self.mounts.append({"name": name, "mountPath": path, "subPath": key, "readOnly": True})
