"""``bundle`` and ``render --out`` never write or delete outside ``--out``: a committed ledger that
names paths outside the folder, or a subfolder that is a symbolic link, is refused before anything
is touched (the folder is meant to be committed, so a hostile commit can plant either)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.cli import main
from core.compose.model import ComposeProject, ServiceSpec
from core.errors import InvalidInput
from core.manifests.bundles import LEDGER, write_bundle
from core.manifests.filewriting import RENDER_LEDGER, write_files
from tests.support import paths


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def plant_ledger(out: Path, name: str, files: dict[str, str], dirs: list[str] | None = None) -> None:
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    doc = {"tool": "ushadow-ops", "version": 1, "files": files, "seeded": [], "dirs": dirs or []}
    (out / name).write_text(json.dumps(doc))


def project() -> ComposeProject:
    web = ServiceSpec(name="web", image="nginx:1.27")
    return ComposeProject(path="/compose/app.yml", name="app", services={"web": web})


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside --out whose digest a ledger can name (so the old code would remove it)."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_a_ledger_entry_outside_the_folder_is_refused_and_nothing_is_removed(
    tmp_path: Path, victim: Path, how: str
) -> None:
    out = tmp_path / "k8s"
    rel = "../victim.txt" if how == "relative" else str(victim)
    plant_ledger(out, LEDGER, {rel: digest("precious\n")})
    with pytest.raises(InvalidInput, match="outside"):
        write_bundle([project()], out)
    assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == [LEDGER]  # nothing was written either


def test_a_ledger_folder_outside_is_refused_and_not_removed(tmp_path: Path) -> None:
    out, empty = tmp_path / "k8s", tmp_path / "empty-folder"
    empty.mkdir()
    plant_ledger(out, LEDGER, {}, dirs=["../empty-folder"])
    with pytest.raises(InvalidInput, match="outside"):
        write_bundle([project()], out)
    assert empty.is_dir()


def test_a_symlinked_subfolder_is_not_followed_for_writing(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "k8s", tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "base").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InvalidInput, match="symbolic link"):
        write_bundle([project()], out)
    assert list(elsewhere.iterdir()) == []
    assert not (out / LEDGER).exists()


def test_a_symlinked_subfolder_is_not_followed_for_removing(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "k8s", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old.yaml").write_text("mine\n")
    out.mkdir()
    (out / "stale").symlink_to(elsewhere, target_is_directory=True)
    plant_ledger(out, LEDGER, {"stale/old.yaml": digest("mine\n")}, dirs=["stale"])
    with pytest.raises(InvalidInput, match="symbolic link"):
        write_bundle([project()], out)
    assert (elsewhere / "old.yaml").read_text() == "mine\n"


def test_a_symlinked_ledger_is_refused(tmp_path: Path, victim: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".l.json").symlink_to(victim)
    with pytest.raises(InvalidInput, match="symbolic link"):
        write_files(out, {"a.yaml": "a"}, ledger=".l.json")
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("rel", ["../x.yaml", "/etc/x.yaml", "a/../../x.yaml", "", ".", 5, "a\\..\\..\\x"])
def test_every_kind_of_bad_ledger_path_is_refused(tmp_path: Path, rel: object) -> None:
    out = tmp_path / "out"
    plant_ledger(out, ".l.json", {rel: "0" * 64} if isinstance(rel, str) else {"ok.yaml": "0"})
    if not isinstance(rel, str):
        doc = json.loads((out / ".l.json").read_text())
        doc["seeded"] = [rel]
        (out / ".l.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidInput):
        write_files(out, {"a.yaml": "a"}, ledger=".l.json")
    assert not (out / "a.yaml").exists()


def test_render_out_refuses_a_planted_ledger(
    tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("USHADOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(paths.FIXTURES / "compiler"))
    out = tmp_path / "render"
    plant_ledger(out, RENDER_LEDGER, {"../victim.txt": digest("precious\n")})
    code = main(["render", "tricky:Web_Frontend", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "outside" in err, err
    assert victim.read_text() == "precious\n"
    assert [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()] == [RENDER_LEDGER]


def test_an_honest_rerun_still_prunes_inside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_files(out, {"sub/a.yaml": "a", "b.yaml": "b"}, ledger=".l.json")
    result = write_files(out, {"b.yaml": "b"}, ledger=".l.json")
    assert result.removed == ["sub/a.yaml"] and not (out / "sub").exists()
