"""The kustomize bundle: the old ``deploy.sh``'s ``k8s/`` tree, done better.

``write_bundle(sources, out_dir)`` compiles every convertible service and writes::

    kustomization.yaml      namespace.yaml, configmap.yaml, infra/, base/; secret.yaml as generators
    namespace.yaml          every namespace the services go to
    configmap.yaml          every service's ConfigMap <name>-config (non-secret environment, in full)
    secret.yaml             a kustomize SecretGenerator per Secret: values come from git-ignored files
    secrets/<ns>/<secret>.env.example   the keys to fill in (no values)
    secrets/<ns>/<secret>.env           NOT written: yours to make from the .example (never overwritten),
                                        so ``kubectl apply -k`` fails naming it until it is filled in
    secrets/.gitignore      keeps the real values out of git
    infra/<ns>/<service>.yaml, base/<ns>/<service>.yaml   PVCs, Services and the workload
    tweaks/README.md        how to apply, and what to change for production

**Secret values are never written.** The bundle is meant to be committed; a kustomize
``secretGenerator`` reads each Secret from a git-ignored ``.env`` file that the operator fills in
(or replaces with an external secret manager). ``disableNameSuffixHash`` keeps the names
``<name>-secrets``, the same the deploy command uses. For the same reason the pod template's
``ushadow.io/env-hash`` here is a digest of the ConfigMap and the Secret *keys* only.

Nor anywhere else: the compiler keeps secret values off command lines and out of ConfigMaps
(``core.manifests.compiler``), and as a defence in depth every file is searched for the (distinctive)
secret values of every service before it is written (``core.secrets.sensitivity.conceal``): a value
found inside a container becomes a reference to the variable that holds it, anywhere else it is
masked, and the file is named in the warnings and in ``BundlePlan.concealed``.

**It never deletes or overwrites what it did not write**: the files go through
``core.manifests.filewriting.write_files`` with the ledger ``.ushadow-bundle.json``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from core.compose.model import ComposeProject
from core.compose.registry import Registry
from core.conventions import ENV_HASH_ANNOTATION, MANAGED_BY_LABEL
from core.conventions import MANAGED_BY_VALUE as MANAGED_BY
from core.errors import NotConvertible
from core.manifests.compilations import CompiledService, CompileOptions, merge_objects, service_id
from core.manifests.compiler import compile_service
from core.manifests.crossrefs import active, qualify
from core.manifests.filewriting import SyncResult, write_files
from core.manifests.tweaks import tweaks_readme
from core.manifests.yamldocs import to_yaml
from core.naming import short_hash
from core.secrets.masking import conceal, scrub_text, secret_refs

LEDGER = ".ushadow-bundle.json"
_GITIGNORE = "# Real secret values: never commit them.\n*\n!.gitignore\n!*/\n!*.example\n"


@dataclass(frozen=True)
class ServiceRef:
    """One service to bundle: its project, whether it is infrastructure, its registry id."""

    project: ComposeProject
    service: str
    infra: bool = False
    service_id: str | None = None  # default <file-stem>:<service>
    namespace: str | None = None  # default the file's x-ushadow namespace


def refs_of_registry(registry: Registry) -> tuple[list[ServiceRef], dict[str, str]]:
    """The registry's services, and the entries that could not be read (id -> error)."""
    refs: list[ServiceRef] = []
    broken: dict[str, str] = {}
    for entry in registry.entries:
        project = registry.projects.get(entry.file)
        if entry.spec is None or project is None or entry.service not in project.services:
            broken[entry.service_id] = entry.error or "could not be read"
            continue
        refs.append(ServiceRef(project, entry.service, entry.infra, entry.service_id, entry.meta.namespace))
    return refs, broken


