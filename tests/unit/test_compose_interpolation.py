"""Compose variable interpolation and ``.env`` parsing: pure functions, tested as tables."""

from __future__ import annotations

import pytest

from core.compose.dotenv import parse_dotenv
from core.compose.interpolation import MissingVariable, interpolate, mapping_lookup
from core.errors import InvalidInput

ENV = {"SET": "value", "EMPTY": "", "USER": "alice", "PASS": "s3cret", "PORT": "8080"}
lookup = mapping_lookup(ENV)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("$SET", "value"),
        ("${SET}", "value"),
        ("$SET-suffix", "value-suffix"),
        ("${SET}suffix", "valuesuffix"),
        ("${UNSET}", ""),
        ("$UNSET/x", "/x"),
        # :- uses the default when unset or empty; - only when unset
        ("${UNSET:-default}", "default"),
        ("${EMPTY:-default}", "default"),
        ("${SET:-default}", "value"),
        ("${UNSET-default}", "default"),
        ("${EMPTY-default}", ""),
        ("${SET-default}", "value"),
        # :+ uses the alternative when set and not empty; + when set
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${UNSET:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        # required forms that are met
        ("${SET:?needed}", "value"),
        ("${EMPTY?needed}", ""),
        # nesting and several variables in one value
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("${A:-${B:-${C:-x}}}-${SET}", "x-value"),
        ("${USER:-neo4j}/${PASS:-password}", "alice/s3cret"),
        ("postgres://${USER}:${PASS}@db:${PORT:-5432}/app", "postgres://alice:s3cret@db:8080/app"),
        ("${SET:+${USER}@${PORT}}", "alice@8080"),
        # $$ escapes; a $ that starts nothing stays
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("a $$ b", "a $ b"),
        ("costs $5", "costs $5"),
        ("$(hostname)", "$(hostname)"),
        ("trailing $", "trailing $"),
        ("${UNSET:-$$}", "$"),
        # braces inside a default are balanced
        ('${UNSET:-{"a": 1}}', '{"a": 1}'),
        ("${UNSET:-a}}", "a}"),
        # defaults keep colons and dashes
        ("${UNSET:-http://x:80/a-b}", "http://x:80/a-b"),
        ("${UNSET:--}", "-"),
        ("${lower_case:-ok}", "ok"),
    ],
)
def test_interpolate_values(template: str, expected: str) -> None:
    assert interpolate(template, lookup).value == expected


@pytest.mark.parametrize(
    ("template", "variables", "unset"),
    [
        ("no variables", (), ()),
        ("${SET}", ("SET",), ()),
        ("$UNSET and ${SET}", ("UNSET", "SET"), ("UNSET",)),
        ("${SET:-${NEVER_NEEDED}}", ("SET", "NEVER_NEEDED"), ()),
        ("${UNSET:-${ALSO}}", ("UNSET", "ALSO"), ("ALSO",)),
        ("${SET}${SET}", ("SET",), ()),
        ("$$ESCAPED", (), ()),
    ],
)
def test_referenced_and_unset_variables(
    template: str, variables: tuple[str, ...], unset: tuple[str, ...]
) -> None:
    result = interpolate(template, lookup)
    assert result.variables == variables
    assert result.unset == unset


@pytest.mark.parametrize(
    ("template", "missing"),
    [
        ("${UNSET:?set it please}", MissingVariable("UNSET", "set it please")),
        ("${EMPTY:?no empties}", MissingVariable("EMPTY", "no empties")),
        ("${UNSET?}", MissingVariable("UNSET", "")),
        ("${UNSET:?need ${SET} here}", MissingVariable("UNSET", "need value here")),
    ],
)
def test_unmet_required_variables_are_recorded_not_raised(template: str, missing: MissingVariable) -> None:
    result = interpolate(template, lookup)
    assert result.missing == (missing,)
    assert result.value == ""


def test_a_required_variable_inside_an_unused_default_is_not_missing() -> None:
    assert interpolate("${SET:-${UNSET:?never asked}}", lookup).missing == ()
    assert interpolate("${UNSET:-${ALSO:?asked}}", lookup).missing == (MissingVariable("ALSO", "asked"),)


def test_missing_variable_describes_itself() -> None:
    assert (
        MissingVariable("DB", "the password").describe()
        == "required variable DB is missing a value: the password"
    )
    assert MissingVariable("DB", "").describe() == "required variable DB is missing a value"


@pytest.mark.parametrize(
    "template", ["${}", "${1ABC}", "${SET", "${SET:x}", "${SET.x}", "a ${UNSET:-b", "${ SET}"]
)
def test_syntax_errors(template: str) -> None:
    with pytest.raises(InvalidInput, match="invalid interpolation"):
        interpolate(template, lookup)


def test_lookup_precedence_is_left_to_right() -> None:
    chained = mapping_lookup({"A": "settings"}, {"A": "environment", "B": "environment"}, {"C": "dotenv"})
    assert [chained(n) for n in "ABCD"] == ["settings", "environment", "dotenv", None]


DOTENV = """
# comment line
export EXPORTED=yes
PLAIN=plain value   # trailing comment
HASH=a#b
COLON: yaml-style
DOUBLE="quoted \\"inner\\" with ${PLAIN} and \\n newline"
SINGLE='literal ${PLAIN} \\n'
MULTI="first
second"
EMPTY=
REUSE=${EXPORTED}-${FROM_LOOKUP}
DEFAULTED=${NOT_ANYWHERE:-fallback}
ESCAPED="\\$PLAIN"
UNQUOTED_BACKSLASH=\\$PLAIN
INHERITED
NOT_INHERITED
"""


def test_dotenv_parsing() -> None:
    values = parse_dotenv(DOTENV, mapping_lookup({"FROM_LOOKUP": "env", "INHERITED": "from-env"}))
    assert values == {
        "EXPORTED": "yes",
        "PLAIN": "plain value",
        "HASH": "a#b",
        "COLON": "yaml-style",
        "DOUBLE": 'quoted "inner" with plain value and \n newline',
        "SINGLE": "literal ${PLAIN} \\n",
        "MULTI": "first\nsecond",
        "EMPTY": "",
        "REUSE": "yes-env",
        "DEFAULTED": "fallback",
        "ESCAPED": "$PLAIN",
        "UNQUOTED_BACKSLASH": "\\plain value",
        "INHERITED": "from-env",
    }


def test_dotenv_lookup_wins_over_earlier_lines() -> None:
    text = "DOC_ENGINE=${DOC_ENGINE:-elasticsearch}\nPROFILE=${DOC_ENGINE}\n"
    assert parse_dotenv(text, mapping_lookup({}))["PROFILE"] == "elasticsearch"
    assert parse_dotenv(text, mapping_lookup({"DOC_ENGINE": "infinity"}))["PROFILE"] == "infinity"


def test_dotenv_raw_format_takes_values_literally() -> None:
    assert parse_dotenv("A=${B:-x}\n", mapping_lookup({}), raw=True) == {"A": "${B:-x}"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BAD KEY=1\n", "contains a space"),
        ("A%B=1\n", "unexpected character"),
        ('A="never closed\n', "unterminated"),
        ("A=${REQUIRED:?give it}\n", "required variable REQUIRED is missing a value: give it"),
    ],
)
def test_dotenv_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_dotenv(text, mapping_lookup({}))


def test_dotenv_missing_required_can_be_collected() -> None:
    seen: list[MissingVariable] = []
    assert parse_dotenv("A=${REQUIRED:?give it}\n", mapping_lookup({}), on_missing=seen.append) == {"A": ""}
    assert seen == [MissingVariable("REQUIRED", "give it")]
