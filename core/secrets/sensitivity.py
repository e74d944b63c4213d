"""Which environment values are secrets, and masking them wherever manifests are shown or saved.

Pure functions, no I/O. A variable goes to a Secret (not a ConfigMap) when its *name* has a
sensitive word, or its *value* carries a credential:

- The name is split into words on ``_``, ``-``, ``.`` and camelCase boundaries, trailing digits
  dropped (``DB_PASSWORD2`` -> ``DB``, ``PASSWORD``). ``API_KEY``, ``SECRET_KEY``, ``apiKey``,
  ``TS_AUTHKEY``, ``NEO4J_AUTH`` are sensitive; ``KEYCLOAK_URL``, ``PASSPORT_URL``,
  ``MONGODB_AUTH_SOURCE`` are not (a word must match whole; ``AUTH`` counts only as the last word,
  where it names a credential, not in ``AUTH_SOURCE`` or ``AUTH_ENABLED``).
- The value holds a URL with a password (``scheme://user:pass@host``; ``scheme://user@host`` is
  not a credential), a PEM private key, or a token with a well-known prefix.

``redact`` returns a copy of a manifest (or a list of them) with every Secret value replaced by
``MASK``; the dashboard, the CLI and saved deployment records all go through it.

The compiler keeps secret values out of everything but Secrets (see ``core.secrets.secretrefs``).
As a defence in depth, ``redact`` of a list also hunts the values of its Secrets down in the
other objects (:func:`conceal`): inside a container a value becomes a reference to the variable
that holds it (``$(VAR)``, or ``"${VAR}"`` in a probe) when there is one, anywhere else it is
masked. Only :func:`distinctive` values are hunted: a well-known default such as ``postgres``
also names images, commands and users, and masking it there would break manifests for nothing.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.conventions import REDACTED_ANNOTATION
from core.secrets.secretrefs import IDENTIFIER, Refs, exec_probe, pieces

MASK = "********"

# Whole words that make a variable name sensitive.
SENSITIVE_WORDS = frozenset(
    {
        "SECRET",
        "SECRETS",
        "KEY",
        "KEYS",
        "PASSWORD",
        "PASSWORDS",
        "PASS",
        "PASSWD",
        "PASSPHRASE",
        "PWD",
        "TOKEN",
        "TOKENS",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "PRIVATE",
        "APIKEY",
        "AUTHKEY",
        "ACCESSKEY",
        "SECRETKEY",
        "PRIVATEKEY",
        "MASTERKEY",
        "AUTHTOKEN",
        "ACCESSTOKEN",
        "REFRESHTOKEN",
        "APITOKEN",
        "CLIENTSECRET",
        "DBPASSWORD",
        "SALT",
    }
)
# Words that are sensitive only as the last word (``NEO4J_AUTH``, ``BASIC_AUTH``).
SENSITIVE_LAST_WORDS = frozenset({"AUTH", "DSN"})
# Run-together names ending in one of these are sensitive too (``PGPASSWORD``, ``DBPASS``).
SENSITIVE_ENDINGS = ("PASSWORD", "PASSWD", "PASS", "SECRET", "TOKEN", "APIKEY")
NOT_SENSITIVE_WORDS = frozenset({"BYPASS", "COMPASS", "SURPASS", "OVERPASS", "UNDERPASS", "TRESPASS"})
# A last word that makes the name a setting *about* a secret, not the secret (``KEY_PREFIX``,
# ``PASSWORD_MIN_LENGTH``, ``TOKEN_URL``, ``PASSWORD_FILE``, ``SECRETS_DIR``).
DESCRIBING_WORDS = frozenset(
    {
        "PREFIX", "SUFFIX", "LENGTH", "LEN", "MIN", "MAX", "TTL", "SECONDS", "SECS", "TIMEOUT",
        "EXPIRY", "EXPIRES", "LIFETIME", "URL", "URI", "ENDPOINT", "PATH", "FILE", "DIR", "NAME",
        "HEADER", "ENABLED", "ENABLE", "DISABLED", "REQUIRED", "SIZE", "COUNT", "LIMIT", "ALGORITHM",
        "TYPE", "FORMAT", "VERSION", "POLICY", "LOCATION",
    }
)  # fmt: skip
# With one of these words, TOKEN(S) counts tokens (``MAX_TOKENS``, ``TOKENS_PER_MINUTE``).
QUANTITY_WORDS = frozenset({"MAX", "MIN", "NUM", "LIMIT", "PER", "COUNT", "TOTAL"})
# Names that look sensitive but are well-known non-secrets, and secrets no rule catches.
NOT_SENSITIVE_NAMES = frozenset({"PWD", "OLDPWD"})
SENSITIVE_NAMES = frozenset({"DOCKER_AUTH_CONFIG"})

_CREDENTIAL_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")
_VALUE_PATTERNS: tuple[re.Pattern[str], ...] = (
    _CREDENTIAL_URL,
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),  # OpenAI / Anthropic style API keys
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"),  # JWT
    re.compile(r"(?i)(?:(?:^|[;\s-])(?:password|passwd)|;\s*pwd)=[^;\s'\"]+"),  # Password=x; --password=x
)


def name_words(name: str) -> list[str]:
    """``apiKey_v2`` -> ``["API", "KEY", "V"]``: split on separators and camelCase, digits dropped."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    words = re.split(r"[\s_.\-/]+", spaced)
    out = []
    for word in words:
        word = word.upper().rstrip("0123456789")
        if word:
            out.append(word)
    return out


