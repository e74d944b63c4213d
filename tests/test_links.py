"""Shareable scan links: built and read in one place."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.links import parse_scan_id, scan_link
from core.store import new_id


@pytest.mark.parametrize(
    ("public_url", "scan_id", "link"),
    [
        (
            "http://localhost:8501",
            "AbCdEfGhIjKlMnOpQrStUv",
            "http://localhost:8501/scan?scan=AbCdEfGhIjKlMnOpQrStUv",
        ),
        (
            "https://ops.example.com/",
            "a-b_c-d_e-f_g-h_i-j",
            "https://ops.example.com/scan?scan=a-b_c-d_e-f_g-h_i-j",
        ),
        (
            "https://example.com/ushadow",
            "0123456789abcdef",
            "https://example.com/ushadow/scan?scan=0123456789abcdef",
        ),
    ],
)
def test_scan_link(public_url: str, scan_id: str, link: str) -> None:
    assert scan_link(public_url, scan_id) == link


def test_new_ids_are_valid_and_unguessable() -> None:
    ids = {new_id() for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        assert parse_scan_id(value) == value
        assert len(value) >= 22  # 128 random bits


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "no scan id given"),
        ("", "no scan id given"),
        ("   ", "no scan id given"),
        ("short", "has 5 characters"),
        ("x" * 65, "has 65 characters"),
        ("abc/def/ghi/jkl/mno", "only letters, digits"),
        ("AbCdEfGhIjKlMnOp'; DROP TABLE scans", "only letters, digits"),
        ("AbCdEfGhIjKlMnOp%20", "only letters, digits"),
        ("<script>alert(1)</script>", "only letters, digits"),
    ],
)
def test_malformed_ids_are_refused_clearly(value: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        parse_scan_id(value)
    assert info.value.hint


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_scan_id("  AbCdEfGhIjKlMnOpQrSt \n") == "AbCdEfGhIjKlMnOpQrSt"


def test_a_long_bad_value_is_not_echoed_whole() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_scan_id("!" * 5000)
    assert len(info.value.message) < 200


def test_link_refuses_a_malformed_id() -> None:
    with pytest.raises(InvalidInput):
        scan_link("http://localhost:8501", "../../etc/passwd")
