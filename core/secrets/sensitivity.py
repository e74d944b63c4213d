"""Which environment values are secrets (masking them is ``core.secrets.masking``'s job).

Pure functions, no I/O. A variable goes to a Secret (not a ConfigMap) when its *name* has a
sensitive word, or its *value* carries a credential:

- The name is split into words on ``_``, ``-``, ``.`` and camelCase boundaries, trailing digits
  dropped (``DB_PASSWORD2`` -> ``DB``, ``PASSWORD``). ``API_KEY``, ``SECRET_KEY``, ``apiKey``,
  ``TS_AUTHKEY``, ``NEO4J_AUTH`` are sensitive; ``KEYCLOAK_URL``, ``PASSPORT_URL``,
  ``MONGODB_AUTH_SOURCE`` are not (a word must match whole; ``AUTH`` counts only as the last word,
  where it names a credential, not in ``AUTH_SOURCE`` or ``AUTH_ENABLED``).
- The value holds a URL with a password (``scheme://user:pass@host``; ``scheme://user@host`` is
  not a credential), a PEM private key, or a token with a well-known prefix.

``core.secrets.masking.redact`` returns a copy of a manifest (or a list of them) with every Secret
value replaced by ``MASK``; the dashboard, the CLI and saved deployment records all go through it.

The compiler keeps secret values out of everything but Secrets (see ``core.secrets.secretrefs``).
As a defence in depth, ``redact`` of a list also hunts the values of its Secrets down in the
other objects (:func:`conceal`): inside a container a value becomes a reference to the variable
that holds it (``$(VAR)``, or ``"${VAR}"`` in a probe) when there is one, anywhere else it is
masked. Only :func:`distinctive` values are hunted: a well-known default such as ``postgres``
also names images, commands and users, and masking it there would break manifests for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

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


# -- hunting secret values down outside Secrets ---------------------------------------------------
