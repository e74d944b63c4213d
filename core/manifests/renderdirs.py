"""``ushadow-ops render --out DIR``: one service as a folder that ``kubectl apply -f`` and ``-k`` both take (pure).

The folder::

    01-configmap-web-config.yaml ...   one numbered file per object, Secrets left out
    Kustomization                      resources: those files; a secretGenerator per Secret
    secrets/<secret>.env.example       the keys to fill in (no values)
    secrets/<secret>.env               created once with empty values; yours to fill, never overwritten
    secrets/<secret>/<key>             (a compose secret or a sensitive mounted file: one file per key)
    secrets/.gitignore                 keeps the real values out of git
    .ushadow/render.json               the ledger of what was written (``core.manifests.filewriting``)

**No Secret with placeholder values is ever written**: a server would accept one, and
``kubectl apply`` would then set ``POSTGRES_PASSWORD`` to a mask. ``kubectl apply -k DIR`` makes
the Secrets from the ``.env`` files (kustomize's ``secretGenerator``, names kept with
``disableNameSuffixHash``); ``kubectl apply -f DIR`` applies everything but the Secrets (create
them with ``ushadow-ops deploy`` or ``-k``). Neither reads a bookkeeping file: ``-f DIR`` reads
only ``*.yaml``/``*.yml``/``*.json`` directly in DIR, and the kustomization file is named
``Kustomization`` (a name kustomize recognises, without an extension ``-f`` would read); the
ledger and the secret files live in subfolders. The pod template's env hash is re-computed over
config values and secret *keys* (a hash of secret values is no business of a file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.conventions import ENV_HASH_ANNOTATION
from core.manifests.compilations import CompiledService
from core.manifests.yamldocs import files_for
from core.naming import short_hash

KUSTOMIZATION = "Kustomization"
GITIGNORE = "# Real secret values: never commit them.\n*\n!.gitignore\n!*/\n!*.example\n"


@dataclass
class RenderFolder:
    files: dict[str, str] = field(default_factory=dict)  # ours, rewritten on each render
    seeds: dict[str, str] = field(default_factory=dict)  # for people to make (never written by us)
    manifests: list[str] = field(default_factory=list)  # the numbered object files


def render_folder(compiled: CompiledService) -> RenderFolder:
    """The folder's files for one compiled service (see the module docstring)."""
    out = RenderFolder()
    objects = [o for o in compiled.redacted() if o["kind"] != "Secret"]
    _rehash(objects, compiled)
    numbered = files_for(objects)
    out.files.update(numbered)
    out.manifests = list(numbered)
    generators = [_generator(s, compiled, out) for s in compiled.objects if s["kind"] == "Secret"]
    for name, key in compiled.provided_secrets:
        labels = dict(compiled.objects[-1]["metadata"].get("labels") or {})
        provided = {
            "metadata": {"name": name, "namespace": compiled.namespace, "labels": labels},
            "data": {key: ""},
        }
        generators.append(_generator(provided, compiled, out))
    doc: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": out.manifests,
    }
    if generators:
        doc["secretGenerator"] = generators
        out.files["secrets/.gitignore"] = GITIGNORE
    out.files[KUSTOMIZATION] = (
        f"# Written by ushadow-ops render for {compiled.service_id}: kubectl apply -k <this folder>\n"
        + yaml.safe_dump(doc, sort_keys=False)
    )
    return out


def _generator(secret: dict[str, Any], compiled: CompiledService, out: RenderFolder) -> dict[str, Any]:
    meta = secret["metadata"]
    name = meta["name"]
    keys = list(secret.get("data") or {}) + list(secret.get("stringData") or {})
    generator: dict[str, Any] = {
        "name": name,
        "namespace": meta["namespace"],
        "type": secret.get("type", "Opaque"),
        "options": {
            "disableNameSuffixHash": True,
            "labels": dict(meta.get("labels") or {}),
            "annotations": dict(meta.get("annotations") or {}),
        },
    }
    if name == f"{compiled.name}-secrets":  # the environment: KEY=VALUE lines
        env_file = f"secrets/{name}.env"
        out.files[f"{env_file}.example"] = (
            f"# Secret {name} ({compiled.service_id}): copy this file to {name}.env beside it (git-ignored)\n"
            "# and fill in the values; `kubectl apply -k` fails until that file exists.\n"
            + "".join(f"{key}=\n" for key in keys)
        )
        out.seeds[env_file] = "".join(f"{key}=\n" for key in keys)
        generator["envs"] = [env_file]
    else:  # a compose secret or a sensitive mounted file: one file per key
        generator["files"] = []
        for key in keys:
            path = f"secrets/{name}/{key}"
            out.seeds[path] = ""
            generator["files"].append(f"{key}={path}")
    return generator


def _rehash(objects: list[dict[str, Any]], compiled: CompiledService) -> None:
    env: list[Any] = []
    for obj in compiled.objects:
        if obj["kind"] == "ConfigMap":
            env.append(obj.get("data"))
        elif obj["kind"] == "Secret":
            env.append(sorted(obj.get("data", {})))
    digest = short_hash(json.dumps(env, sort_keys=True), 16)
    for obj in objects:
        body = obj.get("spec", {})
        body = body.get("jobTemplate", {}).get("spec", body)
        template = body.get("template", {}).get("metadata", {})
        if ENV_HASH_ANNOTATION in template.get("annotations", {}):
            template["annotations"] = {**template["annotations"], ENV_HASH_ANNOTATION: digest}


def secret_comment(secret: dict[str, Any]) -> str:
    """A Secret as a YAML comment (its keys, not its values) for ``render`` on the screen."""
    meta = secret["metadata"]
    keys = sorted(list(secret.get("data") or {}) + list(secret.get("stringData") or {}))
    return (
        f"---\n# Secret {meta['name']} (namespace {meta['namespace']}) is not printed, so that no placeholder "
        f"reaches a cluster; keys: {', '.join(keys) or '-'}.\n"
        "# `ushadow-ops deploy` writes the real one; `render --out DIR` makes a kustomize folder for it.\n"
    )
