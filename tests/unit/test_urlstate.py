"""The URL state of every page, and shareable scan links: built and read in one place."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.naming import new_id
from core.views.urlstate import (
    PAGE_PARAMS,
    PARAMS,
    SCAN_PAGE_PARAMS,
    PageState,
    cluster_scan_path,
    elsewhere,
    page_params,
    page_path,
    parse_cluster_ref,
    parse_namespace,
    parse_scan_id,
    parse_service,
    parse_tab,
    public_base,
    read_state,
    scan_link,
    scan_page_params,
    scan_path,
    tab_slug,
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


# -- every page's parameters --------------------------------------------------------------------

SCAN_ID = "AbCdEfGhIjKlMnOpQrStUv"
TABS = ("Logs", "Restart", "Scale", "Undeploy", "Run a command")


def test_every_page_keeps_only_the_known_parameters() -> None:
    pages = {"home", "clusters", "scan", "services", "deploy", "workloads", "fleet", "tokens"}
    assert set(PAGE_PARAMS) == pages
    for params in PAGE_PARAMS.values():
        assert set(params) <= set(PARAMS)
        assert len(set(params)) == len(params)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("prod-eu", "prod-eu"),  # a name
        ("Xy3_9-kLmN0p", "Xy3_9-kLmN0p"),  # an id (new_id(9))
        ("-starts_with_dash", "-starts_with_dash"),  # ids may start with - or _
        (" local ", "local"),
        ("cluster.v2", "cluster.v2"),
    ],
)
def test_a_cluster_is_named_by_its_name_or_its_id(value: str, parsed: str) -> None:
    assert parse_cluster_ref(value) == parsed


@pytest.mark.parametrize("value", [None, "", "  ", "a b", "a/b", "x" * 64, ".hidden", "<script>", "a&b=c"])
def test_a_malformed_cluster_is_refused(value: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_cluster_ref(value)
    assert info.value.hint


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("ushadow", True),
        (" shop-staging ", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Shop", False),
        ("shop_staging", False),
        ("-shop", False),
        ("", False),
    ],
)
def test_a_namespace_is_a_dns_label(value: str, ok: bool) -> None:
    if ok:
        assert parse_namespace(value) == value.strip()
    else:
        with pytest.raises(InvalidInput, match="namespace"):
            parse_namespace(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("shop-compose:api", True),
        ("blog-compose:Web_Frontend", True),
        ("stash", True),  # a workload's name
        ("x" * 253, True),
        ("x" * 254, False),
        ("a\nb", False),
        ("", False),
    ],
)
def test_a_service_is_one_printable_line(value: str, ok: bool) -> None:
    if ok:
        assert parse_service(value) == value
    else:
        with pytest.raises(InvalidInput):
            parse_service(value)


@pytest.mark.parametrize(
    ("label", "slug"),
    [("Logs", "logs"), ("Run a command", "run-a-command"), ("  Scale  ", "scale"), ("Undeploy…", "undeploy")],
)
def test_a_tab_is_written_as_its_slug(label: str, slug: str) -> None:
    assert tab_slug(label) == slug


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("logs", "Logs"),
        ("SCALE", "Scale"),
        ("run-a-command", "Run a command"),
        ("Run a command", "Run a command"),
    ],
)
def test_a_tab_is_read_back_as_its_label(value: str, label: str) -> None:
    assert parse_tab(value, TABS) == label


def test_an_unknown_tab_names_the_tabs_there_are() -> None:
    with pytest.raises(InvalidInput, match="not one of this page's tabs") as info:
        parse_tab("settings", TABS)
    assert "logs, restart, scale, undeploy, run-a-command" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("page", "params", "state", "problems"),
    [
        ("clusters", {"cluster": "prod"}, PageState(cluster="prod"), []),
        ("clusters", {"cluster": "prod", "namespace": "x", "scan": "bad"}, PageState(cluster="prod"), []),
        ("scan", {"scan": SCAN_ID, "cluster": "c1"}, PageState(scan=SCAN_ID, cluster="c1"), []),
        ("scan", {"scan": "short"}, PageState(), ["has 5 characters"]),
        (
            "deploy",
            {"cluster": "local", "namespace": "shop", "service": "shop:shop-api"},
            PageState(cluster="local", namespace="shop", service="shop:shop-api"),
            [],
        ),
        (
            "deploy",
            {"cluster": "a b", "namespace": "Shop", "service": "shop:api"},
            PageState(service="shop:api"),
            ["neither a cluster name nor a cluster id", "not a valid Kubernetes namespace"],
        ),
        (
            "services",
            {"service": "shop-compose:api", "namespace": "ns"},
            PageState(namespace="ns", service="shop-compose:api"),
            [],
        ),
        (
            "workloads",
            {"cluster": "local", "namespace": "shop", "service": "stash", "tab": "scale"},
            PageState(cluster="local", namespace="shop", service="stash", tab="Scale"),
            [],
        ),
        ("workloads", {"tab": "nope"}, PageState(), ["not one of this page's tabs"]),
        ("home", {"cluster": "prod"}, PageState(), []),
    ],
)
def test_read_state(page: str, params: dict[str, str], state: PageState, problems: list[str]) -> None:
    got, found = read_state(page, params, tabs=TABS)
    assert got == state
    assert len(found) == len(problems)
    for problem, text in zip(found, problems, strict=True):
        assert text in problem.message
        assert problem.hint


@pytest.mark.parametrize(
    ("page", "values", "params"),
    [
        ("clusters", {"cluster": "c1", "namespace": "ns"}, {"cluster": "c1"}),
        (
            "deploy",
            {"service": "s:a", "namespace": "ns", "cluster": "c1"},
            {"cluster": "c1", "namespace": "ns", "service": "s:a"},
        ),
        ("deploy", {"cluster": "c1", "namespace": None, "service": "  "}, {"cluster": "c1"}),
        ("workloads", {"cluster": "c1", "tab": "Run a command"}, {"cluster": "c1", "tab": "run-a-command"}),
        ("scan", {"scan": SCAN_ID, "cluster": "c1"}, {"scan": SCAN_ID}),
        ("scan", {"cluster": "c1"}, {"cluster": "c1"}),
        ("home", {"cluster": "c1"}, {}),
    ],
)
def test_page_params(page: str, values: dict[str, str | None], params: dict[str, str]) -> None:
    assert page_params(page, **values) == params
    assert list(page_params(page, **values)) == [p for p in PAGE_PARAMS[page] if p in params]


def test_page_params_refuses_an_unknown_name() -> None:
    with pytest.raises(ValueError, match="not a page parameter: clutser"):
        page_params("deploy", clutser="c1")


@pytest.mark.parametrize(
    ("page", "values", "path"),
    [
        ("home", {}, "home"),
        ("deploy", {"cluster": "c1", "namespace": "shop"}, "deploy?cluster=c1&namespace=shop"),
        ("workloads", {"service": "a b&c"}, "workloads?service=a+b%26c"),
    ],
)
def test_page_path(page: str, values: dict[str, str], path: str) -> None:
    assert page_path(page, **values) == path


@pytest.mark.parametrize(
    ("page", "values"),
    [
        ("deploy", {"cluster": "c1", "namespace": "shop", "service": "shop:api"}),
        ("workloads", {"cluster": "Xy3_9-kLmN0p", "namespace": "ns", "service": "stash", "tab": "Scale"}),
        ("scan", {"scan": SCAN_ID}),
        ("services", {"service": "blog-compose:Web_Frontend", "namespace": "blog"}),
    ],
)
def test_what_is_built_reads_back(page: str, values: dict[str, str]) -> None:
    state, problems = read_state(page, page_params(page, **values), tabs=TABS)
    assert not problems
    assert state == PageState(**values)


def test_fleet_keeps_its_label_and_service_filters() -> None:
    state, problems = read_state("fleet", {"label": "env=prod team=shop", "service": "shop", "cluster": "x"})
    assert (state.label, state.service, state.cluster, problems) == ("env=prod team=shop", "shop", None, [])
    assert page_params("fleet", service="shop", label="env=prod") == {"label": "env=prod", "service": "shop"}
    state, problems = read_state("fleet", {"label": "env=prod\nx"})
    assert state.label is None and "cluster labels" in str(problems[0])
