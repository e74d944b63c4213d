"""Secret marker values pushed through every command that reads compose files (services list,
render, bundle, envmap, deploy: dry runs, real ones, failures), in-process through the CLI's entry
point and against the local control plane: no output, log line, database byte or written file
may hold one.

The markers come from the ``.env`` beside tests/fixtures/secret_markers/markers-compose.yaml and
from ``--env``; the file puts them where the compiler warns about them (a user name, a bind-mount
path, a hostname) and into a field that cannot be read (an error quoting the value).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from core.cli import main
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import register
from tests.support.paths import FIXTURES

pytestmark = pytest.mark.cluster

MARKERS = {
    "APP_PASSWORD": "mkuser-Secret-4711",  # in the .env: used as `user:`
    "DATA_TOKEN": "/srv/mk-path-Secret-4712",  # in the .env: a bind mount's host path
    "API_KEY": "mk-env-Secret-4713",  # in the .env: an environment value, and a bad mem_limit
}
TYPED = {"HOST_TOKEN": "mk.typed.Secret.4714", "LOGIN_PASSWORD": "mk-typed-Secret-4715"}
ALL = [*MARKERS.values(), *TYPED.values()]
ENV_ARGS = [arg for name, value in TYPED.items() for arg in ("--env", f"{name}={value}")]


def found_markers(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [m for m in ALL if m.encode() in data]


@pytest.fixture
def registry(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "registry"
    shutil.copytree(FIXTURES / "secret_markers", folder)
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(folder))
    return folder


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_no_marker_reaches_any_output_log_record_or_file(
    registry: Path,
    cluster: str,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app, broken = "markers-compose:app", "markers-compose:broken"
    commands: list[list[str]] = [
        ["services", "list"],
        ["render", app, *ENV_ARGS],
        ["render", app, *ENV_ARGS, "--out", str(tmp_path / "render")],
        ["render", broken],
        ["bundle", "--out", str(tmp_path / "bundle"), *ENV_ARGS],
        ["envmap", cluster, "app", "--env", f"API_KEY={MARKERS['API_KEY']}", *ENV_ARGS, "--dry-run"],
        ["envmap", cluster, "app", "--env", f"API_KEY={MARKERS['API_KEY']}", *ENV_ARGS],
        ["deploy", cluster, app, *ENV_ARGS, "--dry-run"],
        ["deploy", cluster, app, *ENV_ARGS],
        ["deploy", cluster, broken],  # cannot be read: the error quotes the field
        ["deploy", cluster, app, *ENV_ARGS, "-n", "Not_A_Namespace"],  # refused before applying
        ["deploy-all", cluster, *ENV_ARGS, "--dry-run"],
        ["deployments", cluster],
    ]
    codes: list[int] = []
    for argv in commands:
        for flags in ([], ["--json"]):
            code, shown = run(capsys, *argv, *flags)
            codes.append(code)
            assert found_markers(shown) == [], (argv, flags, shown)
    # the real work was done (render, bundle, envmaps, deploys), and the failures failed
    assert codes[2:18] == [0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert codes[18:22] == [2, 2, 2, 2], codes
    assert found_markers("\n".join(r.getMessage() for r in caplog.records)) == []
    for path in sorted((tmp_path / "render").rglob("*")) + sorted((tmp_path / "bundle").rglob("*")):
        if path.is_file():
            assert found_markers(path.read_bytes()) == [], path
    for path in sorted(settings.data_dir.rglob("*")):  # the SQLite file, its WAL, and anything else
        if path.is_file():
            assert found_markers(path.read_bytes()) == [], path
