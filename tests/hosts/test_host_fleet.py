"""A Docker host's compose project is a column of ``fleet`` and of the Fleet page: from its deploy
record at once, then read live (running/desired, image tag, health) against the real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine
from tests.support.pagekit import open_page

FIXTURE = Path(__file__).with_name("compose") / "web.yaml"
COLUMN = "fleet-host/fleetweb"


def _cell(doc: dict[str, Any]) -> dict[str, Any]:
    (row,) = [r for r in doc["services"] if r["service_id"] == "web:web"]
    return dict(row["cells"][COLUMN])


def _page_cell(at: Any) -> str:
    frame = at.dataframe[0].value
    frame = getattr(frame, "data", frame)  # a Styler carries its frame
    (row,) = frame[frame["service"] == "web:web"].to_dict("records")
    return str(row[f"{COLUMN} (docker)"])


def test_fleet_has_a_column_per_host_project_read_live(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    (settings.compose_dirs[0] / "web.yaml").write_text(
        FIXTURE.read_text().replace("edgeweb", "fleetweb").replace("18080:8080", "18083:8080")
    )
    client = docker_engine.client()
    try:
        run_json(capsys, "hosts", "add", "fleet-host", "--url", docker_engine.url)
        deployed = run_json(capsys, "deploy", "fleet-host", "web:web", "--wait", "--timeout", "120")
        assert deployed["health"] == {"fleetweb-web-1": "healthy"}

        doc = run_json(capsys, "fleet")
        (target,) = [t for t in doc["targets"] if t["target"] == COLUMN]
        assert (target["kind"], target["reachable"], target["namespace"]) == ("docker", True, "fleetweb")
        cell = _cell(doc)
        assert (cell["image"], cell["tag"], cell["ready"], cell["desired"], cell["health"]) == (
            "ushadow.local/busybox:1", "1", 1, 1, "ready",
        )  # fmt: skip
        assert cell["drift"] == "none" and cell["status"] == "ready"

        at = open_page("fleet")  # from the record alone
        assert not at.exception, at.exception
        assert _page_cell(at).startswith("1 · ?/1 · ")

        client.containers.get("fleetweb-web-1").stop(timeout=1)
        cell = _cell(run_json(capsys, "fleet"))
        assert (cell["ready"], cell["desired"]) == (0, 1)
        assert cell["health"].startswith("failing: exited (exit ")  # 137 or 143: how it was stopped
        code, text, _ = run(capsys, "fleet")
        assert code == 0 and f"{COLUMN} (docker)".upper() in text and "1 0/1 failing: exited (exit " in text

        at.button(key="fleet_read").click().run(timeout=120)
        assert not at.exception, at.exception
        assert _page_cell(at).startswith("1 · 0/1 · failing: exited (exit ")
    finally:
        for container in client.containers.list(all=True, filters={"name": "fleetweb-"}):
            container.remove(force=True)
        client.close()