@dataclass(frozen=True)
class BundleResult:
    out_dir: str
    files: SyncResult
    services: list[dict[str, Any]]
    skipped: dict[str, str]
    warnings: list[str]
    to_fill: list[str] = field(default_factory=list)  # secret files the operator has yet to make

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "written": self.files.written,
            "unchanged": self.files.unchanged,
            "removed": self.files.removed,
            "kept": self.files.kept,
            "seeded": self.files.seeded,
            "to_fill": self.to_fill,
            "services": self.services,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }


def refs_of(projects: Iterable[ComposeProject], infra: Iterable[str] = ()) -> list[ServiceRef]:
    """Every service of ``projects``; infra when its id or name is in ``infra`` or the file says so.

    A file says so by being an infra file (``*.infra.yml``, like ushadow's
    ``docker-compose.infra.yml``). A registry's entries carry their own ``infra`` flag instead.
    """
    marked = set(infra)
    out = []
    for project in projects:
        infra_file = "infra" in PurePosixPath(project.path).stem.split(".")
        for name in project.services:
            is_infra = infra_file or name in marked or service_id(project, name) in marked
            out.append(ServiceRef(project, name, is_infra))
    return out


@dataclass
class BundlePlan:
    """The bundle in memory: ``files`` (ours), ``seeds`` (secret files for people to make and fill
    in: never written by us, so that no Secret with empty values is applied)."""

    files: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, str] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    concealed: list[str] = field(default_factory=list)  # files where a leaked secret value was masked


def plan_bundle(
    sources: Iterable[ServiceRef],
    *,
    namespace: str = "ushadow",
    force_namespace: bool = False,
    options: CompileOptions | None = None,
    broken: Mapping[str, str] | None = None,
    profiles: Iterable[str] | None = None,
) -> BundlePlan:
    """The bundle's files (pure). Each file's ``x-ushadow.namespace`` is kept unless forced.

    ``broken`` are registry entries that could not be read (id -> error), listed as skipped; so
    are services none of whose compose ``profiles`` is active (``core.manifests.crossrefs``).
    A reference to a service of another namespace is made fully qualified (the same module).
    """
    plan = BundlePlan()
    plan.skipped.update({sid: f"could not be read: {error}" for sid, error in (broken or {}).items()})
    compiled: list[tuple[CompiledService, bool]] = []
    for source in sources:
        project = source.project
        spec = project.services[source.service]
        ns = namespace if force_namespace else (source.namespace or project.meta.namespace or namespace)
        sid = source.service_id or service_id(project, source.service)
        if not active(spec.profiles, profiles):
            plan.skipped[sid] = f"profile {', '.join(spec.profiles)} is not active (give --profile)"
            continue
        if spec.unmet:  # kept: a secret's value goes into its secrets/ file, which people fill in
            plan.warnings.append(
                f"{sid}: {'; '.join(spec.unmet)} (empty in this bundle: fill it in under secrets/, "
                "or give --env KEY=VALUE)"
            )
        try:
            item = compile_service(spec, project=project, namespace=ns, options=options, service_id=sid)
        except NotConvertible as exc:
            plan.skipped[sid] = exc.message
            continue
        compiled.append((item, source.infra))
    compiled = list(
        zip(qualify([item for item, _ in compiled]), [infra for _, infra in compiled], strict=True)
    )
    merge_objects(item for item, _ in compiled)  # raises Conflict on a name clash
    hide: set[str] = set()
    for item, _ in compiled:
        hide |= item.hidden()
    namespaces = sorted({item.namespace for item, _ in compiled} | {namespace})
    plan.files["namespace.yaml"] = to_yaml(_namespace(ns) for ns in namespaces)
    configmaps: dict[tuple[str, str], dict[str, Any]] = {}
    generators: dict[tuple[str, str], dict[str, Any]] = {}
    groups: dict[str, list[str]] = {"infra": [], "base": []}
    claims: set[tuple[str, str]] = set()  # a PVC two services share is written once
    for item, infra in compiled:
        group = "infra" if infra else "base"
        rest: list[dict[str, Any]] = []
        for obj in item.objects:
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            if obj["kind"] == "ConfigMap":
                configmaps.setdefault(key, obj)
            elif obj["kind"] == "Secret":
                generators.setdefault(key, _generator(obj, item, plan))
            elif obj["kind"] == "PersistentVolumeClaim":
                if key not in claims:
                    claims.add(key)
                    rest.append(obj)
            else:
                rest.append(obj)
        for name, file_key in item.provided_secrets:  # compose secrets from a file: seeded to fill in
            labels = dict(item.objects[-1]["metadata"].get("labels") or {})
            provided = {
                "kind": "Secret",
                "metadata": {"name": name, "namespace": item.namespace, "labels": labels},
                "data": {file_key: ""},
            }
            generators.setdefault((item.namespace, name), _generator(provided, item, plan))
        rel = f"{item.namespace}/{item.name}.yaml"
        rest = _concealed(rest, hide, secret_refs(item.objects), f"{group}/{rel}", plan)
        _rehash(rest, item)
        groups[group].append(rel)
        plan.files[f"{group}/{rel}"] = to_yaml(rest)
        plan.services.append(
            {
                "service_id": item.service_id,
                "name": item.name,
                "namespace": item.namespace,
                "kind": item.kind,
                "infra": infra,
                "file": f"{group}/{rel}",
                "warnings": [scrub_text(w, hide) for w in item.warnings],
                "notes": [scrub_text(n, hide) for n in item.notes],
                "secret_references": list(item.secret_references),
            }
        )
    config_objects = _concealed(list(configmaps.values()), hide, {}, "configmap.yaml", plan)
    plan.files["configmap.yaml"] = to_yaml(config_objects) or "# no ConfigMaps: no service has environment\n"
    plan.files["secret.yaml"] = to_yaml(generators.values()) or "# no Secrets: no service has secret values\n"
    for group, rels in groups.items():
        plan.files[f"{group}/kustomization.yaml"] = _kustomization(resources=rels)
    plan.files["kustomization.yaml"] = _kustomization(
        resources=["namespace.yaml", "configmap.yaml", "infra", "base"],
        generators=["secret.yaml"] if generators else [],
    )
    plan.files["secrets/.gitignore"] = _GITIGNORE
    plan.files["tweaks/README.md"] = tweaks_readme(plan.services, plan.skipped)
    return plan


