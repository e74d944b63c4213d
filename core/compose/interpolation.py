"""Compose variable interpolation, as the compose specification defines it. Pure: no I/O.

``interpolate(value, lookup)`` expands one string. ``lookup(name)`` returns the variable's value,
or ``None`` when it is unset (an empty string is *set*). The result keeps the expanded text and
what the template asked for, so a caller can decide what a missing variable means:

==========================  ===================================================================
``$VAR``, ``${VAR}``        the value; unset gives ``""`` and the name goes into ``unset``
``${VAR:-default}``         ``default`` when VAR is unset or empty
``${VAR-default}``          ``default`` when VAR is unset
``${VAR:?message}``         an error when VAR is unset or empty: recorded in ``missing``
``${VAR?message}``          an error when VAR is unset: recorded in ``missing``
``${VAR:+alternative}``     ``alternative`` when VAR is set and not empty, else ``""``
``${VAR+alternative}``      ``alternative`` when VAR is set, else ``""``
``$$``                      a literal ``$``
==========================  ===================================================================

Defaults, alternatives and messages are templates themselves (``${A:-${B:-x}}``) and are only
evaluated when used. A ``$`` not followed by a name, ``{`` or ``$`` stays as it is (``$1``,
``$(cmd)``), as in compose. ``${`` without a valid name and closing brace is a syntax error
(:class:`core.errors.InvalidInput`). ``variables`` lists every name the template mentions, in
order, including those in defaults that were not needed: the deploy form shows them all.
``values`` pairs each reference that was expanded with the text it put in the result (the
variable's value, or the default that stood in for it; ``${VAR:+alt}`` puts no value of VAR in):
the loader uses it to find where secret values ended up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core.errors import InvalidInput
from core.untrusted import clip

Lookup = Callable[[str], str | None]

_OPERATORS = (":-", ":?", ":+", "-", "?", "+")

MAX_NESTING = 16
"""``${A:-${B:-...}}`` nested deeper than this is refused (an error for that file, not a crash)."""


@dataclass(frozen=True)
class MissingVariable:
    """A ``${VAR:?message}`` or ``${VAR?message}`` whose variable had no (non-empty) value."""

    name: str
    message: str

    def describe(self) -> str:
        text = f"required variable {self.name} is missing a value"
        return f"{text}: {self.message}" if self.message else text


@dataclass(frozen=True)
class Interpolation:
    value: str
    variables: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()
    missing: tuple[MissingVariable, ...] = ()
    values: tuple[tuple[str, str], ...] = ()  # (variable, the text it expanded to), per reference


@dataclass
class _State:
    lookup: Lookup
    variables: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)
    missing: list[MissingVariable] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)
    level: int = 0  # how many ``${`` are open

    def note(self, names: list[str], name: str) -> None:
        if name not in names:
            names.append(name)


def _is_name_start(char: str) -> bool:
    return char == "_" or ("a" <= char.lower() <= "z")


def _is_name_char(char: str) -> bool:
    return _is_name_start(char) or (char.isascii() and char.isdigit())


def _read_name(text: str, pos: int) -> int:
    """The end of the variable name starting at ``pos`` (== pos when there is none)."""
    if pos >= len(text) or not _is_name_start(text[pos]):
        return pos
    end = pos + 1
    while end < len(text) and _is_name_char(text[end]):
        end += 1
    return end


def _syntax_error(template: str) -> InvalidInput:
    return InvalidInput(
        f"invalid interpolation in {clip(template)}",
        hint="write ${NAME}, ${NAME:-default} or ${NAME:?message}; escape a literal $ as $$",
    )


def _expand(
    text: str, pos: int, state: _State, evaluate: bool, nested: bool, template: str
) -> tuple[str, int]:
    """Expand from ``pos``; when ``nested``, stop at the ``}`` that closes the enclosing ``${``."""
    out: list[str] = []
    depth = 0
    while pos < len(text):
        char = text[pos]
        if char == "$":
            nxt = text[pos + 1] if pos + 1 < len(text) else ""
            if nxt == "$":
                out.append("$")
                pos += 2
            elif nxt == "{":
                value, pos = _braced(text, pos + 2, state, evaluate, template)
                out.append(value)
            else:
                end = _read_name(text, pos + 1)
                if end == pos + 1:
                    out.append("$")
                    pos += 1
                    continue
                name = text[pos + 1 : end]
                out.append(_plain(name, state, evaluate))
                pos = end
            continue
        if nested and char == "{":
            depth += 1
        elif nested and char == "}":
            if depth == 0:
                return "".join(out), pos + 1
            depth -= 1
        out.append(char)
        pos += 1
    if nested:
        raise _syntax_error(template)
    return "".join(out), pos


def _plain(name: str, state: _State, evaluate: bool) -> str:
    state.note(state.variables, name)
    if not evaluate:
        return ""
    value = state.lookup(name)
    if value is None:
        state.note(state.unset, name)
        state.values.append((name, ""))  # where it would go still counts (a secret's place)
        return ""
    state.values.append((name, value))
    return value


def _braced(text: str, pos: int, state: _State, evaluate: bool, template: str) -> tuple[str, int]:
    """Expand ``${...}``; ``pos`` is just after ``${``. Returns the value and the end position."""
    end = _read_name(text, pos)
    if end == pos:
        raise _syntax_error(template)
    name = text[pos:end]
    if end < len(text) and text[end] == "}":
        return _plain(name, state, evaluate), end + 1
    operator = next((op for op in _OPERATORS if text.startswith(op, end)), None)
    if operator is None:
        raise _syntax_error(template)
    state.note(state.variables, name)
    value = state.lookup(name) if evaluate else None
    is_set = value is not None
    is_full = bool(value)
    if operator in (":-", "-"):
        use_arg = not (is_full if operator == ":-" else is_set)
    elif operator in (":+", "+"):
        use_arg = is_full if operator == ":+" else is_set
    else:
        use_arg = not (is_full if operator == ":?" else is_set)
    state.level += 1
    if state.level > MAX_NESTING:
        raise InvalidInput(
            f"interpolation nested more than {MAX_NESTING} levels deep in {clip(template)}",
            hint="use fewer ${NAME:-default} inside one another",
        )
    arg, after = _expand(text, end + len(operator), state, evaluate and use_arg, True, template)
    state.level -= 1
    if not evaluate:
        return "", after
    if operator in (":?", "?"):
        if use_arg:
            state.missing.append(MissingVariable(name, arg))
            state.values.append((name, ""))
            return "", after
        state.values.append((name, value or ""))
        return value or "", after
    if operator in (":+", "+"):  # the alternative is not VAR's value (its own references are recorded)
        return (arg if use_arg else ""), after
    result = arg if use_arg else value or ""
    state.values.append((name, result))
    return result, after


def interpolate(value: str, lookup: Lookup) -> Interpolation:
    """Expand every variable in ``value`` (see the module docstring for the syntax)."""
    if "$" not in value:
        return Interpolation(value)
    state = _State(lookup)
    text, _ = _expand(value, 0, state, True, False, value)
    return Interpolation(
        text, tuple(state.variables), tuple(state.unset), tuple(state.missing), tuple(state.values)
    )


def mapping_lookup(*sources: Mapping[str, str]) -> Lookup:
    """A lookup over mappings in order of precedence (the first that has the name wins)."""

    def lookup(name: str) -> str | None:
        for source in sources:
            found = source.get(name)
            if found is not None:
                return found
        return None

    return lookup
