"""Shareable scan links: built and read in one place."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.naming import new_id
from core.views.links import (
    SCAN_PAGE_PARAMS,
    cluster_scan_path,
    elsewhere,
    parse_scan_id,
    public_base,
    scan_link,
    scan_page_params,
    scan_path,
)


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


@pytest.mark.parametrize(
    ("scan_id", "cluster_id", "params"),
    [
        ("AbCdEfGhIjKlMnOpQrStUv", None, {"scan": "AbCdEfGhIjKlMnOpQrStUv"}),
        ("AbCdEfGhIjKlMnOpQrStUv", "c1", {"scan": "AbCdEfGhIjKlMnOpQrStUv"}),  # a scan implies its cluster
        (" AbCdEfGhIjKlMnOpQrStUv ", None, {"scan": "AbCdEfGhIjKlMnOpQrStUv"}),
        (None, "c1", {"cluster": "c1"}),
        (None, "", {}),
        (None, None, {}),
    ],
)
def test_the_scan_page_url_holds_the_scan_or_else_the_cluster(
    scan_id: str | None, cluster_id: str | None, params: dict[str, str]
) -> None:
    assert scan_page_params(scan_id=scan_id, cluster_id=cluster_id) == params
    assert set(params) <= set(SCAN_PAGE_PARAMS)


def test_the_scan_page_url_refuses_a_malformed_scan_id() -> None:
    with pytest.raises(InvalidInput, match="malformed"):
        scan_page_params(scan_id="../etc", cluster_id="c1")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (scan_path("AbCdEfGhIjKlMnOpQrStUv"), "scan?scan=AbCdEfGhIjKlMnOpQrStUv"),
        (scan_path("a-b_c-d_e-f_g-h_i-j"), "scan?scan=a-b_c-d_e-f_g-h_i-j"),
        (cluster_scan_path("Xy3_9-kLmN0p"), "scan?cluster=Xy3_9-kLmN0p"),
        (cluster_scan_path("a b&c"), "scan?cluster=a+b%26c"),  # whatever an id holds, it stays one value
    ],
)
def test_links_inside_the_dashboard_are_relative(path: str, expected: str) -> None:
    assert path == expected


def test_a_shared_link_is_the_public_url_and_the_relative_link() -> None:
    scan_id = new_id()
    assert (
        scan_link("https://ops.example.com/ushadow/", scan_id)
        == f"https://ops.example.com/ushadow/{scan_path(scan_id)}"
    )


@pytest.mark.parametrize(
    ("link", "seen_at", "differs"),
    [
        ("https://ops.example.com/scan?scan=x", "https://ops.example.com/scan", False),
        ("https://ops.example.com/scan?scan=x", "https://ops.example.com:443/scan", False),
        ("http://localhost:8501/scan?scan=x", "http://127.0.0.1:8501/scan", False),  # one machine
        ("http://localhost:8501/scan?scan=x", "http://[::1]:8501/", False),
        ("http://localhost:8501/scan?scan=x", "https://ops.example.com/scan", True),
        ("http://localhost:8501/scan?scan=x", "http://localhost:8502/scan", True),
        ("http://ops.example.com/scan?scan=x", "https://ops.example.com/scan", True),
        ("http://localhost:8501/scan?scan=x", None, False),  # not known: say nothing
        ("http://localhost:8501/scan?scan=x", "", False),
        ("http://localhost:8501/scan?scan=x", "http://[bad/", False),
        ("ftp://files/scan?scan=x", "http://localhost:8501/", False),
    ],
)
def test_a_link_elsewhere_than_the_browser_is_noticed(link: str, seen_at: str | None, differs: bool) -> None:
    assert elsewhere(link, seen_at) is differs


@pytest.mark.parametrize(
    ("configured", "seen_at", "expected"),
    [
        (False, "http://localhost:8601/scan?scan=abc", "http://localhost:8601"),
        (False, "https://ops.example.com/dash/scan", "https://ops.example.com/dash"),
        (False, "http://10.0.0.5:9000/", "http://10.0.0.5:9000"),
        (False, None, "http://localhost:8501"),
        (False, "not a url", "http://localhost:8501"),
        (False, "ftp://host/scan", "http://localhost:8501"),
        (True, "http://localhost:8601/scan", "http://localhost:8501"),
    ],
)
def test_links_follow_the_address_served_unless_the_public_url_is_set(
    configured: bool, seen_at: str | None, expected: str
) -> None:
    assert public_base("http://localhost:8501", configured=configured, seen_at=seen_at) == expected
