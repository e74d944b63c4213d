"""Re-checking 50 clusters of which 10 never answer, against kubectl doing the same requests.

Ten of the clusters point at ports that accept a connection and then stay silent, so each of
their checks costs a full request timeout. Our check runs them all in parallel, so the whole
re-check should take about one timeout, well under two.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bench.common import control_plane, row, scaled
from core.clusters import registering as ops
from core.settings import Settings
from core.store.store import Store

TOTAL, DEAD, TIMEOUT = scaled(50, 10), scaled(10, 2), 2.0
KUBECTL = str(Path(sys.executable).with_name("kubectl"))


def main() -> None:
    with control_plane() as state, tempfile.TemporaryDirectory() as tmp:
        silent = [socket.socket() for _ in range(DEAD)]
        for sock in silent:
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
        admin = state.kubeconfig.read_text()
        settings = Settings.load(
            {
                "USHADOW_DATA_DIR": tmp,
                "USHADOW_REQUEST_TIMEOUT": str(TIMEOUT),
                "USHADOW_SCAN_CONCURRENCY": "8",
            }
        )
        store = Store.open(settings)
        configs: list[Path] = []
        for i in range(TOTAL):
            doc = yaml.safe_load(admin)
            if i < DEAD:
                doc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{silent[i].getsockname()[1]}"
            text = yaml.safe_dump(doc)
            ops.add_cluster(store, settings, name=f"c{i:02d}", kubeconfig=text, save_unreachable=True)
            path = Path(tmp) / f"kc{i}.yaml"
            path.write_text(text)
            configs.append(path)

        start = time.perf_counter()
        checked = ops.check_all(store, settings)
        ours = time.perf_counter() - start
        statuses = sorted(c.status for c in checked)

        def kubectl(path: Path) -> int:
            cmd = [
                KUBECTL,
                "--kubeconfig",
                str(path),
                "--request-timeout",
                f"{TIMEOUT:g}s",
                "get",
                "--raw",
                "/version",
            ]
            return subprocess.run(cmd, capture_output=True, check=False, env={**os.environ}).returncode

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=TOTAL) as pool:
            codes = list(pool.map(kubectl, configs))
        peer_parallel = time.perf_counter() - start
        start = time.perf_counter()
        for path in configs[
            DEAD - 2 : DEAD + 8
        ]:  # a sequential loop over 10 (2 dead), as a shell script would
            kubectl(path)
        peer_sequential_10 = time.perf_counter() - start
        store.close()
        for sock in silent:
            sock.close()

    print("| benchmark | ours | peer (same run) | note |")
    print("| --- | --- | --- | --- |")
    print(
        row(
            f"re-check {TOTAL} clusters, {DEAD} silent, timeout {TIMEOUT:g}s",
            f"{ours:.2f} s ({ours / TIMEOUT:.2f} x timeout)",
            f"kubectl x{TOTAL} in parallel processes: {peer_parallel:.2f} s",
            f"statuses: {statuses.count('connected')} connected, {statuses.count('unreachable')} unreachable; "
            f"kubectl failures: {sum(1 for c in codes if c)}",
        )
    )
    print(
        row(
            f"re-check 10 clusters ({min(DEAD, 2)} silent) one after another",
            "-",
            f"kubectl loop: {peer_sequential_10:.2f} s",
            "what a sequential shell loop pays for dead clusters",
        )
    )


if __name__ == "__main__":
    main()
