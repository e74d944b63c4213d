"""A deploy plan's environment rows say what is deployed (pure: no cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.deploy.plans import host_in, load_entry, plan_deploy
from core.secrets.sensitivity import MASK
from core.store.scans import Match, ScanResult

COMPOSE = """
services:
  relay:
    image: example.org/relay:${RELAY_TAG:-1.0}
    ports: ["${RELAY_PORT:-8400}:8400"]
    environment:
      DB_PASSWORD: ${DB_PASSWORD:?the database password}
      CONN_OPTS: "--password=${DB_PASSWORD} --ssl"
      MODE: fast
"""


def test_rows_show_what_is_deployed_and_mask_what_went_into_the_secret(tmp_path: Path) -> None:
    (tmp_path / "relay.yaml").write_text(COMPOSE)
    (tmp_path / ".env").write_text("RELAY_TAG=2.5\n")
    entry = load_entry([tmp_path], "relay:relay")
    plan = plan_deploy(entry, namespace="apps", typed={"DB_PASSWORD": "pw-0123456789"})
    rows = {r.name: r for r in plan.rows}
    assert rows["CONN_OPTS"].value == "--password=pw-0123456789 --ssl"  # not the empty-password default
    assert rows["CONN_OPTS"].sensitive and rows["CONN_OPTS"].to_json()["value"] == MASK
    assert rows["MODE"].to_json()["value"] == "fast" and not rows["MODE"].sensitive
    # variables used outside the environment show what they stand for: .env's value, or the default
    assert (rows["RELAY_TAG"].value, rows["RELAY_TAG"].source) == ("2.5", "default")
    assert (rows["RELAY_PORT"].value, rows["RELAY_PORT"].default) == ("8400", "8400")
    shown = str([r.to_json() for r in plan.rows])
    assert "pw-0123456789" not in shown


NOTES = """
services:
  notes:
    image: example.org/notes:1.0
    environment:
      MONGODB_URL: ${MONGODB_URL:-mongodb://mongo:27017/notes}
      CACHE_HOST: ${CACHE_HOST:-cache}
      SEARCH_URL: ${SEARCH_URL:-https://search.example.com/api}
      LOCAL_URL: ${LOCAL_URL:-http://localhost:9000}
"""


def _scan_of(namespace: str, *services: tuple[str, str, int]) -> ScanResult:
    matches = [
        Match(
            infra_type=kind,
            service=name,
            namespace=namespace,
            service_type="ClusterIP",
            ready_endpoints=1,
            endpoints=[f"{name}.{namespace}.svc.cluster.local:{port}"],
        )
        for name, kind, port in services
    ]
    return ScanResult(
        scan_id="scan-of-" + namespace,
        cluster_id="c1",
        namespaces=[namespace],
        all_namespaces=False,
        catalog={},
        matches=matches,
        errors=[],
    )


def test_a_deploy_into_another_namespace_is_wired_with_full_names_and_says_which_scan(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text(NOTES)
    entry = load_entry([tmp_path], "notes:notes")
    scan = _scan_of("ushadow", ("mongo", "mongo", 27017))
    plan = plan_deploy(entry, namespace="notes-demo", scan=scan)
    rows = {r.name: r for r in plan.rows}
    assert rows["MONGODB_URL"].source == "scan"
    assert "mongo.ushadow.svc.cluster.local:27017" in str(rows["MONGODB_URL"].value)
    assert "found in namespace ushadow by scan scan-of-ushadow" in str(rows["MONGODB_URL"].note)
    # the short name nobody scanned is warned about; outside and local addresses are not judged
    (warning,) = [w for w in plan.warnings if "no scan" in w]
    assert "CACHE_HOST" in warning and "'cache'" in warning and "notes-demo" in warning


def test_a_default_that_names_an_unscanned_host_is_warned_about_without_any_scan(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text(NOTES)
    plan = plan_deploy(load_entry([tmp_path], "notes:notes"), namespace="notes-demo", scan=None)
    warned = {w.split()[0] for w in plan.warnings if "no scan" in w}
    assert warned == {"MONGODB_URL", "CACHE_HOST"}


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("mongodb://mongo:27017/notes", "mongo"),
        ("postgresql://u:p@db.apps.svc:5432/x", "db.apps.svc"),
        ("redis:6379", "redis"),
        ("http://[::1]:8080/", "::1"),
        ("cache", None),
        ("cache.example.com", "cache.example.com"),
        ("", None),
    ],
)
def test_host_in(value: str, host: str | None) -> None:
    assert host_in(value) == host


def test_a_dependency_the_scan_found_is_a_note_not_a_warning(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text(
        NOTES.replace("    environment:", "    depends_on: [mongo, cache]\n    environment:", 1)
    )
    entry = load_entry([tmp_path], "notes:notes")
    plan = plan_deploy(entry, namespace="ushadow", scan=_scan_of("ushadow", ("mongo", "mongo", 27017)))
    assert not [w for w in plan.warnings if "undefined service mongo" in w]
    assert [w for w in plan.warnings if "undefined service cache" in w]  # nothing found it
    assert any(n.startswith("depends on mongo: ") and "the scan found it" in n for n in plan.notes)
