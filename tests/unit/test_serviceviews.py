"""The Services page's registry table, filters and texts (pure: registry entries in, data out)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.compose.model import Port, ServiceSpec, UshadowMeta
from core.compose.registry import RegistryEntry, load_registry
from core.views.services import (
    REGISTRY_COLUMNS,
    entry_matches,
    file_choices,
    file_label,
    filter_entries,
    inline_code,
    registry_counts,
    registry_table,
    service_label,
    word_list,
    yaml_file_name,
)
from tests.support.paths import FIXTURES

REGISTRY = FIXTURES / "compose" / "registry"

WEB = RegistryEntry(
    service_id="blog-compose:web",
    file="/srv/compose/apps/blog-compose.yml",
    service="web",
    spec=ServiceSpec(
        name="web",
        image="ghcr.io/acme/blog:2.1",
        ports=[Port(target=8080, published="80")],
        required_variables=["BLOG_SECRET"],
        warnings=["ports: a range"],
    ),
    meta=UshadowMeta(
        display_name="Blog", description="The public Blog", tags=["frontend"], provides=["http"]
    ),
)
DB = RegistryEntry(
    service_id="docker-compose.infra:postgres",
    file="/srv/compose/infra/docker-compose.infra.yml",
    service="postgres",
    spec=ServiceSpec(name="postgres", image="postgres:16", ports=[Port(target=5432, exposed_only=True)]),
    infra=True,
    infra_type="postgres",
)
BROKEN = RegistryEntry(
    service_id="broken:*",
    file="/srv/compose/apps/broken.yaml",
    service="*",
    spec=None,
    error="broken.yaml is not valid YAML (line 3)",
)
ENTRIES = [WEB, DB, BROKEN]


# -- the table and its filters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "label"),
    [
        (WEB, "apps/blog-compose.yml"),
        (DB, "infra/docker-compose.infra.yml"),
        (BROKEN, "apps/broken.yaml"),
    ],
)
def test_file_label_is_folder_and_file(entry: RegistryEntry, label: str) -> None:
    assert file_label(entry) == label


@pytest.mark.parametrize(
    ("port", "text"),
    [
        (Port(target=8080), "8080/tcp"),
        (Port(target=8080, published="80"), "80:8080/tcp"),
        (Port(target=53, published="5353", protocol="udp", host_ip="127.0.0.1"), "127.0.0.1:5353:53/udp"),
        (Port(target=5432, published="5432", exposed_only=True), "5432/tcp"),  # `expose`: not published
    ],
)
def test_registry_table_port_text(port: Port, text: str) -> None:
    entry = RegistryEntry(
        service_id="f:s", file="/x/f.yml", service="s", spec=ServiceSpec(name="s", ports=[port])
    )
    assert registry_table([entry])["ports"][0] == [text]


def test_registry_table_rows() -> None:
    table = registry_table(ENTRIES)
    assert tuple(table.columns) == REGISTRY_COLUMNS
    web, db, broken = table.to_dict("records")
    assert web == {
        "id": "blog-compose:web",
        "file": "apps/blog-compose.yml",
        "image": "ghcr.io/acme/blog:2.1",
        "ports": ["80:8080/tcp"],
        "infra": False,
        "infra_type": "",
        "required": ["BLOG_SECRET"],
        "warnings": 1,
        "error": "",
    }
    assert db["infra"] and db["infra_type"] == "postgres" and db["ports"] == ["5432/tcp"]
    assert pd.isna(broken["image"]) and broken["ports"] == [] and broken["required"] == []
    assert broken["error"] == "broken.yaml is not valid YAML (line 3)"


def test_an_empty_registry_table_keeps_its_columns() -> None:
    table = registry_table([])
    assert table.empty and tuple(table.columns) == REGISTRY_COLUMNS


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("", ["blog-compose:web", "docker-compose.infra:postgres", "broken:*"]),
        ("   ", ["blog-compose:web", "docker-compose.infra:postgres", "broken:*"]),
        ("blog", ["blog-compose:web"]),  # id, file, image, display name
        ("BLOG public", ["blog-compose:web"]),  # any case; every word, anywhere
        ("blog postgres", []),  # every word must match the same entry
        ("frontend", ["blog-compose:web"]),  # a tag
        ("http", ["blog-compose:web"]),  # what it provides
        ("postgres:16", ["docker-compose.infra:postgres"]),  # the image
        ("infra/", ["docker-compose.infra:postgres"]),  # the file label's folder
        ("yaml", ["broken:*"]),  # the file and the error
        ("invalid", []),
    ],
)
def test_entry_matches(search: str, found: list[str]) -> None:
    assert [e.service_id for e in ENTRIES if entry_matches(e, search)] == found


@pytest.mark.parametrize(
    ("search", "file", "infra_only", "found"),
    [
        ("", None, False, ["blog-compose:web", "docker-compose.infra:postgres", "broken:*"]),
        ("", None, True, ["docker-compose.infra:postgres"]),
        ("", "apps/broken.yaml", False, ["broken:*"]),
        ("", "apps/broken.yaml", True, []),
        ("web", "apps/blog-compose.yml", False, ["blog-compose:web"]),
        ("web", "infra/docker-compose.infra.yml", False, []),
        ("", "elsewhere/blog-compose.yml", False, []),  # another folder's file of the same name
    ],
)
def test_filter_entries(search: str, file: str | None, infra_only: bool, found: list[str]) -> None:
    kept = filter_entries(ENTRIES, search=search, file=file, infra_only=infra_only)
    assert [e.service_id for e in kept] == found


def test_file_choices_are_each_file_once_sorted() -> None:
    assert file_choices([*ENTRIES, WEB]) == [
        "apps/blog-compose.yml",
        "apps/broken.yaml",
        "infra/docker-compose.infra.yml",
    ]


@pytest.mark.parametrize(
    ("entries", "text"),
    [
        ([], "0 services, 0 infrastructure, 0 cannot be read."),
        (ENTRIES, "3 services, 1 infrastructure, 1 cannot be read."),
        ([WEB, WEB], "2 services, 0 infrastructure, 0 cannot be read."),
    ],
)
def test_registry_counts(entries: list[RegistryEntry], text: str) -> None:
    assert registry_counts(entries) == text


@pytest.mark.parametrize(
    ("entry", "label"),
    [
        (WEB, "blog-compose:web · Blog"),
        (DB, "docker-compose.infra:postgres"),
        (BROKEN, "broken:* (cannot be read)"),
    ],
)
def test_service_label(entry: RegistryEntry, label: str) -> None:
    assert service_label(entry) == label


def test_the_project_registry_fixture_goes_through_table_and_filters() -> None:
    registry = load_registry([REGISTRY / "apps", REGISTRY / "infra"], environ={"HOME": "/home/tester"})
    table = registry_table(registry.entries)
    assert list(table["id"]) == [e.service_id for e in registry.entries]
    assert table.loc[table["id"] == "broken:*", "error"].item() != ""
    infra = filter_entries(registry.entries, infra_only=True)
    assert "docker-compose.infra:postgres" in [e.service_id for e in infra]
    assert all(e.infra for e in infra)
    assert file_choices(registry.entries)[0].startswith("apps/")


# -- the Variables box and texts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("web", "`web`"),
        ("a`b", "`a'b`"),  # no backtick to break out of the span
        ("two\nlines", "`two lines`"),
        (r"C:\path_*x*", r"`C:\path_*x*`"),  # shown literally: nothing escaped
    ],
)
def test_inline_code(text: str, span: str) -> None:
    assert inline_code(text) == span


@pytest.mark.parametrize(
    ("items", "text"),
    [([], "none"), (["http"], "`http`"), (["http", "grpc"], "`http`, `grpc`")],
)
def test_word_list(items: list[str], text: str) -> None:
    assert word_list(items) == text


@pytest.mark.parametrize(
    ("service_id", "name"),
    [
        ("blog-compose:web", "blog-compose-web.yaml"),
        ("docker-compose.infra:postgres", "docker-compose.infra-postgres.yaml"),
        ("apps/blog-compose:web", "apps-blog-compose-web.yaml"),  # a folder-qualified id
        ("broken:*", "broken.yaml"),
        ("../../etc:passwd", "..-..-etc-passwd.yaml"),  # no path separator survives
    ],
)
def test_yaml_file_name(service_id: str, name: str) -> None:
    assert yaml_file_name(service_id) == name
