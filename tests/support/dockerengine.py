"""A real Docker Engine API for the tests: podman's ``system service`` on a socket of its own.

It gets its own storage (root and runroot under the session's tmp dir, the ``vfs`` driver), its own
network config dir and a ``containers.conf`` (pointed at by ``CONTAINERS_CONF``) with
``default_ulimits = []``: this kind of VM refuses raising rlimits, which podman does by default.
podman runs healthchecks from systemd timers, and this VM has no systemd: a ticker thread plays
that part, running ``podman healthcheck run`` every second for each container that has one (but
those labelled :data:`NO_TICKER`, which stand for an engine that runs none).
There is no registry: the busybox test image is built locally (``core.localcluster.images``) and
loaded through the API. At the end every container is removed and the service is stopped by its pid.

``python -m tests.support.dockerengine DIR`` starts one by hand (for trying the CLI) and prints
its ``unix://`` URL; stop it with ``kill <pid>`` (the pid is in ``DIR/podman.pid``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import docker

from core.localcluster.images import BUSYBOX_IMAGE, busybox_archive

CONF = """[containers]
default_ulimits = []
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{base}/events.log"
tmp_dir = "{base}/tmp"

[network]
network_config_dir = "{base}/networks"
default_subnet_pools = [{{"base" = "{subnets}", "size" = 24}}]
"""
NO_TICKER = "ushadow.test/no-healthcheck-runner"  # a container's label: its healthcheck is never run,
# as on podman without systemd
SUBNETS = "10.231.0.0/16"  # the networks the tests create: their bridges are found (and removed) by it


@dataclass(frozen=True)
class Engine:
    url: str
    socket: Path
    pid: int
    base: Path
    stopping: threading.Event

    def podman(self, *args: str) -> list[str]:
        return [shutil.which("podman") or "podman", "--root", str(self.base / "root"), "--runroot",
                str(self.base / "run"), "--storage-driver", "vfs", *args]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CONTAINERS_CONF": str(self.base / "containers.conf"),
            "TMPDIR": str(self.base / "tmp"),
        }

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url, version="auto", timeout=60)

    def cli_env(self) -> dict[str, str]:
        """Environment for the ``docker`` CLI (or ``podman --remote``) against this engine."""
        return {**os.environ, "DOCKER_HOST": self.url}


def start(base: Path) -> Engine:
    podman = shutil.which("podman")
    if podman is None:
        raise RuntimeError("podman is missing: run scripts/system-deps.sh (make test does)")
    base.mkdir(parents=True, exist_ok=True)
    for sub in ("root", "run", "tmp", "networks"):
        (base / sub).mkdir(exist_ok=True)
    conf = base / "containers.conf"
    conf.write_text(CONF.format(base=base, subnets=SUBNETS))
    socket = base / "docker.sock"
    log = (base / "podman.log").open("ab")
    engine = Engine(f"unix://{socket}", socket, 0, base, threading.Event())
    argv = engine.podman("system", "service", "--time=0", f"unix://{socket}")
    proc = subprocess.Popen(
        argv, env=engine.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    (base / "podman.pid").write_text(str(proc.pid))
    engine = Engine(engine.url, socket, proc.pid, base, engine.stopping)
    _wait_ready(engine, proc)
    _load_busybox(engine)
    ticker = threading.Thread(target=_healthchecks, args=(engine,), daemon=True)
    ticker.start()
    _TICKERS[engine.pid] = ticker
    return engine


_TICKERS: dict[int, threading.Thread] = {}


def _healthchecks(engine: Engine) -> None:
    """What podman's systemd timers would do: run each container's healthcheck every second."""
    while not engine.stopping.wait(1.0):
        try:
            client = engine.client()
            ids = [c["Id"] for c in client.api.containers(filters={"status": "running"})]
            configs = [(i, client.api.inspect_container(i).get("Config") or {}) for i in ids]
            checked = [
                i for i, c in configs if c.get("Healthcheck") and NO_TICKER not in (c.get("Labels") or {})
            ]
            client.close()
        except docker.errors.DockerException:
            continue
        for container in checked:
            subprocess.run(
                engine.podman("healthcheck", "run", container),
                env=engine.env(),
                capture_output=True,
                timeout=30,
                check=False,
            )


def _wait_ready(engine: Engine, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):  # a readiness loop, not an assertion: the engine answers or exits
        if proc.poll() is not None:
            raise RuntimeError(
                f"podman system service exited: {(engine.base / 'podman.log').read_text()[-2000:]}"
            )
        if engine.socket.exists():
            try:
                engine.client().ping()
                return
            except docker.errors.DockerException:
                pass
        time.sleep(0.1)
    stop(engine)
    raise RuntimeError("podman system service did not answer within a minute")


def _load_busybox(engine: Engine) -> None:
    archive = busybox_archive(engine.base / "busybox.tar")
    client = engine.client()
    try:
        client.images.load(archive.read_bytes())
        client.images.get(BUSYBOX_IMAGE)  # fails loudly when the load did not tag it
    finally:
        client.close()


def stop(engine: Engine) -> None:
    """Remove every container (their conmon processes outlive the service), then stop it by pid."""
    engine.stopping.set()
    ticker = _TICKERS.pop(engine.pid, None)
    if ticker is not None:  # a healthcheck in flight would leave its exec session's conmon behind
        ticker.join(timeout=60)
    try:
        client = engine.client()
        for container in client.containers.list(all=True):
            container.remove(force=True, v=True)
        client.close()
    except docker.errors.DockerException:
        pass
    try:
        os.kill(engine.pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(engine.pid, 0)
            time.sleep(0.1)
        os.kill(engine.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    with suppress(ChildProcessError):
        os.waitpid(engine.pid, 0)
    _stop_leftovers(engine.base)
    remove_bridges()


def remove_bridges() -> None:
    """Our networks' bridges (podman leaves a CNI network's bridge behind when the network goes):
    those with an address in :data:`SUBNETS`, which only this engine allocates from, once no
    container port is left on them."""
    listed = subprocess.run(["ip", "-j", "addr", "show", "type", "bridge"], capture_output=True,
                            text=True, timeout=30, check=False)  # fmt: skip
    try:
        links = json.loads(listed.stdout or "[]")
    except ValueError:
        return
    ours = ipaddress.ip_network(SUBNETS)
    for link in links:
        addresses = [a.get("local", "") for a in link.get("addr_info") or [] if a.get("family") == "inet"]
        if not any(ipaddress.ip_address(a) in ours for a in addresses if a):
            continue
        ports = subprocess.run(["ip", "-br", "link", "show", "master", link["ifname"]], capture_output=True,
                               text=True, timeout=30, check=False)  # fmt: skip
        if ports.returncode == 0 and not ports.stdout.strip():
            subprocess.run(
                ["ip", "link", "delete", link["ifname"]], capture_output=True, timeout=30, check=False
            )


def _stop_leftovers(base: Path) -> None:
    """conmon processes of this engine's exec sessions (healthchecks, ``exec``) can outlive their
    container: stop each one whose command line names this engine's storage, by pid."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline[0].endswith(b"conmon") and any(str(base).encode() in part for part in cmdline):
            with suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


@contextmanager
def docker_engine(base: Path) -> Iterator[Engine]:
    engine = start(base)
    try:
        yield engine
    finally:
        stop(engine)


if __name__ == "__main__":  # pragma: no cover - by hand
    started = start(Path(sys.argv[1]).resolve())
    print(started.url, flush=True)
    started.stopping.wait()  # keeps running the healthchecks until killed
