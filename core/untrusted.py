"""Bounded handling of untrusted text: YAML loading with an alias and depth budget, clipped echoes.

An uploaded kubeconfig or compose file is hostile until proven otherwise. ``load_yaml`` parses it
with PyYAML's safe loader, but refuses, before anything else looks at the result:

* aliases past ``max_aliases`` (kubeconfigs allow none; a registry file gets a small budget),
* a document that would expand past ``max_nodes`` nodes when every alias is followed (the
  "billion laughs" bomb: nine aliases of nine aliases of ... is small text but a huge tree),
* nesting deeper than ``max_depth`` (deep nesting otherwise ends in RecursionError).

``clip`` bounds every value that an error message echoes back, without walking a big structure.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node

from core.errors import InvalidInput

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_NODES = 200_000
CLIP = 80

_repr = reprlib.Repr()
_repr.maxlevel = 2
_repr.maxstring = CLIP
_repr.maxother = CLIP
_repr.maxlist = _repr.maxdict = _repr.maxtuple = _repr.maxset = 4


def clip(value: Any, limit: int = CLIP) -> str:
    """A short ``repr`` of ``value`` for a message: bounded work, at most ``limit`` characters."""
    text = repr(value[: limit + 1]) if isinstance(value, str) else _repr.repr(value)
    return cut(text, limit)


def cut(text: str, limit: int = CLIP) -> str:
    """Plain ``text`` for a message: printable characters only, at most ``limit`` of them."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class _BoundedLoader(yaml.SafeLoader):
    max_aliases = 0
    max_depth = DEFAULT_MAX_DEPTH
    max_nodes = DEFAULT_MAX_NODES

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._weight = 0
        self._weights: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > self.max_aliases:
                raise _Refused(
                    "YAML aliases (*name) are not accepted here"
                    if self.max_aliases == 0
                    else f"more than {self.max_aliases} YAML aliases (*name)",
                    "write the values out instead of using anchors (&name) and aliases (*name)",
                )
            node = super().compose_node(parent, index)
            self._add(self._weights.get(id(node), 1))
            return node
        self._depth += 1
        if self._depth > self.max_depth:
            raise _Refused(
                f"the YAML is nested more than {self.max_depth} levels deep",
                "flatten it; no real file needs that depth",
            )
        start = self._weight
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._add(1)
        if node is not None:
            self._weights[id(node)] = self._weight - start
        return node

    def _add(self, weight: int) -> None:
        self._weight += weight
        if self._weight > self.max_nodes:
            raise _Refused(
                f"the YAML expands to more than {self.max_nodes} values",
                "it is too big, or its aliases multiply it; write it out plainly",
            )


def load_yaml(
    text: str,
    *,
    what: str,
    max_aliases: int = 0,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Any:
    """One YAML document from untrusted ``text``, within the budgets; ``InvalidInput`` otherwise.

    ``what`` names the input in messages (e.g. "the kubeconfig").
    """
    loader_cls = type(
        "Loader",
        (_BoundedLoader,),
        {"max_aliases": max_aliases, "max_depth": max_depth, "max_nodes": max_nodes},
    )
    loader: _BoundedLoader | None = None
    try:
        loader = loader_cls(text)  # the reader refuses some characters right here
        return loader.get_single_data()
    except _Refused as exc:
        raise InvalidInput(f"{what} is refused: {exc.message}", hint=exc.hint) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = cut(str(exc.problem or exc.context or ""), 200)
        raise InvalidInput(
            f"{what} is not valid YAML{where}: {problem}", hint="check indentation and quoting there"
        ) from exc
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise InvalidInput(f"{what} is not valid YAML: {cut(str(exc), 200)}") from exc
    finally:
        if loader is not None:
            loader.dispose()


# -- text for a loader with its own schema (compose files) ---------------------------------------
# Added on the compose side (branch harden-compose): the compose loader keeps its own YAML 1.2
# schema and tags on libyaml's fast parser, so it checks the same budgets on the event stream first.

ALIAS_BUDGET = 20_000
"""At most this many values may be added by expanding aliases (a reused ``x-common`` block of 50
values in 100 services is 5,000)."""

MAX_CHARS = 4 * 1024 * 1024
"""YAML text longer than this is refused before it is parsed."""

_EventLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse(display: str, problem: str, hint: str) -> InvalidInput:
    return InvalidInput(f"{display}: {problem}", hint=hint)


def check_yaml(
    text: str,
    display: str,
    *,
    alias_budget: int = ALIAS_BUDGET,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_chars: int = MAX_CHARS,
) -> None:
    """Refuse ``text`` (``InvalidInput`` naming ``display``) when it is longer than ``max_chars``,
    nested deeper than ``max_depth``, or when its aliases would add more than ``alias_budget``
    values once expanded (an alias bomb; ``x-common: &common`` reused by every service is fine).

    One pass over the event stream: no data is built, nothing recursive. Syntax errors are left
    for the loader to report (it names the line and column).
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
        for event in yaml.parse(text, Loader=_EventLoader):
            if isinstance(event, yaml.AliasEvent):
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
                        "flatten the file; no compose file needs this depth",
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
