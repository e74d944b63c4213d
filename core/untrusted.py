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
