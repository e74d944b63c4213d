"""Several processes opening a brand-new SQLite database at once all succeed: the first migration
runs under a file lock (PostgreSQL has its advisory lock), so none sees "table already exists".

Real processes (``python -c``), each with everything imported first and then released together,
so that they reach the migration at the same moment; a few rounds, each on a fresh file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.paths import REPO

PROCESSES = 6
ROUNDS = 2

OPENER = """
import pathlib, sys, time
import alembic.command, alembic.runtime.migration  # loaded before the start line, not after
from core.settings import Settings
from core.store.store import Store
pathlib.Path(sys.argv[1]).touch()
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.002)
store = Store.open(Settings.load())
store.list_clusters()
store.close()
"""


def start_together(data_dir: Path, count: int) -> list[subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHADOW_")}
    env["USHADOW_DATA_DIR"] = str(data_dir)
    go = data_dir.parent / f"{data_dir.name}.go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(data_dir.parent / f"{data_dir.name}.{i}.ready"), str(go)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    deadline = time.monotonic() + 240  # a precondition (every process is loaded), not a timed assertion
    while not all((data_dir.parent / f"{data_dir.name}.{i}.ready").exists() for i in range(count)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "an opener did not load"
        time.sleep(0.01)
    go.touch()
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_processes_starting_together_on_a_new_sqlite_file_all_succeed(tmp_path: Path) -> None:
    failures = []
    for round_ in range(ROUNDS):
        data_dir = tmp_path / f"round{round_}"
        for result in start_together(data_dir, PROCESSES):
            if result.returncode != 0:
                failures.append(result.stderr.strip().splitlines()[-1:])
        assert (data_dir / "ushadow.db").stat().st_size > 0
    assert failures == []
