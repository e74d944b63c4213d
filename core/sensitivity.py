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
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

MASK = "********"
REDACTED_ANNOTATION = "ushadow.io/redacted"

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
# Names that look sensitive but are well-known non-secrets.
NOT_SENSITIVE_NAMES = frozenset({"PWD", "OLDPWD"})

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


def is_sensitive_name(name: str) -> bool:
    if name.upper() in NOT_SENSITIVE_NAMES:
        return False
    words = name_words(name)
    if any(w in SENSITIVE_WORDS for w in words):
        return True
    return bool(words) and words[-1] in SENSITIVE_LAST_WORDS


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
    copy. Other objects are returned unchanged (copied).
    """
    if isinstance(obj, list):
        return [redact(item) for item in obj]  # type: ignore[return-value]
    if not isinstance(obj, dict):
        return copy.deepcopy(obj)
    out: dict[str, Any] = copy.deepcopy(obj)
    if out.get("kind") == "List" and isinstance(out.get("items"), list):
        out["items"] = [redact(item) for item in out["items"]]
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
