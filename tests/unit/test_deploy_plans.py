"""A deploy plan's environment rows say what is deployed (pure: no cluster)."""

from __future__ import annotations

from pathlib import Path

from core.deploy.plans import load_entry, plan_deploy
from core.secrets.sensitivity import MASK

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
