"""Manifests as YAML text: strings stay strings for every reader (PyYAML's YAML 1.1, and the YAML
1.2 / Go YAML rules that kubectl and kustomize follow)."""

from __future__ import annotations

import pytest
import yaml

from core.manifests.yamldocs import to_yaml


@pytest.mark.parametrize(
    "value",
    [
        "1e+06",
        "1E6",
        "-1e-3",
        "6.02e23",
        "8274100359282e67",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        ".5",
        ".inf",
        "08",
    ],
)
def test_strings_that_read_as_numbers_are_quoted(value: str) -> None:
    text = to_yaml([{"data": {"K": value}}])
    assert f"K: '{value}'" in text
    assert yaml.safe_load(text.removeprefix("---\n")) == {"data": {"K": value}}


@pytest.mark.parametrize("value", ["hello", "v5865", "1.2.3", "e10", "3-2", "0x", "redis:7"])
def test_other_strings_stay_plain(value: str) -> None:
    assert f"K: {value}\n" in to_yaml([{"data": {"K": value}}])


def test_multiline_strings_are_blocks() -> None:
    assert "K: |\n    a\n    b\n" in to_yaml([{"data": {"K": "a\nb\n"}}])
