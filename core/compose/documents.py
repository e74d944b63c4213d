"""YAML text to data, read as compose-go's YAML library reads it. Pure: text in, data out.

The YAML 1.2 core schema: only ``true``/``false`` are booleans (``no`` and ``on`` stay strings, so
``restart: no`` works), integers follow Go's rules (``0755`` octal, ``0x1F``, ``1_000``), and there
are no base-60 numbers (``22:22`` stays a string). Anchors, aliases and ``<<`` merge keys work;
a key written twice in one mapping is an error, as in compose.

Compose's own tags are kept as markers for the merge that follows (``extends``, ``include`` and
override files): ``!reset`` (:class:`Reset`) removes the value it is merged over, and
``!override`` (:class:`Override`) replaces it instead of merging into it. Where nothing is merged,
:func:`strip_tags` drops a reset key and unwraps an override.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from core.errors import InvalidInput
from core.untrusted import check_yaml, clip


@dataclass(frozen=True)
class Reset:
    """``!reset``: the value this key would be merged over is removed."""


@dataclass(frozen=True)
class Override:
    """``!override``: this value replaces the one it would be merged into."""

    value: Any


def strip_tags(node: Any) -> Any:
    """``node`` with reset keys (and list items) dropped and overrides unwrapped."""
    if isinstance(node, Override):
        return strip_tags(node.value)
    if isinstance(node, dict):
        return {k: strip_tags(v) for k, v in node.items() if not isinstance(v, Reset)}
    if isinstance(node, list):
        return [strip_tags(item) for item in node if not isinstance(item, Reset)]
    return node


MAX_DIGITS = 100
"""A YAML integer longer than this is refused (compose's are 64-bit: at most 20 digits)."""


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.2 core schema, as compose-go's YAML library reads it."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key may not be a list or mapping", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {clip(key)} is defined twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_go_int(self, node: yaml.ScalarNode) -> int | float | str:
        text = str(self.construct_scalar(node)).replace("_", "")
        if len(text) > MAX_DIGITS:  # compose reads 64-bit numbers; Python refuses > 4,300 digits
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(text):,} digits is too long", node.start_mark
            )
        sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
        for prefix, base in (("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)):
            if digits.startswith(prefix):
                return int(sign + digits[2:], base)
        if len(digits) > 1 and digits.startswith("0"):
            if re.fullmatch(r"[0-7]+", digits):
                return int(sign + digits, 8)
            return float(text)
        return int(text)


for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", "-+0123456789."),
    ("float", r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+."),
    ("merge", r"^(?:<<)$", "<"),
):
    _YamlLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))
_YamlLoader.add_constructor("tag:yaml.org,2002:int", _YamlLoader.construct_go_int)


def _construct_untagged(loader: _YamlLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))
    return loader.construct_object(yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark))


_YamlLoader.add_constructor("!reset", lambda loader, node: Reset())
_YamlLoader.add_constructor("!override", lambda loader, node: Override(_construct_untagged(loader, node)))


def parse_yaml(text: str, display: str) -> tuple[object, bool]:
    """The first document of ``text`` and whether there were more; bounded (``core.untrusted.check_yaml``)."""
    check_yaml(text, display)
    try:
        documents = list(yaml.load_all(text, Loader=_YamlLoader))
    except (ValueError, OverflowError, RecursionError) as exc:  # a defence: check_yaml bounds these
        raise InvalidInput(f"{display}: not valid YAML: {clip(str(exc), 200)}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = str(getattr(exc, "problem", None) or exc)[:200]
        raise InvalidInput(
            f"{display}: not valid YAML{where}: {problem}", hint="check indentation and quoting"
        ) from exc
    documents = [d for d in documents if d is not None]
    return (documents[0] if documents else None), len(documents) > 1