def _sensitive_word(word: str) -> bool:
    if word in SENSITIVE_WORDS:
        return True
    return word not in NOT_SENSITIVE_WORDS and word.endswith(SENSITIVE_ENDINGS)


def is_sensitive_name(name: str) -> bool:
    if name.upper() in NOT_SENSITIVE_NAMES:
        return False
    if name.upper() in SENSITIVE_NAMES:
        return True
    words = name_words(name)
    if not words:
        return False
    sensitive = [w for w in words if _sensitive_word(w)]
    if words[-1] in SENSITIVE_LAST_WORDS:
        return True
    if not sensitive:
        return False
    if words[-1] in DESCRIBING_WORDS and not _sensitive_word(words[-1]):
        return False  # a setting about a secret: KEY_PREFIX, PASSWORD_MIN_LENGTH, TOKEN_URL
    counted = {"TOKEN", "TOKENS"}
    return not (set(sensitive) <= counted and QUANTITY_WORDS & set(words))  # MAX_TOKENS counts


def is_sensitive_value(value: str | None) -> bool:
    if not value:
        return False
    return any(p.search(value) for p in _VALUE_PATTERNS)


def is_sensitive(name: str, value: str | None) -> bool:
    return is_sensitive_name(name) or is_sensitive_value(value)


@dataclass(frozen=True)
class EnvSplit:
    """An environment split for a ConfigMap and a Secret; ``unset`` are bare keys with no value."""

    config: dict[str, str] = field(default_factory=dict)
    secret: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)


def split_environment(env: Mapping[str, str | None]) -> EnvSplit:
    """Split ``env`` (order kept) into non-sensitive and sensitive values."""
    split = EnvSplit()
    for name, value in env.items():
        if value is None:
            split.unset.append(name)
        elif is_sensitive(name, value):
            split.secret[name] = value
        else:
            split.config[name] = value
    return split


T = TypeVar("T")

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


def mask_environment(env: Mapping[str, str | None]) -> dict[str, str | None]:
    """``env`` with the values of sensitive variables replaced by ``MASK`` (for showing an env)."""
    return {k: (MASK if v is not None and is_sensitive(k, v) else v) for k, v in env.items()}


def _redact_all(objects: list[Any]) -> list[Any]:
    items = [redact(item) for item in objects]
    manifests = [o for o in objects if isinstance(o, dict)]
    hide = secret_values({}, manifests)
    if not hide:
        return items
    refs = secret_refs(manifests)
    return [conceal([item], hide, refs)[0] if isinstance(item, dict) else item for item in items]


# -- hunting secret values down outside Secrets ---------------------------------------------------


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
