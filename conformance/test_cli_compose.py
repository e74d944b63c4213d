"""``ushadow-ops services list --registry`` over the external corpus's ushadow folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.corpus import CORPUS
from tests.support import paths
from tests.support.clirun import run_json


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private data dir, and a registry setting (our compiler fixtures) that --registry overrides."""
    monkeypatch.setenv("USHADOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(paths.FIXTURES / "compiler"))


def test_services_list_registry_flag_overrides_the_setting(capsys: pytest.CaptureFixture[str]) -> None:
    entries = run_json(capsys, "services", "list", "--registry", str(CORPUS / "ushadow"))
    ids = {e["id"] for e in entries}
    assert "openmemory-compose:mem0-ui" in ids and "tricky:db" not in ids
    broken = [e for e in entries if e["error"]]
    assert broken and all(e["error"] for e in broken)
