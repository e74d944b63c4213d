"""``include`` and compose's ``!reset``/``!override`` tags in the loader.

The include fixture (``tests/fixtures/compose/include``) is also loaded by compose-go in
``test_compose_reference.py``; here the values are spelled out, and the cases compose-go cannot
show (uploads, cycles, lenient loading) are checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.compose.loading import load_project, load_text
from core.errors import InvalidInput
from tests.support.paths import REPO

ROOT = REPO
INCLUDE = ROOT / "tests" / "fixtures" / "compose" / "include"
ENVIRON = {"HOME": "/home/tester"}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder / next(iter(files))


def test_included_services_join_the_project_with_their_own_folder_and_variables() -> None:
    project = load_project(INCLUDE / "compose.yaml", environ=ENVIRON)
    assert list(project.services) == ["cache", "db", "web", "worker", "gateway"]
    assert project.name == "shop"

    cache = project.services["cache"]
    assert cache.image == "redis:7"
    # written over the included service: this file's value wins, the included keys stay
    assert cache.environment == {"CACHE_MODE": "lru", "CACHE_SIZE": "64mb"}
    assert [(v.source, v.target) for v in cache.volumes] == [(str(INCLUDE / "parts" / "cache-data"), "/data")]

    db = project.services["db"]
    # the entry's env_file gives the included file its variables; its env_file is read from its folder
    assert db.image == "postgres:16.4"
    assert db.environment["POSTGRES_DB"] == "shop_from_include"
    assert db.environment["EXTRA_SETTING"] == "from-db-extra"
    assert [(v.source, v.read_only) for v in db.volumes] == [
        ("db-data", False),
        (str(INCLUDE / "parts" / "db" / "init"), True),
    ]
    assert db.healthcheck is not None and db.healthcheck.test == [
        "CMD-SHELL",
        "pg_isready -U ${POSTGRES_USER}",
    ]
    assert "db-data" in project.volumes  # the included file's volumes are declared here too

    web = project.services["web"]
    # project_directory's .env, a main file and an override merged over it
    assert web.image == "shop/web:latest"
    assert [(p.published, p.target) for p in web.ports] == [("8000", 8000)]
    assert web.environment == {
        "WEB_WORKERS": "4",
        "WEB_PORT": "8000",
        "DATABASE_URL": "postgres://db:5432/shop",
        "LOG_LEVEL": "debug",
    }
    assert web.replicas == 2
    assert project.configs["web-config"].file == str(INCLUDE / "web" / "config.toml")

    worker = project.services["worker"]
    # extends an included service; !reset [] drops the ports it would inherit
    assert worker.image == web.image and worker.command == ["python", "-m", "worker"]
    assert worker.ports == []
    assert project.services["gateway"].depends_on[0].service == "web"


def test_the_including_projects_variables_win_over_the_included_env_file() -> None:
    project = load_project(INCLUDE / "compose.yaml", environ={**ENVIRON, "DB_TAG": "17", "WEB_PORT": "9000"})
    assert project.services["db"].image == "postgres:17"
    assert [(p.published, p.target) for p in project.services["web"].ports] == [("9000", 8000)]


def test_an_uploaded_file_may_not_include_server_files() -> None:
    text = (INCLUDE / "compose.yaml").read_text()
    with pytest.raises(InvalidInput, match="include is not read for an uploaded file") as caught:
        load_text(text, path=str(INCLUDE / "compose.yaml"), environ=ENVIRON)
    assert caught.value.hint and "registry" in caught.value.hint
    lenient = load_text(text, path=str(INCLUDE / "compose.yaml"), environ=ENVIRON, strict=False)
    assert "include is not read for an uploaded file" in " ".join(lenient.warnings)
    assert "db" not in lenient.services and "gateway" in lenient.services


def test_a_missing_included_file_is_named(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        {
            "compose.yaml": "include: [parts/gone.yaml]\nservices:\n  app:\n    image: app:1\n",
        },
    )
    with pytest.raises(InvalidInput, match=r"include\[0\]: included file .*parts/gone.yaml not found"):
        load_project(compose, environ=ENVIRON)
    lenient = load_project(compose, environ=ENVIRON, strict=False)
    assert list(lenient.services) == ["app"]
    assert any("parts/gone.yaml not found" in w for w in lenient.warnings)


def test_an_include_cycle_is_an_error(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        {
            "compose.yaml": "include: [b/compose.yaml]\nservices:\n  a:\n    image: a:1\n",
            "b/compose.yaml": "include: [../compose.yaml]\nservices:\n  b:\n    image: b:1\n",
        },
    )
    with pytest.raises(InvalidInput, match=r"include cycle: compose.yaml -> compose.yaml -> compose.yaml"):
        load_project(compose, environ=ENVIRON)


def test_includes_nest_and_resolve_paths_against_each_files_folder(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        {
            "compose.yaml": "include:\n  - stack/compose.yaml\n",
            "stack/compose.yaml": "include:\n  - db/compose.yaml\nservices:\n  api:\n    image: api:1\n"
            "    env_file: api.env\n    depends_on: [db]\n",
            "stack/api.env": "API_MODE=${MODE:-from-stack}\n",
            "stack/db/compose.yaml": "services:\n  db:\n    image: postgres:${PG:-16}\n"
            "    volumes: [./data:/var/lib/postgresql/data]\n",
            "stack/db/.env": "PG=15\n",
        },
    )
    project = load_project(compose, environ=ENVIRON)
    assert project.services["api"].environment == {"API_MODE": "from-stack"}
    assert project.services["db"].image == "postgres:15"
    assert project.services["db"].volumes[0].source == str(tmp_path / "stack" / "db" / "data")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("include: {path: x.yaml}", "include: expected a list of files"),
        ("include:\n  - project_directory: x", r"include\[0\].path: is required"),
        ("include:\n  - path: []", "path must name at least one compose file"),
        (
            "include:\n  - path: x.yaml\n    envfile: .env",
            r"include\[0\].envfile: is not a key compose knows",
        ),
    ],
)
def test_a_malformed_include_is_named(tmp_path: Path, entry: str, message: str) -> None:
    compose = write(tmp_path, {"compose.yaml": f"{entry}\nservices:\n  app:\n    image: app:1\n"})
    with pytest.raises(InvalidInput, match=message):
        load_project(compose, environ=ENVIRON)


def test_reset_and_override_tags(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        {
            "compose.yaml": """
services:
  base:
    image: app:1
    ports: ["8080:80"]
    environment: {KEEP: "1", DROP: "2"}
    command: ["serve"]
    labels: {team: a}
  child:
    extends: base
    ports: !reset []
    environment:
      DROP: !reset
      ADDED: "3"
    labels: !override {team: b}
  plain:
    image: app:1
    ports: !override ["9090:90"]
    user: !reset nobody
""",
        },
    )
    project = load_project(compose, environ=ENVIRON)
    child = project.services["child"]
    assert child.ports == []
    assert child.environment == {"KEEP": "1", "ADDED": "3"}
    assert child.labels == {"team": "b"}
    assert child.command == ["serve"]
    plain = project.services["plain"]
    assert [(p.published, p.target) for p in plain.ports] == [("9090", 90)]
    assert plain.user is None
