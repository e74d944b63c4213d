"""Drift of each container's *effective* environment: its ``env`` entries over the values its
``envFrom`` ConfigMaps and Secrets give, as deployed (the record) and as running (the live objects).
Pure.

A dry-run apply cannot see an ``env`` entry another field manager added (``kubectl set env``), nor
that it now overrides a ConfigMap value; this compares per key where the value comes from and a
digest of the value. Secret values are never compared here (a record holds none: the pod
template's env-hash judges them) nor shown; a key whose value or source changed is named, with its
values only when both are plain, non-sensitive values (a literal or a ConfigMap's), else ``changed``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.naming import short_hash
from core.operate.drift import WORKLOAD_KINDS, Drift
from core.secrets.sensitivity import MASK, is_sensitive

CHANGED = "changed"


@dataclass(frozen=True)
class EnvValue:
    """Where a key's value comes from (``env``, ``ConfigMap/x``, ``Secret/y``...) and, when it
    may be compared, a digest of it and the value itself."""

    source: str
    digest: str | None
    value: str | None

    @property
    def secret(self) -> bool:
        return self.source.startswith("Secret/")


def _by_name(objects: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(str(o.get("kind")), str((o.get("metadata") or {}).get("name"))): o for o in objects}


def _plain(value: Any) -> EnvValue:
    text = "" if value is None else str(value)
    return EnvValue("env", short_hash(text, 16), text)


def _config_value(source: str, value: Any) -> EnvValue:
    if value is None:
        return EnvValue(source, None, None)
    return EnvValue(source, short_hash(str(value), 16), str(value))


def _from_ref(entry: Mapping[str, Any], objects: Mapping[tuple[str, str], Mapping[str, Any]]) -> EnvValue:
    """An ``env`` entry's ``valueFrom``: a ConfigMap key is looked up, a Secret key is named only,
    anything else (a field or resource reference) is compared as written."""
    ref = entry.get("valueFrom") or {}
    if "secretKeyRef" in ref:
        sk = ref["secretKeyRef"] or {}
        return EnvValue(f"Secret/{sk.get('name')}:{sk.get('key')}", None, None)
    if "configMapKeyRef" in ref:
        ck = ref["configMapKeyRef"] or {}
        obj = objects.get(("ConfigMap", str(ck.get("name")))) or {}
        return _config_value(
            f"ConfigMap/{ck.get('name')}:{ck.get('key')}", (obj.get("data") or {}).get(ck.get("key"))
        )
    text = json.dumps(ref, sort_keys=True)
    return EnvValue(f"env:{text}", short_hash(text, 16), None)


def effective_env(container: Mapping[str, Any], objects: Sequence[Mapping[str, Any]]) -> dict[str, EnvValue]:
    """Key -> where its value comes from, as Kubernetes resolves it (``envFrom`` sources in order,
    then ``env`` entries over them)."""
    by_name = _by_name(objects)
    out: dict[str, EnvValue] = {}
    for source in container.get("envFrom") or ():
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            name = (source.get(key) or {}).get("name")
            if not name:
                continue
            obj = by_name.get((kind, str(name))) or {}
            data = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
            for k, v in data.items():
                if kind == "Secret":
                    out[prefix + str(k)] = EnvValue(f"Secret/{name}", None, None)
                else:
                    out[prefix + str(k)] = _config_value(f"ConfigMap/{name}", v)
    for entry in container.get("env") or ():
        key = str(entry.get("name"))
        out[key] = _from_ref(entry, by_name) if "valueFrom" in entry else _plain(entry.get("value"))
    return out


def _shown(key: str, before: EnvValue, after: EnvValue) -> tuple[Any, Any]:
    """The values a drift line may show: both plain and not sensitive, else masked/``changed``."""
    hidden = before.secret or after.secret or before.value is None or after.value is None
    if (
        hidden
        or MASK in (before.value or "")
        or is_sensitive(key, before.value or "")
        or is_sensitive(key, after.value or "")
    ):
        return f"{MASK} ({before.source})", f"{CHANGED} ({after.source})"
    return before.value, after.value


def _containers(objects: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for obj in objects:
        kind, name = obj.get("kind"), (obj.get("metadata") or {}).get("name")
        if kind not in WORKLOAD_KINDS:
            continue
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in pod.get("containers") or ():
            out[f"{kind}/{name} containers[{c.get('name')}]"] = c
    return out


def env_drift(
    recorded: Sequence[Mapping[str, Any]], live: Sequence[Mapping[str, Any]], found: Sequence[Drift]
) -> list[Drift]:
    """Each key, present both as deployed and live, whose effective value or its source changed
    (keys added or removed are the env key list's drift; a ConfigMap value the dry run named
    already is not named twice)."""
    out: list[Drift] = []
    now_containers = _containers(live)
    for ref, container in sorted(_containers(recorded).items()):
        running = now_containers.get(ref)
        if running is None:
            continue
        before, after = effective_env(container, recorded), effective_env(running, live)
        for key in sorted(set(before) & set(after)):
            b, a = before[key], after[key]
            same_source = b.source == a.source
            if same_source and (b.digest is None or a.digest is None or b.digest == a.digest):
                continue
            if same_source and any(d.field.startswith(b.source + " ") and key in d.field for d in found):
                continue  # the ConfigMap's own drift line says it
            deployed, now = _shown(key, b, a)
            out.append(Drift(f"{ref}.env[{key}]", deployed, now, None, "cluster"))
    return out
