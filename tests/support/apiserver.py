"""``streamlit run serve.py`` in a subprocess on a free port, for the HTTP API tests: its own data
dir and settings, stopped (its process group, by pid) afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.settings import SETTINGS, Settings
from tests.support.paths import REPO

STARTUP_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    settings: Settings
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            answer = httpx.get(f"{url}/healthz", timeout=5)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.25)
    raise RuntimeError(f"the dashboard did not answer /healthz in {STARTUP_TIMEOUT:.0f}s ({last})")


@contextmanager
def running_server(home: Path, **settings: str) -> Iterator[Server]:
    """The dashboard process with ``settings`` (USHADOW_* names) and nothing else from our environment."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ours = {"USHADOW_DATA_DIR": str(home / "data"), "USHADOW_PUBLIC_URL": url, **settings}
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHADOW_")} | ours
    env |= {"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "PYTHONUNBUFFERED": "1"}
    log = home / "streamlit.log"
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        "serve.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_healthy(url, proc, log)
        yield Server(url, Settings.load({k: "" for k in SETTINGS} | ours), log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
