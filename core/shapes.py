"""Parsed YAML checked against a declared shape: the compose loader's and the catalog's validation.

pydantic did this job first. Importing it and building these models cost every command that reads
a compose file about 170 ms of its start (``render`` took 330 ms, where Python itself starts in 30),
so the few checks they need are written out here on top of dataclasses.

A shape is a subclass of :class:`Shape`: a frozen dataclass with keyword-only fields whose
annotations say what each key holds. :func:`check` builds one from a mapping, or raises
:class:`ShapeError` listing what is wrong with which key (a location path and a message). Nothing is
converted unless an annotation says how. The annotations understood:

- ``str``, ``bool``, ``int`` (not a boolean), ``float`` (an integer or a decimal), ``None``, ``Any``;
- ``Literal[...]``, ``list[T]``, ``dict[str, T]``, ``tuple[A, B]``, unions ``A | B``, another shape;
- ``Annotated[T, ...]`` with :class:`Cast` (a function run on the value first, not on ``None``;
  its ``ValueError`` is the message) and the rules :class:`Range`, :class:`Pattern` and
  :class:`MinItems`, checked after.

A key the shape does not declare is a problem; with ``extensions = True`` keys starting with ``x-``
are dropped first (compose's extension fields). Checks across keys go in ``__post_init__``, raising
``ValueError``: the message is reported at the shape's location. A list or dict written as a class
default (``tags: list[str] = []``) becomes a fresh copy for every instance.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar, Union

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # the decorator only tells type checkers that shapes are dataclasses

    def dataclass_transform(**_: object) -> Callable[[type], type]:
        return lambda cls: cls


Location = tuple[str | int, ...]
ShapeT = TypeVar("ShapeT", bound="Shape")


@dataclass(frozen=True)
class Cast:
    """Run ``function`` on the value before checking it (compose casts ``"8080"`` to a port)."""

    function: Callable[[Any], Any]


@dataclass(frozen=True)
class Range:
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Pattern:
    regex: str


@dataclass(frozen=True)
class MinItems:
    count: int


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (keys and list indexes from the checked mapping), what, and its kind
    (``unknown`` key, ``missing`` key, or ``value``)."""

    location: Location
    message: str
    kind: str = "value"

    def where(self) -> str:
        """``ports[0].target``: keys joined with dots, list indexes in brackets."""
        text = ""
        for part in self.location:
            text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
        return text


class ShapeError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.where() or '(top level)'}: {p.message}" for p in problems))
        self.problems = problems


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
class Shape:
    """Subclasses are frozen, keyword-only dataclasses checked by :func:`check`."""

    extensions: ClassVar[bool] = False  # drop keys starting with ``x-`` before checking

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in inspect.get_annotations(cls):
            default = cls.__dict__.get(name)
            if isinstance(default, list | dict):
                setattr(cls, name, dataclasses.field(default_factory=_copier(default)))
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)


def _copier(default: list[Any] | dict[Any, Any]) -> Callable[[], Any]:
    return lambda: copy.copy(default)


def check(shape: type[ShapeT], data: object, location: Location = ()) -> ShapeT:
    """``shape`` built from ``data``, or :class:`ShapeError` with every problem found."""
    problems: list[Problem] = []
    built = _value(shape, data, location, problems)
    if problems:
        raise ShapeError(problems)
    return typing.cast(ShapeT, built)


def field_names(shape: type[Shape]) -> list[str]:
    return [f.name for f in dataclasses.fields(typing.cast(Any, shape))]


# --- the checks -------------------------------------------------------------------------------

_BAD = object()  # a value that failed (its problem is recorded)
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(shape: type[Shape]) -> dict[str, Any]:
    """Each field's annotation, evaluated in the module of the class that declared it (not with
    ``typing.get_type_hints``, which makes the class the globals of a ``lambda`` in a Cast)."""
    hints = _HINTS.get(shape)
    if hints is None:
        fields = {f.name for f in dataclasses.fields(typing.cast(Any, shape)) if f.init}
        hints = {}
        for klass in reversed(shape.__mro__):
            module = vars(sys.modules[klass.__module__])
            for name, annotation in vars(klass).get("__annotations__", {}).items():
                if name in fields:
                    hints[name] = eval(annotation, module) if isinstance(annotation, str) else annotation
        _HINTS[shape] = hints
    return hints


def _required(shape: type[Shape]) -> Iterator[str]:
    for f in dataclasses.fields(typing.cast(Any, shape)):
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            yield f.name


def _build(shape: type[Shape], data: object, location: Location, problems: list[Problem]) -> object:
    if not isinstance(data, dict):
        problems.append(Problem(location, f"expected a mapping, got {_kind(data)}"))
        return _BAD
    if shape.extensions:
        data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    hints = _hints(shape)
    before = len(problems)
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in hints:
            problems.append(Problem((*location, str(key)), "is not a known key", "unknown"))
            continue
        value = _value(hints[key], raw, (*location, key), problems)
        if value is not _BAD:
            values[key] = value
    for name in _required(shape):
        if name not in data:
            problems.append(Problem((*location, name), "is required", "missing"))
    if len(problems) > before:
        return _BAD
    try:
        return shape(**values)
    except ValueError as exc:  # a check across keys (__post_init__)
        problems.append(Problem(location, str(exc)))
        return _BAD


