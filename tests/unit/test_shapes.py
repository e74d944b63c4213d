"""core.shapes: parsed YAML checked against declared shapes (the compose loader's and the catalog's
validation, without pydantic)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Annotated, Any, ClassVar, Literal

import pytest

from core.shapes import Cast, MinItems, Pattern, Range, Shape, ShapeError, check, field_names


def _doubled(value: object) -> object:
    if value == "bad":
        raise ValueError("bad is not a number here")
    return int(value) * 2 if isinstance(value, str) else value


class Inner(Shape):
    port: Annotated[int, Range(1, 65535)]
    scheme: Annotated[str, Pattern(r"^[a-z]+$")] = "tcp"


class Outer(Shape):
    extensions: ClassVar[bool] = True

    name: str
    count: int = 0
    ratio: float | None = None
    enabled: bool = False
    mode: Literal["a", "b"] = "a"
    doubled: Annotated[int, Cast(_doubled)] | None = None
    tags: list[str] = []
    labels: dict[str, str] = {}
    pair: tuple[str, str] | None = None
    inner: Inner | None = None
    inners: Annotated[list[Inner], MinItems(1)] = dataclasses.field(default_factory=lambda: [Inner(port=1)])
    either: str | list[str] | None = None
    anything: Any = None

    def __post_init__(self) -> None:
        if self.name == "forbidden":
            raise ValueError("the name 'forbidden' is taken")


def problems(data: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ShapeError) as caught:
        check(Outer, data)
    return [(p.where(), p.message, p.kind) for p in caught.value.problems]


def test_a_good_mapping_builds_a_frozen_instance_with_fresh_defaults() -> None:
    first = check(
        Outer, {"name": "x", "ratio": 2, "doubled": "21", "pair": ["a", "b"], "inner": {"port": 80}}
    )
    assert (first.ratio, first.doubled, first.pair, first.inner) == (2.0, 42, ("a", "b"), Inner(port=80))
    assert isinstance(first.ratio, float)
    second = check(Outer, {"name": "y"})
    assert first.tags is not second.tags and first.labels is not second.labels  # a copy each
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.name = "z"  # type: ignore[misc]


def test_unknown_and_missing_keys_are_named_and_extension_keys_dropped() -> None:
    assert problems({"colour": "red", "x-note": "kept out"}) == [
        ("colour", "is not a known key", "unknown"),
        ("name", "is required", "missing"),
    ]
    assert check(Outer, {"name": "x", "x-anything": {"deep": 1}}).name == "x"
    with pytest.raises(ShapeError, match="x-note: is not a known key"):
        check(Inner, {"port": 1, "x-note": 1})  # no extensions on this shape


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"count": True}, ("count", "expected an integer, got a boolean")),
        ({"count": 1.5}, ("count", "expected an integer, got a number")),
        ({"enabled": 1}, ("enabled", "expected true or false, got an integer")),
        ({"ratio": False}, ("ratio", "expected a number, got a boolean")),
        ({"mode": "c"}, ("mode", "expected one of 'a', 'b', got a string")),
        ({"tags": "one"}, ("tags", "expected a list, got a string")),
        ({"tags": ["ok", 3]}, ("tags[1]", "expected a string, got an integer")),
        ({"labels": {"a": 1}}, ("labels.a", "expected a string, got an integer")),
        ({"labels": {5: "a"}}, ("labels.5", "keys must be text, got an integer")),
        ({"pair": ["a"]}, ("pair", "expected a list of 2 items, got a list")),
        ({"inner": {"port": 0}}, ("inner.port", "must be at least 1")),
        ({"inner": {"port": 1, "scheme": "HTTP"}}, ("inner.scheme", "must match ^[a-z]+$")),
        ({"inner": "redis"}, ("inner", "expected a mapping, got a string")),
        ({"inners": []}, ("inners", "must have at least 1 item")),
        ({"inners": [{"port": 1}, {"port": "x"}]}, ("inners[1].port", "expected an integer, got a string")),
        ({"doubled": "bad"}, ("doubled", "bad is not a number here")),
        ({"either": 5}, ("either", "expected a string or a list of strings or null, got an integer")),
        ({"either": ["a", 5]}, ("either[1]", "expected a string, got an integer")),
        ({"name": None}, ("name", "expected a string, got null")),
    ],
)
def test_each_wrong_value_is_named_by_its_path(data: dict[str, Any], expected: tuple[str, str]) -> None:
    assert [p[:2] for p in problems({"name": "x", **data})] == [expected]


def test_every_problem_is_reported_and_a_cross_key_check_speaks_at_its_shape() -> None:
    assert [p[0] for p in problems({"name": 1, "count": "x", "tags": [1]})] == ["name", "count", "tags[0]"]
    assert problems({"name": "forbidden"}) == [("", "the name 'forbidden' is taken", "value")]
    with pytest.raises(ShapeError, match=r"^\(top level\): the name 'forbidden' is taken$"):
        check(Outer, {"name": "forbidden"})
    assert problems(["not", "a", "mapping"]) == [("", "expected a mapping, got a list", "value")]


def test_a_message_never_repeats_the_value() -> None:
    """A secret typed into the wrong key must not come back in the error."""
    secret = "s3cr3t-Passw0rd-9f8e7d"
    found = problems({"name": "x", "count": secret, "labels": {"k": [secret]}, "tags": {secret: 1}})
    assert found and not any(secret in message or secret in where for where, message, _ in found)


def test_field_names_lists_the_keys_a_shape_reads() -> None:
    assert field_names(Inner) == ["port", "scheme"]
    assert "extensions" not in field_names(Outer)


def test_reading_compose_files_does_not_import_pydantic() -> None:
    code = (
        "import sys, core.compose.loading, core.manifests.compiler, core.catalog;"
        "core.catalog.load_catalog(); print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
