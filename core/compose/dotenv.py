"""Parse ``.env`` and ``env_file`` text the way Docker Compose does. Pure: text in, mapping out.

Per line: ``KEY=value`` (or ``KEY: value``), an optional ``export`` prefix, ``# comments``.
Unquoted values end at the line's end, lose a trailing `` # comment`` and trailing spaces, and
are interpolated. ``"double quoted"`` values may span lines, understand ``\\n``-style escapes and
are interpolated; ``'single quoted'`` values are taken literally. A bare ``KEY`` takes its value
from ``lookup`` and is left out when that has none. Interpolation sees ``lookup`` first, then the
variables defined earlier in the same file. ``raw=True`` (compose's ``format: raw``) takes every
value literally.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.compose.interpolation import Lookup, MissingVariable, interpolate
from core.errors import InvalidInput

_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-7]{0,3})")
_SPACE = " \t\v\f\r\x85\xa0"


def _unescape(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        seq = match.group(0)[1:]
        if seq == "$":
            return "$$"  # keeps a literal $ through interpolation
        if seq.startswith("0"):
            return chr(int(seq[1:] or "0", 8))
        return _ESCAPES.get(seq, match.group(0))

    return _ESCAPE_RE.sub(one, value)


def parse_dotenv(
    text: str,
    lookup: Lookup,
    *,
    raw: bool = False,
    on_missing: Callable[[MissingVariable], None] | None = None,
) -> dict[str, str]:
    """The variables defined by ``text``. ``on_missing`` hears of unmet ``${VAR:?msg}``.

    One loop over the text, kept whole on purpose: it is a small state machine (key, quoted or bare
    value, comment), and its states read best side by side, as in compose-go's own parser."""
    out: dict[str, str] = {}

    def resolve(name: str) -> str | None:
        found = lookup(name)
        return found if found is not None else out.get(name)

    def expand(value: str) -> str:
        if raw:
            return value
        result = interpolate(value, resolve)
        for missing in result.missing:
            if on_missing is None:
                raise InvalidInput(missing.describe())
            on_missing(missing)
        return result.value

    pos, line = 0, 1
    while True:
        while pos < len(text) and text[pos] in _SPACE + "\n":
            line += text[pos] == "\n"
            pos += 1
        if pos >= len(text):
            return out
        if text[pos] == "#":
            end = text.find("\n", pos)
            pos = len(text) if end == -1 else end
            continue
        match = re.match(r"export[ \t]+", text[pos:])
        if match:
            pos += match.end()
        end = pos
        while end < len(text) and text[end] not in "=:\n":
            char = text[end]
            if not (char.isalnum() or char in "_.-[]" or char in " \t"):
                first = text[pos:].split("\n", 1)[0]
                raise InvalidInput(f"line {line}: unexpected character {char!r} in variable name {first!r}")
            end += 1
        key = text[pos:end].rstrip()
        if not key:
            raise InvalidInput(f"line {line}: a variable has no name")
        if " " in key or "\t" in key:
            raise InvalidInput(f"line {line}: variable name {key!r} contains a space")
        if end >= len(text) or text[end] == "\n":
            inherited = lookup(key)
            if inherited is not None:
                out[key] = inherited
            pos = end
            continue
        pos = end + 1
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        quote = text[pos] if pos < len(text) and text[pos] in "\"'" else ""
        if not quote:
            end = text.find("\n", pos)
            end = len(text) if end == -1 else end
            value = text[pos:end].split(" #", 1)[0].rstrip()
            out[key] = expand(value)
            pos = end
            continue
        chars: list[str] = []
        i, escaped = pos + 1, False
        while i < len(text):
            char = text[i]
            if char != quote:
                if not escaped and char == "\\":
                    escaped = True
                else:
                    if escaped:
                        chars.append("\\")
                        escaped = False
                    chars.append(char)
                i += 1
                continue
            if escaped:
                chars.append(char)
                escaped = False
                i += 1
                continue
            break
        else:
            raise InvalidInput(f"line {line}: unterminated quoted value for {key}")
        value = "".join(chars)
        line += text.count("\n", pos, i)
        out[key] = expand(_unescape(value)) if quote == '"' else value
        pos = i + 1