def _value(hint: Any, value: object, location: Location, problems: list[Problem]) -> object:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        return _annotated(hint, value, location, problems)
    if hint is Any or hint is object:
        return value
    if origin in (Union, types.UnionType):
        return _union(typing.get_args(hint), value, location, problems)
    if isinstance(hint, type) and issubclass(hint, Shape):
        return _build(hint, value, location, problems)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if isinstance(value, str | int) and not isinstance(value, bool) and value in allowed:
            return value
        return _fail(location, f"expected one of {', '.join(repr(a) for a in allowed)}", value, problems)
    if origin is list:
        return _list(typing.get_args(hint)[0], value, location, problems)
    if origin is dict:
        return _dict(typing.get_args(hint)[1], value, location, problems)
    if origin is tuple:
        return _tuple(typing.get_args(hint), value, location, problems)
    if _plain(hint, value):
        return float(value) if hint is float else value  # type: ignore[arg-type]
    return _fail(location, f"expected {_describe(hint)}", value, problems)


def _plain(hint: Any, value: object) -> bool:
    if hint is None or hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    raise TypeError(f"core.shapes does not understand the annotation {hint!r}")


def _annotated(hint: Any, value: object, location: Location, problems: list[Problem]) -> object:
    base, *marks = typing.get_args(hint)
    for mark in marks:
        if isinstance(mark, Cast) and value is not None:
            try:
                value = mark.function(value)
            except ValueError as exc:
                problems.append(Problem(location, str(exc)))
                return _BAD
    value = _value(base, value, location, problems)
    if value is _BAD:
        return _BAD
    for mark in marks:
        message = _broken_rule(mark, value)
        if message:
            problems.append(Problem(location, message))
            return _BAD
    return value


def _broken_rule(mark: object, value: Any) -> str | None:
    if isinstance(mark, Range):
        if mark.low is not None and value < mark.low:
            return f"must be at least {mark.low:g}"
        if mark.high is not None and value > mark.high:
            return f"must be at most {mark.high:g}"
    elif isinstance(mark, Pattern):
        if not re.match(mark.regex, value):
            return f"must match {mark.regex}"
    elif isinstance(mark, MinItems) and len(value) < mark.count:
        return f"must have at least {mark.count} item{'' if mark.count == 1 else 's'}"
    return None


def _union(members: tuple[Any, ...], value: object, location: Location, problems: list[Problem]) -> object:
    if value is None and type(None) in members:
        return None
    candidates = [m for m in members if m is not type(None)]
    attempts: list[list[Problem]] = []
    for member in candidates:
        trial: list[Problem] = []
        out = _value(member, value, location, trial)
        if out is not _BAD:
            return out
        attempts.append(trial)
    # the one member that is not None, or the one of the value's own kind (a mapping for a shape),
    # says more with its own problem than "expected A or B"
    same_kind = [a for m, a in zip(candidates, attempts, strict=True) if _same_kind(m, value)]
    if len(candidates) == 1:
        same_kind = attempts
    if len(same_kind) == 1:
        problems.extend(same_kind[0])
        return _BAD
    described = " or ".join(_describe(m) for m in members)
    return _fail(location, f"expected {described}", value, problems)


def _list(item: Any, value: object, location: Location, problems: list[Problem]) -> object:
    if not isinstance(value, list):
        return _fail(location, "expected a list", value, problems)
    before = len(problems)
    out = [_value(item, v, (*location, i), problems) for i, v in enumerate(value)]
    return _BAD if len(problems) > before else out


def _dict(item: Any, value: object, location: Location, problems: list[Problem]) -> object:
    if not isinstance(value, dict):
        return _fail(location, "expected a mapping", value, problems)
    before = len(problems)
    out = {}
    for key, v in value.items():
        if not isinstance(key, str):
            problems.append(Problem((*location, str(key)), f"keys must be text, got {_kind(key)}"))
            continue
        out[key] = _value(item, v, (*location, key), problems)
    return _BAD if len(problems) > before else out


def _tuple(items: tuple[Any, ...], value: object, location: Location, problems: list[Problem]) -> object:
    if not isinstance(value, tuple | list) or len(value) != len(items):
        return _fail(location, f"expected a list of {len(items)} items", value, problems)
    before = len(problems)
    out = tuple(
        _value(h, v, (*location, i), problems) for i, (h, v) in enumerate(zip(items, value, strict=True))
    )
    return _BAD if len(problems) > before else out


def _fail(location: Location, message: str, value: object, problems: list[Problem]) -> object:
    problems.append(Problem(location, f"{message}, got {_kind(value)}"))
    return _BAD


def _same_kind(hint: Any, value: object) -> bool:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        return _same_kind(typing.get_args(hint)[0], value)
    if (isinstance(hint, type) and issubclass(hint, Shape)) or origin is dict:
        return isinstance(value, dict)
    if origin in (list, tuple):
        return isinstance(value, list | tuple)
    return False


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        return _describe(typing.get_args(hint)[0])
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(m) for m in typing.get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin is list:
        return f"a list of {_plural(typing.get_args(hint)[0])}"
    if origin is dict or (isinstance(hint, type) and issubclass(hint, Shape)):
        return "a mapping"
    if origin is tuple:
        return "a list"
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}
    return names.get(hint, "a value") if hint is not None else "null"


def _plural(hint: Any) -> str:
    described = _describe(hint)
    for article in ("a ", "an "):
        if described.startswith(article):
            return described.removeprefix(article) + "s"
    return "values"


def _kind(value: object) -> str:
    """What a value is, never the value itself (it may be a secret someone mistyped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a mapping"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), type(value).__name__)
