"""The one masking path: Secret values masked in manifests (``redact``), hunted down outside their
Secrets (``conceal``, ``scrub_text``) and in what a record keeps (``mask_everywhere``). Pure.

Every output that may carry a secret goes through here: the compiler's redacted manifests, the
Services page, ``render``, deployment records, warnings and error messages. Secret values are
read one way (``secret_data``: base64 ``data`` decoded strictly, then ``stringData``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from core.conventions import REDACTED_ANNOTATION
from core.errors import UshadowError
from core.secrets.secretrefs import IDENTIFIER, Refs, exec_probe, pieces
from core.secrets.sensitivity import MASK, is_sensitive_value, split_environment

T = TypeVar("T")
E = TypeVar("E", bound=UshadowError)


_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def redact(obj: T) -> T:
    """A deep copy of a manifest, or a list of manifests, with Secret values masked.

    Secret ``data`` is moved to ``stringData`` with every value replaced by ``MASK`` (so the
    masked text reads as a mask, not as base64); a ``last-applied-configuration`` annotation,
    which would repeat the values, is masked too, and ``ushadow.io/redacted: "true"`` marks the
    copy. Other objects are returned unchanged (copied), except that in a list (or a ``List``)
    the values of its Secrets are hunted down in the other objects (see :func:`conceal`).
    """
    if isinstance(obj, list):
        return _redact_all(obj)  # type: ignore[return-value]
    if not isinstance(obj, dict):
        return copy.deepcopy(obj)
    out: dict[str, Any] = copy.deepcopy(obj)
    if out.get("kind") == "List" and isinstance(out.get("items"), list):
        out["items"] = _redact_all(out["items"])
        return out  # type: ignore[return-value]
    if out.get("kind") != "Secret":
        return out  # type: ignore[return-value]
    masked: dict[str, str] = {}
    for key in ("data", "stringData"):
        values = out.pop(key, None)
        if isinstance(values, dict):
            masked.update({str(k): MASK for k in values})
    if masked:
        out["stringData"] = masked
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        annotations = metadata.get("annotations")
        annotations = dict(annotations) if isinstance(annotations, dict) else {}
        if _LAST_APPLIED in annotations:
            annotations[_LAST_APPLIED] = MASK
        annotations[REDACTED_ANNOTATION] = "true"  # so a masked copy is never taken for the real one
        metadata["annotations"] = annotations
    return out  # type: ignore[return-value]


def _redact_all(objects: list[Any]) -> list[Any]:
    items = [redact(item) for item in objects]
    manifests = [o for o in objects if isinstance(o, dict)]
    hide = secret_values({}, manifests)
    if not hide:
        return items
    refs = secret_refs(manifests)
    return [conceal([item], hide, refs)[0] if isinstance(item, dict) else item for item in items]


def distinctive(value: str) -> bool:
    """Whether a secret value is worth hunting for outside its Secret.

    A well-known default (``postgres``, ``changeme``, ``secret``) is not: it also names images,
    commands and users, and masking it there would break the manifests for nothing. A value of 8+
    characters mixing letters, digits or symbols is, and so is anything shaped like a credential.
    """
    kinds = [any(c.isalpha() for c in value), any(c.isdigit() for c in value), not value.isalnum()]
    return (len(value) >= 8 and sum(kinds) >= 2) or is_sensitive_value(value)


def _decoded(value: Any) -> str | None:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    """A Secret's values in plain text (``data`` decoded, then ``stringData``); masks are left out."""
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        decoded = _decoded(value)
        if decoded is not None:
            out[str(key)] = decoded
    out.update({str(k): str(v) for k, v in (secret.get("stringData") or {}).items()})
    return {k: v for k, v in out.items() if v != MASK}


def secret_values(env: Mapping[str, str | None], objects: Sequence[Mapping[str, Any]] = ()) -> set[str]:
    """The distinctive secret values of an environment (as the compiler splits it) and of Secrets."""
    found = set(split_environment(env).secret.values())
    for obj in objects:
        if obj.get("kind") == "Secret":
            found.update(secret_data(obj).values())
    return {value for value in found if value and value != MASK and distinctive(value)}


def env_refs(env: Mapping[str, str | None]) -> dict[str, str]:
    """Secret value -> the variable that holds it in the container (from the service's Secret)."""
    return {value: name for name, value in split_environment(env).secret.items() if IDENTIFIER.match(name)}