def write_bundle(
    sources: Registry | Iterable[ServiceRef | ComposeProject],
    out_dir: str | Path,
    *,
    namespace: str = "ushadow",
    force_namespace: bool = False,
    options: CompileOptions | None = None,
    profiles: Iterable[str] | None = None,
) -> BundleResult:
    """Compile and write the bundle into ``out_dir`` (see the module docstring)."""
    refs: list[ServiceRef] = []
    broken: dict[str, str] = {}
    if isinstance(sources, Registry):
        refs, broken = refs_of_registry(sources)
    else:
        for source in sources:
            refs.extend(refs_of([source]) if isinstance(source, ComposeProject) else [source])
    plan = plan_bundle(
        refs,
        namespace=namespace,
        force_namespace=force_namespace,
        options=options,
        broken=broken,
        profiles=profiles,
    )
    out = Path(out_dir)
    synced = write_files(out, plan.files, ledger=LEDGER, prune=True)
    warnings = list(plan.warnings)
    to_fill = sorted(rel for rel in plan.seeds if not (out / rel).exists())
    for rel in plan.seeds:
        missing = _missing_keys(out / rel, plan.seeds[rel])
        if missing:
            warnings.append(f"{rel} has no line for {', '.join(missing)}: add them (see the .example file)")
    return BundleResult(str(out), synced, plan.services, plan.skipped, warnings, to_fill)


