"""The compose loader over the whole external corpus: every file loads, or fails with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.corpus import CORPUS
from core.compose.loading import load_project
from core.errors import InvalidInput

ENVIRON = {"HOME": "/home/tester"}

CORPUS_FILES = sorted(
    p for p in CORPUS.rglob("*") if p.suffix in (".yml", ".yaml") and not p.name.startswith("output-")
)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[str(p.relative_to(CORPUS)) for p in CORPUS_FILES])
def test_every_corpus_file_loads_or_fails_clearly(path: Path, strict: bool) -> None:
    try:
        project = load_project(path, strict=strict, environ=ENVIRON)
    except InvalidInput as exc:
        assert exc.message.startswith(str(path)), exc.message
        return
    for spec in project.services.values():
        assert spec.image or spec.build or not strict
        assert all(0 < port.target <= 65535 for port in spec.ports)


def test_the_corpus_has_files_to_load() -> None:
    assert len(CORPUS_FILES) > 100
