"""Bounded YAML: a check of untrusted YAML text before it is built into data, and bounded reprs. Pure.

PyYAML builds an alias as a reference to the anchored value, so a few hundred bytes
(``a1: &a1 [*a0, *a0, ...]`` nested a few levels, then ``kind: *a8``) become a value that is
billions of items long to anyone who walks it: interpolation, validation, an error message
that prints it. :func:`check_yaml` reads the text's event stream once (no data is built, nothing
recursive) and refuses, as :class:`core.errors.InvalidInput`:

- text longer than ``max_chars``;
- nesting deeper than ``max_depth`` (lists and mappings inside each other);
- with ``aliases=False`` (kubeconfigs), any alias at all;
- otherwise, aliases that would add more than ``alias_budget`` values when expanded (compose
  files: ``x-common: &common`` reused by every service is fine; a bomb is not).

:func:`short_repr` is the only way an error message quotes a value it did not make: at most
``limit`` characters, computed without walking more than a few items of any list or mapping.
"""

from __future__ import annotations

import reprlib

import yaml

from core.errors import InvalidInput

MAX_DEPTH = 64
"""Lists and mappings nested deeper than this are refused (compose files rarely go past 10)."""

ALIAS_BUDGET = 20_000
"""At most this many values may be added by expanding aliases (a reused ``x-common`` block of 50
values in 100 services is 5,000)."""

MAX_CHARS = 4 * 1024 * 1024
"""YAML text longer than this is refused before it is parsed."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to at most ``limit`` characters, walking only a few items of anything."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _refuse(display: str, problem: str, hint: str) -> InvalidInput:
    return InvalidInput(f"{display}: {problem}", hint=hint)


def check_yaml(
    text: str,
    display: str,
    *,
    aliases: bool = True,
    alias_budget: int = ALIAS_BUDGET,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_CHARS,
) -> None:
    """Refuse ``text`` when it is too long, too deep, or (by its aliases) too large once expanded.

    Syntax errors are left for the loader to report (it names the line and column).
    """
    if len(text) > max_chars:
        raise _refuse(
            display,
            f"{len(text):,} characters is more than the {max_chars:,} allowed",
            "split the file, or check that it is the file you meant",
        )
    sizes: dict[str, int] = {}  # anchor -> values in the anchored node, aliases expanded
    anchors: list[str | None] = []  # per open list or mapping: its anchor
    counts: list[int] = []  # and the values in it so far
    added = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                if not aliases:
                    raise _refuse(
                        display,
                        f"YAML aliases (*{short_repr(event.anchor, 40)[1:-1]}) are not accepted here",
                        "write the value out in full instead of using an anchor (&) and alias (*)",
                    )
                size = sizes.get(str(event.anchor), 1)
                added += size
                if added > alias_budget:
                    raise _refuse(
                        display,
                        f"its YAML aliases expand to more than {alias_budget:,} values",
                        "use fewer or smaller anchors (&) and aliases (*); this looks like an alias bomb",
                    )
                if counts:
                    counts[-1] += size
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    sizes[str(event.anchor)] = 1
                if counts:
                    counts[-1] += 1
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(counts) >= max_depth:
                    raise _refuse(
                        display,
                        f"YAML nested more than {max_depth} levels deep",
                        "flatten the file; no compose file or kubeconfig needs this depth",
                    )
                anchors.append(event.anchor)
                counts.append(1)
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, count = anchors.pop(), counts.pop()
                if anchor is not None:
                    sizes[anchor] = count
                if counts:
                    counts[-1] += count
    except yaml.YAMLError:
        return  # the loader reports it, with its line and column


def safe_load(text: str, display: str, *, aliases: bool = False, max_depth: int = MAX_DEPTH) -> object:
    """One YAML document of untrusted text as data (the safe schema), after :func:`check_yaml`."""
    check_yaml(text, display, aliases=aliases, max_depth=max_depth)
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = str(getattr(exc, "problem", None) or exc)[:200]
        raise InvalidInput(
            f"{display}: not valid YAML{where}: {problem}", hint="check indentation and quoting"
        ) from exc
