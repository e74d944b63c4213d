"""The compose registry over the project's registry fixtures and temporary folders.

The registry over the external corpus is ``conformance/test_compose_registry.py`` (``make conformance``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.compose.registry import Registry, load_registry
from core.errors import NotFound
from tests.support.paths import REPO

ROOT = REPO
REGISTRY = ROOT / "tests" / "fixtures" / "compose" / "registry"
PLATFORM = ROOT / "tests" / "fixtures" / "compose" / "platform"  # a realistic registry of many files
ENVIRON = {"HOME": "/home/tester"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry([REGISTRY / "apps", REGISTRY / "infra"], environ=ENVIRON)


def test_every_service_of_every_file_is_an_entry(registry: Registry) -> None:
    assert [e.service_id for e in registry.entries] == [
        "blog-compose:web",
        "blog-compose:cache",
        "broken:*",
        "half-broken:good",
        "half-broken:bad",
        "shop-compose:shop-api",
        "shop-compose:web",
        "docker-compose.infra:postgres",
        "docker-compose.infra:mailhog",
        "search-compose:search",
    ]


def test_services_of_the_same_name_in_different_files_stay_apart(registry: Registry) -> None:
    blog, shop = registry.get("blog-compose:web"), registry.get("shop-compose:web")
    assert blog.spec is not None and blog.spec.image == "ghcr.io/acme/blog:2.1"
    assert shop.spec is not None and shop.spec.image == "ghcr.io/acme/shop-web:1.0"
    assert blog.file.endswith("blog-compose.yml") and shop.file.endswith("shop-compose.yaml")


def test_a_broken_file_is_one_entry_and_hides_nothing(registry: Registry) -> None:
    broken = registry.get("broken:*")
    assert broken.spec is None and broken.error is not None
    assert "not valid YAML" in broken.error and "broken.yaml" in broken.error
    half = registry.get("half-broken:bad")
    assert half.spec is None and half.error is not None and "services.bad.ports" in half.error
    assert registry.get("half-broken:good").error is None


def test_profiles_are_listed_not_filtered(registry: Registry) -> None:
    assert registry.get("shop-compose:web").profiles == ["ui"]


def test_required_variables_do_not_break_the_registry(registry: Registry) -> None:
    api = registry.get("shop-compose:shop-api")
    assert api.error is None
    assert api.required_variables == ["DATABASE_URL", "API_KEY"]
    filled = load_registry(
        [REGISTRY / "apps"], env={"DATABASE_URL": "postgres://db", "API_KEY": "k"}, environ=ENVIRON
    )
    assert filled.get("shop-compose:shop-api").required_variables == []


def test_x_ushadow_metadata_is_merged(registry: Registry) -> None:
    meta = registry.get("shop-compose:shop-api").meta
    assert (meta.display_name, meta.namespace, meta.provides) == ("Shop API", "shop", ["shop"])
    assert meta.infra_services == ["postgres"]  # file-level, inherited
    assert registry.get("shop-compose:web").meta.display_name is None
    assert registry.get("shop-compose:web").meta.namespace == "shop"


@pytest.mark.parametrize(
    ("service_id", "infra", "infra_type"),
    [
        ("blog-compose:web", False, None),
        ("blog-compose:cache", True, "redis"),  # the catalog recognises redis
        ("docker-compose.infra:postgres", True, "postgres"),
        ("docker-compose.infra:mailhog", True, None),  # an infra file
        ("search-compose:search", True, None),  # x-ushadow: infra: true
        ("shop-compose:shop-api", False, None),
    ],
)
def test_infra(registry: Registry, service_id: str, infra: bool, infra_type: str | None) -> None:
    entry = registry.get(service_id)
    assert (entry.infra, entry.infra_type) == (infra, infra_type)


def test_get_names_close_matches(registry: Registry) -> None:
    with pytest.raises(NotFound) as caught:
        registry.get("shop:shop-api")
    assert caught.value.hint is not None and "shop-compose:shop-api" in caught.value.hint
    with pytest.raises(NotFound) as caught:
        registry.get("nothing-like-it")
    assert caught.value.hint is not None and "services list" in caught.value.hint


def test_project_by_path_name_or_stem(registry: Registry) -> None:
    by_stem = registry.project("shop-compose")
    assert registry.project("shop-compose.yaml") is by_stem
    assert registry.project(str(REGISTRY / "apps" / "shop-compose.yaml")) is by_stem
    with pytest.raises(NotFound):
        registry.project("broken")  # it has no project: it could not be read


def test_stems_that_collide_are_qualified(tmp_path: Path) -> None:
    for folder, compose in (
        ("team-a", "compose.yaml"),
        ("team-b", "compose.yaml"),
        ("team-b", "compose.yml"),
    ):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / compose).write_text(f"services:\n  web:\n    image: {folder}\n")
    (tmp_path / "team-a" / "notes.txt").write_text("not a compose file")
    registry = load_registry(
        [tmp_path / "team-a", tmp_path / "team-b", tmp_path / "missing"], environ=ENVIRON
    )
    assert [e.service_id for e in registry.entries] == [
        "team-a/compose:web",
        "team-b/compose.yaml:web",
        "team-b/compose.yml:web",
    ]
    assert registry.warnings == [f"registry folder {tmp_path / 'missing'} does not exist"]


def test_a_realistic_registry() -> None:
    """Every file of a many-file registry is listed: infra, metadata, profiles, include, broken files."""
    registry = load_registry([PLATFORM], environ=ENVIRON)
    ids = {e.service_id for e in registry.entries}
    assert {"journal-compose:journal-web", "platform.infra:keycloak", "legacy:*"} <= ids
    assert {"stack:worker", "stack:scheduler"} <= ids  # the worker comes from parts/worker.yaml (include)
    files = {Path(e.file).name for e in registry.entries}
    assert files == {p.name for p in PLATFORM.iterdir() if p.suffix in (".yml", ".yaml")}
    infra = [e for e in registry.entries if e.service_id.startswith("platform.infra:")]
    assert len(infra) == 8 and all(e.infra for e in infra)
    api = registry.get("journal-compose:journal-api")
    assert (api.meta.display_name, api.meta.namespace, api.meta.provides, api.meta.requires) == (
        "Journal API",
        "journal",
        ["journal"],
        ["llm"],
    )
    assert api.meta.infra_services == ["mongo", "qdrant"]
    assert registry.get("platform.infra:ollama").meta.provides == ["llm"]
    gateway = registry.get("gateway:gateway")  # its env_file is missing: a warning, not a broken entry
    assert gateway.error is None and any("env_file" in w and "gateway.env" in w for w in gateway.warnings)
    assert "include" in (registry.get("legacy:*").error or "")
    assert registry.get("platform.infra:postgres").profiles == ["infra", "sql", "identity"]
    assert registry.get("speech-compose:speech-gpu").profiles == ["gpu"]
    assert registry.get("speech-compose:speech-cpu").spec.environment["MODEL_NAME"] == "small"  # type: ignore[union-attr]
    own_db = registry.get("share-compose:mongodb")  # an app's own database is still recognised
    assert (own_db.infra, own_db.infra_type) == (True, "mongo")


def test_one_service_reads_only_its_file(registry: Registry) -> None:
    dirs = [REGISTRY / "apps", REGISTRY / "infra"]
    one = load_registry(dirs, environ=ENVIRON, service_id="shop-compose:web")
    assert list(one.projects) == [str(REGISTRY / "apps" / "shop-compose.yaml")]
    assert one.get("shop-compose:web") == registry.get("shop-compose:web")
    # an id that file does not hold, or no file has: the whole registry, for the closest ids
    for wrong in ("shop-compose:webb", "shopcompose:web", "web"):
        assert len(load_registry(dirs, environ=ENVIRON, service_id=wrong).projects) == len(registry.projects)
    with pytest.raises(NotFound) as raised:
        load_registry(dirs, environ=ENVIRON, service_id="shop-compose:webb").get("shop-compose:webb")
    assert raised.value.hint is not None and "shop-compose:web" in raised.value.hint
