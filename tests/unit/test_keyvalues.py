"""``KEY=VALUE`` as a person gives it: one rule for the CLI's ``--env`` and the dashboard's boxes."""

from __future__ import annotations

import pytest

from core.compose.keyvalues import BAD_NAME, NO_EQUALS, parse_lines, parse_options, split_pair, unquote
from core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "env", "problems"),
    [
        ("", {}, []),
        ("A=1\nB=two", {"A": "1", "B": "two"}, []),
        ("  A = 1 ", {"A": " 1 "}, []),  # the name is trimmed, the value is kept as typed
        ("export TOKEN=x=y", {"TOKEN": "x=y"}, []),  # `export`, and `=` inside the value
        ("EMPTY=", {"EMPTY": ""}, []),
        ("# a comment\n\n   \nA=1", {"A": "1"}, []),
        ("A=1\nA=2", {"A": "2"}, []),  # the last one wins
        ("A=1\nsk-secret-value", {"A": "1"}, ["line 2 has no `=`"]),
        (
            "1A=x\nmy var=y",
            {},
            [
                "line 1: the name before `=` is not a variable name",
                "line 2: the name before `=` is not a variable name",
            ],
        ),
        ("=value", {}, ["line 1: the name before `=` is not a variable name"]),
    ],
)
def test_parse_lines(text: str, env: dict[str, str], problems: list[str]) -> None:
    assert parse_lines(text) == (env, problems)


def test_parse_lines_never_echoes_a_mistyped_line() -> None:
    _, problems = parse_lines("OPENAI_API_KEY sk-live-1234567890")
    assert problems == ["line 1 has no `=`"]
    assert not any("sk-live" in p or "OPENAI" in p for p in problems)


@pytest.mark.parametrize(
    ("item", "pair"),
    [
        ("A=1", ("A", "1")),
        ("TOKEN=x=y==", ("TOKEN", "x=y==")),  # `=` in the value (base64 padding, URLs)
        (
            "URL=postgres://u:p@db:5432/app?sslmode=require",
            ("URL", "postgres://u:p@db:5432/app?sslmode=require"),
        ),
        ("EMPTY=", ("EMPTY", "")),
        ("A=  spaced  ", ("A", "  spaced  ")),  # kept as given
        ('A="quoted value"', ("A", "quoted value")),
        ("A='single # not a comment'", ("A", "single # not a comment")),
        ('A= "x" ', ("A", "x")),  # spaces around the quotes do not count
        ('A=""', ("A", "")),
        ('A="', ("A", '"')),  # one quote alone is kept
        ("A=\"x'", ("A", "\"x'")),  # quotes that do not match are kept
        ('A="a"b"', ("A", 'a"b')),  # one pair only: what is inside stays
        ("A=x # not a comment", ("A", "x # not a comment")),
        ("export  TOKEN=x", ("TOKEN", "x")),
        ("export=1", ("export", "1")),
        ("spring.profiles.active=dev", ("spring.profiles.active", "dev")),  # Kubernetes allows . and -
        ("_A-b.c=1", ("_A-b.c", "1")),
        ("PEM=-----BEGIN-----\nabc\n-----END-----", ("PEM", "-----BEGIN-----\nabc\n-----END-----")),
        ("no equals", NO_EQUALS),
        ("", NO_EQUALS),
        ("=value", BAD_NAME),
        ("1A=x", BAD_NAME),
        ("my var=y", BAD_NAME),
        ("A$B=x", BAD_NAME),
        ("${A}=x", BAD_NAME),
    ],
)
def test_split_pair(item: str, pair: tuple[str, str] | str) -> None:
    assert split_pair(item) == pair


@pytest.mark.parametrize(
    ("value", "unquoted"),
    [("'x'", "x"), ('"x"', "x"), ("'x\"", "'x\""), ("x", "x"), (" x ", " x "), ("''", ""), ("'", "'")],
)
def test_unquote(value: str, unquoted: str) -> None:
    assert unquote(value) == unquoted


def test_a_box_and_the_options_read_alike() -> None:
    lines = ["A=1", 'B="two words"', "C=x=y", "D="]
    env, problems = parse_lines("\n".join(lines))
    assert not problems
    assert parse_options(lines) == env == {"A": "1", "B": "two words", "C": "x=y", "D": ""}


def test_an_option_may_hold_newlines() -> None:
    assert parse_options(["CERT=line one\nline two"]) == {"CERT": "line one\nline two"}


def test_options_are_optional() -> None:
    assert parse_options(None) == {}
    assert parse_options([]) == {}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["A=1", "sk-live-1234567890"], "--env number 2 is not KEY=VALUE: has no `=`"),
        (["1A=sk-live-1234567890"], "--env number 1 is not KEY=VALUE: the name before `=` is not a variable"),
    ],
)
def test_a_bad_option_is_refused_without_echoing_it(items: list[str], message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_options(items)
    assert message in info.value.message
    assert "sk-live" not in info.value.message + (info.value.hint or "")
    assert info.value.hint == "for example --env OPENAI_API_KEY=sk-..."