def zip_bundle(plan: BundlePlan, *, prefix: str = "k8s") -> bytes:
    """The bundle as a ZIP (for a download): its files; the secret files only as ``.example``s."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel, text in sorted(plan.files.items()):
            archive.writestr(f"{prefix}/{rel}", text)
    return buffer.getvalue()


# -- pieces of the plan -------------------------------------------------------------------------


def _namespace(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
    }


def _kustomization(*, resources: list[str], generators: list[str] | None = None) -> str:
    doc: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
    if generators:
        doc["generators"] = generators
    return (
        "# Written by ushadow-ops bundle. Put your changes in an overlay (see tweaks/README.md).\n"
        + yaml.safe_dump(doc, sort_keys=False)
    )


def _generator(secret: dict[str, Any], item: CompiledService, plan: BundlePlan) -> dict[str, Any]:
    """A SecretGenerator for one compiled Secret, and the files it reads (for the operator to make)."""
    meta = secret["metadata"]
    ns, name = meta["namespace"], meta["name"]
    keys = list(secret.get("data", {}))
    generator: dict[str, Any] = {
        "apiVersion": "builtin",
        "kind": "SecretGenerator",
        "metadata": {"name": name, "namespace": ns},
        "type": secret.get("type", "Opaque"),
        "options": {
            "disableNameSuffixHash": True,
            "labels": dict(meta.get("labels", {})),
            "annotations": dict(meta.get("annotations", {})),
        },
    }
    if name == f"{item.name}-secrets":  # the environment: KEY=VALUE lines
        env_file = f"secrets/{ns}/{name}.env"
        example = (
            f"# Secret {name} in namespace {ns} ({item.service_id}).\n"
            f"# Copy this file to {name}.env beside it (git-ignored) and fill in the values: `kubectl apply -k`\n"
            "# reads that file and fails until it exists, so that no Secret with empty values is made.\n"
            + "".join(f"{key}=\n" for key in keys)
        )
        plan.files[f"{env_file}.example"] = example
        plan.seeds[env_file] = "".join(f"{key}=\n" for key in keys)
        generator["envs"] = [env_file]
    else:  # a compose `secrets:` entry: one file per key
        generator["files"] = []
        for key in keys:
            path = f"secrets/{ns}/{name}/{key}"
            plan.seeds[path] = ""
            generator["files"].append(f"{key}={path}")
        plan.warnings.append(f"make {', '.join(generator['files'])} for Secret {ns}/{name}")
    return generator


def _concealed(
    objects: list[dict[str, Any]], hide: set[str], refs: Mapping[str, str], rel: str, plan: BundlePlan
) -> list[dict[str, Any]]:
    """Copies of ``objects`` with no secret value left (defence in depth: the compiler keeps them
    out already); a file where one was found is named in the warnings."""
    out = conceal(objects, hide, refs)
    if out != objects:
        plan.concealed.append(rel)
        plan.warnings.append(
            f"{rel}: a secret value was found outside its Secret and replaced (by $(VAR) inside "
            "containers, masked elsewhere): check that file"
        )
    return out


def _rehash(objects: list[dict[str, Any]], item: CompiledService) -> None:
    """Replace the env hash (which covers Secret values) with one of config values and secret keys."""
    env: list[Any] = []
    for obj in item.objects:
        if obj["kind"] == "ConfigMap":
            env.append(obj.get("data"))
        elif obj["kind"] == "Secret":
            env.append(sorted(obj.get("data", {})))
    digest = short_hash(json.dumps(env, sort_keys=True), 16)
    for obj in objects:
        template = obj.get("spec", {}).get("template", {}).get("metadata", {})
        if ENV_HASH_ANNOTATION in template.get("annotations", {}):
            template["annotations"] = {**template["annotations"], ENV_HASH_ANNOTATION: digest}


def _missing_keys(path: Path, seed: str) -> list[str]:
    """Keys of ``seed`` (``KEY=`` lines) that an operator's env file lacks (values are not read out)."""
    if not seed or not path.is_file():
        return []
    have = {
        line.split("=", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines() if "=" in line
    }
    return [line[:-1] for line in seed.splitlines() if line.endswith("=") and line[:-1] not in have]