def _containers(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or obj.get("spec") or {}
    if not isinstance(pod, dict):
        return []
    found = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    return [c for c in found if isinstance(c, dict)]


def secret_refs(objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Secret value -> a container variable that holds it, from the Secrets among ``objects`` and
    the containers that load them (``envFrom`` a whole Secret, or ``env`` one key of it)."""
    secrets = {
        str((o.get("metadata") or {}).get("name")): secret_data(o)
        for o in objects
        if o.get("kind") == "Secret"
    }
    refs: dict[str, str] = {}
    for obj in objects:
        for container in _containers(obj):
            for source in container.get("envFrom") or []:
                ref = (source or {}).get("secretRef") or {}
                prefix = str((source or {}).get("prefix") or "")
                for key, value in secrets.get(str(ref.get("name")), {}).items():
                    if IDENTIFIER.match(prefix + key):
                        refs.setdefault(value, prefix + key)
            for item in container.get("env") or []:
                ref = ((item or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
                held = secrets.get(str(ref.get("name")), {}).get(str(ref.get("key")))
                if held is not None and IDENTIFIER.match(str(item.get("name"))):
                    refs.setdefault(held, str(item["name"]))
    return refs


def scrub_text(text: str, hide: Iterable[str]) -> str:
    """``text`` with every ``hide`` value replaced by ``MASK``."""
    for value in sorted(hide, key=len, reverse=True):
        if value and value in text:
            text = text.replace(value, MASK)
    return text


def scrub_messages(messages: Iterable[str], hide: Iterable[str]) -> list[str]:
    """Warnings, notes or messages with every ``hide`` value masked (``scrub_text`` on each)."""
    values = set(hide)
    return [scrub_text(m, values) for m in messages]


def scrub_error(error: E, hide: Iterable[str]) -> E:
    """``error`` (the same object) with every ``hide`` value masked in its message and hint."""
    values = set(hide)
    message = scrub_text(error.message, values)
    if message != error.message:
        error.message = message
        error.args = (message, *error.args[1:])
    if error.hint:
        error.hint = scrub_text(error.hint, values)
    return error


def in_container(text: str, hide: Iterable[str], refs: Refs) -> str:
    """A command, argument or env value with secret values as ``$(VAR)`` where ``refs`` names the
    variable, else masked. Compiled text escapes ``$`` as ``$$``: both forms are found."""
    table: dict[str, str] = {}
    for value in hide:
        for form in (value, value.replace("$", "$$")):
            if form and form in text:
                table[form] = f"$({refs[value]})" if value in refs else MASK
    if not table:
        return text
    return "".join(piece if var is None else var for piece, var in pieces(text, table))


def _in_probe(command: list[str], hide: Iterable[str], refs: Refs) -> list[str]:
    """An exec probe (which Kubernetes does not expand) with secret values read by the shell."""
    found = {v for v in hide if v and any(v in part for part in command)}
    masked = found - set(refs)
    command = [scrub_text(part, masked) for part in command]
    return exec_probe(command, {v: refs[v] for v in found if v in refs}, set())


def _conceal_container(container: dict[str, Any], hide: set[str], refs: Refs) -> None:
    for key in ("command", "args"):
        if isinstance(container.get(key), list):
            container[key] = [in_container(str(a), hide, refs) for a in container[key]]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        action = (container.get(probe) or {}).get("exec") or {}
        if isinstance(action.get("command"), list):
            action["command"] = _in_probe([str(a) for a in action["command"]], hide, refs)
    for item in container.get("env") or []:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            item["value"] = in_container(item["value"], hide, refs)


def _walk(node: Any, hide: set[str], refs: Refs, key: str = "") -> Any:
    if isinstance(node, dict):
        if key in ("labels", "selector", "matchLabels"):  # identifiers, never secret material
            return node
        return {k: _walk(v, hide, refs, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        if key in ("containers", "initContainers"):
            for container in node:
                if isinstance(container, dict):
                    _conceal_container(container, hide, refs)
        return [_walk(v, hide, refs) for v in node]
    if isinstance(node, str) and not (key in ("name", "namespace") or key.endswith("Name")):
        return scrub_text(node, hide)
    return node


def conceal(
    objects: Sequence[Mapping[str, Any]], hide: set[str], refs: Refs | None = None
) -> list[dict[str, Any]]:
    """Copies of ``objects`` (Secrets already redacted) without any of the ``hide`` values.

    Inside containers a secret value in a command or argument becomes ``$(VAR)``, and in an exec
    probe ``"${VAR}"`` through ``sh -c`` (``core.secrets.secretrefs``), when ``refs`` names the variable
    that holds it, so the manifests still work; else it is masked. Elsewhere it is masked, except
    in names and labels (identifiers made from service names: a password ``postgres`` must not
    rename the ``postgres`` service).
    """
    copies = [copy.deepcopy(dict(obj)) for obj in objects]
    forms = {form for value in hide if value for form in (value, value.replace("$", "$$"))}
    if not forms:
        return copies
    found = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
    return [_walk(obj, hide, refs or {}) if _mentions(obj, found) else obj for obj in copies]


def _mentions(node: Any, pattern: re.Pattern[str]) -> bool:
    """Whether any string in ``node`` matches ``pattern`` (a quick look before the walk)."""
    if isinstance(node, str):
        return pattern.search(node) is not None
    if isinstance(node, dict):
        return any(_mentions(v, pattern) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, pattern) for v in node)
    return False


# -- what a record keeps ----------------------------------------------------------------------------

RECORD_SHORTEST = 4
"""A record masks every Secret value of at least this many characters, wherever it appears (except
object names and labels): unlike shown manifests, a record is never applied, so nothing breaks."""


def _mask_tree(node: Any, hidden: set[str]) -> Any:
    if isinstance(node, str):
        return scrub_text(node, hidden)
    if isinstance(node, list):
        return [_mask_tree(item, hidden) for item in node]
    if isinstance(node, dict):
        return {k: (v if k == "metadata" else _mask_tree(v, hidden)) for k, v in node.items()}
    return node


def mask_everywhere(objects: Sequence[Mapping[str, Any]]) -> list[Any]:
    """``objects`` redacted, and every value of their Secrets masked in every string."""
    hidden = {
        value
        for obj in objects
        if obj.get("kind") == "Secret"
        for value in secret_data(obj).values()
        if len(value) >= RECORD_SHORTEST
    }
    return [_mask_tree(o, hidden) for o in redact([dict(o) for o in objects])]
