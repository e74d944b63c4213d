"""Whole processes, as ops staff run them in loops: ``ushadow-ops`` commands timed from exec to exit,
each beside its peer in the same run (interleaved, median of 7 after a warm-up).

- ``--help`` and a usage error beside ``python -c pass`` on the same interpreter, and ``kubectl --help``.
- ``clusters list`` and ``scans list`` on a SQLite store of 200 clusters and 1,000 scans (the store
  ``bench_pages`` fills), beside ``python -c pass``.
- ``bundle`` of the ushadow corpus beside kompose v1.38.0 converting the same files, one process per
  file; ``render`` of one service beside one ``kompose convert`` of its file. kompose is built with
  ``go build`` from the Go module proxy's source of ``github.com/kubernetes/kompose@v1.38.0`` into
  the cache beside the control plane's binaries (once; about two minutes).

The scan rows (``ushadow-ops scan`` against ``kubectl get``) are ``bench_scan``'s, in the same run.
Prints markdown. Nothing here asserts a time.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.bench_pages import CLUSTERS, SCANS_PER_CLUSTER, fill, settings_for
from bench.common import ms, row, scaled
from core.localcluster.binaries import cache_root
from core.settings import Settings
from core.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
# the shared corpus sits beside the checkout (``/work/shared`` for ``/work/main``, or further up for a worktree)
CORPUS = next(
    (p / "shared" / "corpus" / "ushadow" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus" / "ushadow",
)
KOMPOSE_MODULE, KOMPOSE_VERSION = "github.com/kubernetes/kompose", "v1.38.0"
REPEAT = scaled(7, 2)
BIN = Path(sys.executable).parent
USHADOW, KUBECTL = str(BIN / "ushadow-ops"), str(BIN / "kubectl")
RENDERED = ("openmemory-compose:mem0", "openmemory-compose.yaml")


def build_kompose() -> tuple[Path | None, str]:
    """kompose from the module proxy's source, built once into the cache; (path, how) or (None, why)."""
    target = cache_root() / "bin" / f"kompose-{KOMPOSE_VERSION}" / "kompose"
    if target.is_file():
        return target, "cached build"
    go = shutil.which("go")
    if go is None:
        return None, "Go is not installed, so kompose cannot be built from source"
    env = {**os.environ, "GOFLAGS": "-buildvcs=false"}
    with tempfile.TemporaryDirectory(prefix="kompose-build-") as tmp:
        got = subprocess.run(
            [go, "mod", "download", "-json", f"{KOMPOSE_MODULE}@{KOMPOSE_VERSION}"],
            cwd=tmp, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if got.returncode != 0:
            return None, f"`go mod download` of kompose failed: {got.stderr.strip()[-300:]}"
        import json

        source = Path(tmp) / "src"
        shutil.copytree(json.loads(got.stdout)["Dir"], source)  # the module cache is read-only
        for path in source.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        built = subprocess.run(
            [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(target), "."],
            cwd=source, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if built.returncode != 0:
            return None, f"`go build` of kompose failed: {built.stderr.strip()[-300:]}"
    return target, f"built in {time.monotonic() - started:.0f} s"


def run(cmd: Sequence[str], env: dict[str, str], cwd: Path, ok: bool = True) -> int:
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, check=False)
    if ok and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return proc.returncode


def interleaved(cases: dict[str, list[list[str]]], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Median wall time of each case (a case is one or more processes run one after another)."""
    allowed_to_fail = {name for name in cases if name.startswith(("usage", "kompose"))}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for attempt in range(REPEAT + 1):
        for name, commands in cases.items():
            started = time.perf_counter()
            for cmd in commands:
                run(cmd, env, cwd, ok=name not in allowed_to_fail)
            if attempt:  # the first round warms the page cache
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    kompose, kompose_note = build_kompose()
    files = sorted(p for p in CORPUS.glob("*.y*ml"))
    with tempfile.TemporaryDirectory(prefix="ushadow-bench-process-") as tmp:
        data_dir = Path(tmp) / "data"
        store = Store.open(Settings.load(settings_for(data_dir)))
        try:
            fill(store)
        finally:
            store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("USHADOW_")}
        env |= {"USHADOW_DATA_DIR": str(data_dir), "USHADOW_COMPOSE_DIR": str(CORPUS)}
        out = Path(tmp) / "out"
        cases: dict[str, list[list[str]]] = {
            "pass": [[sys.executable, "-c", "pass"]],
            "help": [[USHADOW, "--help"]],
            "usage": [[USHADOW, "no-such-command"]],
            "kubectl help": [[KUBECTL, "--help"]],
            "clusters list": [[USHADOW, "clusters", "list", "--json"]],
            "scans list": [[USHADOW, "scans", "list", "--json"]],
            "services list": [[USHADOW, "services", "list", "--json"]],
            "render": [[USHADOW, "render", RENDERED[0]]],
            "bundle": [[USHADOW, "bundle", "--out", str(out / "bundle")]],
        }
        converted = 0
        if kompose is not None:
            kompose_out = out / "kompose"
            kompose_out.mkdir(parents=True)
            cases["kompose one"] = [[str(kompose), "convert", "-f", str(CORPUS / RENDERED[1]), "--stdout"]]
            cases["kompose all"] = [
                [str(kompose), "convert", "-f", str(f), "-o", str(kompose_out / f"{f.stem}.yaml")]
                for f in files
            ]
            converted = sum(run(cmd, env, ROOT, ok=False) == 0 for cmd in cases["kompose all"])
        medians = interleaved(cases, env, ROOT)

    base = medians["pass"]
    print("| command (whole process) | ours | peer (same run) | ratio | note |")
    print("| --- | --- | --- | --- | --- |")
    for name, label in (
        ("help", "`ushadow-ops --help`"),
        ("usage", "`ushadow-ops no-such-command` (usage error)"),
    ):
        print(
            row(label, ms(medians[name]), f"`python -c pass`: {ms(base)}", f"{medians[name] / base:.1f}x",
                f"target: within 3x; `kubectl --help`: {ms(medians['kubectl help'])}")
        )  # fmt: skip
    for name in ("clusters list", "scans list"):
        print(
            row(f"`ushadow-ops {name} --json`, {CLUSTERS} clusters, {CLUSTERS * SCANS_PER_CLUSTER:,} scans",
                ms(medians[name]), f"`python -c pass`: {ms(base)}", f"{medians[name] / base:.1f}x",
                "target: under 250 ms; SQLite store at head")
        )  # fmt: skip
    print(row("`ushadow-ops services list --json`, ushadow corpus", ms(medians["services list"]),
              f"`python -c pass`: {ms(base)}", f"{medians['services list'] / base:.1f}x", "-"))  # fmt: skip
    if kompose is None:
        for name in ("render", "bundle"):
            print(row(f"`ushadow-ops {name}`", ms(medians[name]), "kompose: not built", "-", kompose_note))
        return
    print(
        row(f"`ushadow-ops render {RENDERED[0]}`", ms(medians["render"]),
            f"`kompose convert -f {RENDERED[1]} --stdout`: {ms(medians['kompose one'])}",
            f"{medians['render'] / medians['kompose one']:.2f}x",
            f"target: under 1x; kompose {KOMPOSE_VERSION} ({kompose_note}); ours reads the one file the service id names")
    )  # fmt: skip
    print(
        row(f"`ushadow-ops bundle`, ushadow corpus ({len(files)} files), one process", ms(medians["bundle"]),
            f"kompose convert, one process per file ({len(files)}): {ms(medians['kompose all'])}",
            f"{medians['bundle'] / medians['kompose all']:.2f}x",
            f"target: under 1x; kompose converts {converted} of the {len(files)} files (the rest it refuses); "
            "ours writes a kustomize tree")
    )  # fmt: skip


if __name__ == "__main__":
    main()
