"""Writing generated files into a folder people also use: touching only what we wrote. Writes files.

A ledger file (``.ushadow-bundle.json`` for a bundle, ``.ushadow/render.json`` for
``ushadow-ops render --out``, in a subfolder that ``kubectl apply -f DIR`` does not read) lists every file written with a digest. A re-run removes only listed
files that are no longer produced (and unchanged since), refuses (``Conflict``) to overwrite a
file it did not write or that was edited since, and leaves everything else in the folder alone.
Every refusal is checked before anything is written; each file is replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from core.errors import Conflict, InvalidInput
from core.untrusted import clip

RENDER_LEDGER = ".ushadow/render.json"
OLD_RENDER_LEDGER = ".ushadow-render.json"  # before: kubectl apply -f DIR read it and failed


@dataclass(frozen=True)
class SyncResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # stale, but edited by hand: left in place
    seeded: list[str] = field(default_factory=list)


def _digest(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def _safe_rel(rel: object) -> str:
    path = PurePosixPath(str(rel))
    if (
        not isinstance(rel, str)
        or "\\" in rel
        or "\0" in rel
        or path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or path.as_posix() == "."
    ):
        raise InvalidInput(f"refusing to write outside the output folder: {clip(rel)}")
    return path.as_posix()


def _inside(out_dir: Path, rel: str) -> Path:
    """``out_dir / rel``, refusing a symbolic link anywhere below ``out_dir`` (it could lead outside)."""
    path = out_dir
    for part in PurePosixPath(rel).parts:
        path = path / part
        if path.is_symlink():
            raise InvalidInput(
                f"refusing to follow the symbolic link {path} inside {out_dir}",
                hint="ushadow-ops writes and removes only real files and folders inside --out; remove the link",
            )
    return path


def _read_ledger(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"files": {}, "seeded": [], "dirs": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"{path} is not a ushadow-ops file list", hint="move it away and run again"
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("tool") != "ushadow-ops"
        or not isinstance(data.get("files"), dict)
    ):
        raise InvalidInput(f"{path} is not a ushadow-ops file list", hint="move it away and run again")
    data.setdefault("seeded", [])
    data.setdefault("dirs", [])
    if not isinstance(data["seeded"], list) or not isinstance(data["dirs"], list):
        raise InvalidInput(f"{path} is not a ushadow-ops file list", hint="move it away and run again")
    try:  # a ledger is committed with the folder: a hostile commit may point it anywhere
        data["files"] = {_safe_rel(rel): str(digest) for rel, digest in data["files"].items()}
        data["seeded"] = [_safe_rel(rel) for rel in data["seeded"]]
        data["dirs"] = [_safe_rel(rel) for rel in data["dirs"]]
    except InvalidInput as exc:
        raise InvalidInput(
            f"{path} lists a path outside its folder ({exc.message})",
            hint="the file list was edited by hand: move it away and run again",
        ) from exc
    return data


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_files(
    out_dir: Path,
    files: Mapping[str, str],
    *,
    seeds: Mapping[str, str] | None = None,
    ledger: str,
    prune: bool = True,
) -> SyncResult:
    """Write ``files`` (relative path -> text) into ``out_dir``, touching only what we wrote before.

    ``seeds`` are created when missing and never overwritten or removed (files for people to fill
    in). Every refusal is checked before anything is written.

    Kept whole on purpose: the checks and the writes are one pass over the same plan, so that no
    refusal can come after a first file was written.
    """
    seeds = seeds or {}
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"{out_dir} exists and is not a folder")
    ledger_path = _inside(out_dir, ledger)
    old = _read_ledger(ledger_path)
    owned: dict[str, str] = old["files"]
    files = {_safe_rel(rel): text for rel, text in files.items()}
    result = SyncResult()
    problems: list[str] = []
    for rel, text in files.items():
        path = _inside(out_dir, rel)
        if path.is_dir():
            problems.append(f"{rel} is a folder")
        elif path.exists():
            current = _digest(path.read_bytes())
            if current == _digest(text):
                continue
            if rel not in owned:
                problems.append(f"{rel} exists and was not written by ushadow-ops")
            elif owned[rel] != current:
                problems.append(f"{rel} was changed by hand since ushadow-ops wrote it")
    if problems:
        raise Conflict(
            f"refusing to overwrite in {out_dir}: " + "; ".join(problems[:5]),
            hint="move those files away, or choose another --out folder (keep your changes in an overlay)",
        )
    for rel in [*seeds, *owned, *old["dirs"]]:  # every path refused before anything is written
        _inside(out_dir, _safe_rel(rel))
    created_dirs: list[str] = list(dict.fromkeys(str(d) for d in old["dirs"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    for rel, text in {**files, **{_safe_rel(k): v for k, v in seeds.items()}}.items():
        is_seed = rel not in files
        path = _inside(out_dir, rel)
        if is_seed and path.exists():
            continue
        for parent in reversed(PurePosixPath(rel).parents[:-1]):
            folder = _inside(out_dir, parent.as_posix())
            if not folder.exists():
                folder.mkdir()
                created_dirs.append(parent.as_posix())
        if not is_seed and path.exists() and _digest(path.read_bytes()) == _digest(text):
            result.unchanged.append(rel)
            continue
        _atomic_write(path, text)
        (result.seeded if is_seed else result.written).append(rel)
    new_owned = {rel: _digest(text) for rel, text in files.items()}
    if prune:
        for rel, digest in owned.items():
            if rel in new_owned:
                continue
            path = _inside(out_dir, rel)
            if not path.exists():
                continue
            if _digest(path.read_bytes()) == digest:
                path.unlink()
                result.removed.append(rel)
            else:
                result.kept.append(rel)
        for name in sorted(set(created_dirs), key=lambda d: -d.count("/")):
            path = _inside(out_dir, name)
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
                created_dirs.remove(name)
    else:
        new_owned = {**{k: v for k, v in owned.items() if _inside(out_dir, k).exists()}, **new_owned}
    seeded = sorted(set(old["seeded"]) | {_safe_rel(k) for k in seeds})
    ledger_doc = {
        "tool": "ushadow-ops",
        "version": 1,
        "files": new_owned,
        "seeded": seeded,
        "dirs": created_dirs,
    }
    ledger_path.parent.mkdir(parents=True, exist_ok=True)  # .ushadow/ for a render
    _atomic_write(ledger_path, json.dumps(ledger_doc, indent=2, sort_keys=True) + "\n")
    return result
