"""``KEY=VALUE`` as a person gives it: the CLI's ``--env``, the dashboard's environment boxes.

One rule for all of them (pure: text in, a dict out):

- the name is trimmed and may follow ``export``; it must be an environment variable name as the
  API server takes one (``[-._a-zA-Z][-._a-zA-Z0-9]*``, so anything ``${VAR}`` can name too);
- the value is everything after the first ``=`` (more ``=`` belong to it), kept as given, empty
  allowed; a value wrapped in one pair of matching quotes (``"…"`` or ``'…'``, spaces around them
  ignored) loses the quotes and nothing else (no escapes, no interpolation);
- in a box of lines, blank lines and lines starting with ``#`` are skipped; the last of two lines
  with the same name wins.

A line that breaks the rule is reported by its number (or an option by its position), never by
its text: a mistyped line may hold a secret value.

This is not a ``.env`` file reader (``core.compose.dotenv`` parses those as Compose does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.errors import InvalidInput

_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_EXPORT = re.compile(r"^export\s+")
NO_EQUALS = "has no `=`"
BAD_NAME = "the name before `=` is not a variable name"


def unquote(value: str) -> str:
    """``value`` without one pair of matching surrounding quotes; anything else as it is."""
    inner = value.strip()
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "\"'":
        return inner[1:-1]
    return value


def split_pair(item: str) -> tuple[str, str] | str:
    """``(name, value)`` of one ``KEY=VALUE``, or what is wrong with it (:data:`NO_EQUALS`,
    :data:`BAD_NAME`), which never quotes the item."""
    key, sep, value = item.partition("=")
    if not sep:
        return NO_EQUALS
    key = _EXPORT.sub("", key.strip())
    if not _NAME.match(key):
        return BAD_NAME
    return key, unquote(value)


def parse_lines(text: str) -> tuple[dict[str, str], list[str]]:
    """The ``KEY=VALUE`` lines of a box, and what is wrong with the others (``line 2 has no `=```)."""
    env: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pair = split_pair(line)
        if isinstance(pair, str):
            problems.append(f"line {number} {pair}" if pair == NO_EQUALS else f"line {number}: {pair}")
        else:
            env[pair[0]] = pair[1]
    return env, problems


def parse_options(items: Sequence[str] | None, option: str = "--env") -> dict[str, str]:
    """Repeated ``option KEY=VALUE`` arguments as a dict; one that breaks the rule is an error.

    Each argument is one pair, whole: its value may hold newlines (a certificate, say).
    """
    env: dict[str, str] = {}
    for position, item in enumerate(items or [], start=1):
        pair = split_pair(item)
        if isinstance(pair, str):
            raise InvalidInput(
                f"{option} number {position} is not KEY=VALUE: {pair}",
                hint=f"for example {option} OPENAI_API_KEY=sk-...",
            )
        env[pair[0]] = pair[1]
    return env
