"""Run every benchmark and write the tables into BENCHMARKS.md (``make bench``).

Each ``bench_*.py`` module runs in its own process group (so one's memory and threads don't colour
another's figures, and a module that overruns ``BENCH_MODULE_TIMEOUT`` seconds is stopped with
everything it started); the markdown it prints replaces the section between the markers.

- ``python -m bench`` runs them all at full scale and records them; ``python -m bench NAME ...``
  runs the named ones and only prints them.
- ``--quick`` (or ``BENCH_SCALE=0.1``) shrinks every size and repeat to check that each module runs
  end to end (a minute or two each); a run below scale 1 is printed, never recorded.
- Modules: :data:`ORDER` first, then any other ``bench/bench_*.py`` in name order (a new benchmark
  is a new file; nothing here needs to change).
- The tree is byte-compiled first (``compileall``), as ``pip install`` does for an installed tool:
  a whole-process figure must not include compiling our own sources on every start (the shells
  here set ``PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
ORDER = ["bench_process", "bench_compile", "bench_scan", "bench_clusters", "bench_pages", "bench_load"]
QUICK_SCALE = "0.1"
MODULE_TIMEOUT = float(os.environ.get("BENCH_MODULE_TIMEOUT", "1500"))


def modules() -> list[str]:
    found = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    return [m for m in ORDER if m in found] + [m for m in found if m not in ORDER]


def usage() -> str:
    return (
        f"usage: python -m bench [--quick] [{' '.join(modules())}]\n"
        "  runs all (or the named) benchmarks; --quick: a small run to check they work (not recorded)"
    )


def compile_tree() -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "core", "pages", "bench", "dashboard.py", "serve.py"],
        cwd=ROOT, env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        stdout=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _stop_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the module's group: its servers, browsers, control plane
        os.killpg(pid, signal.SIGTERM)


def run_module(name: str, env: dict[str, str]) -> tuple[int, str, float]:
    """Run one module in its own process group; (exit code, stdout, seconds). Its stderr (progress,
    errors) goes straight to ours."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip

    def forward(signum: int, _frame: object) -> None:  # stopping `make bench` stops the module too
        _stop_group(proc.pid)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        out, _ = proc.communicate(timeout=MODULE_TIMEOUT)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        _stop_group(proc.pid)
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        print(f"bench/{name}.py stopped after {MODULE_TIMEOUT:.0f} s (BENCH_MODULE_TIMEOUT)", file=sys.stderr)
        code = 124
    return code, out, time.monotonic() - started


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if a != "--quick"]
    unknown = [name for name in names if name not in modules()]
    if unknown:  # --help, a typo: say what there is and leave BENCHMARKS.md alone
        print(usage(), file=sys.stderr)
        return 0 if unknown in (["--help"], ["-h"]) else 2
    env = dict(os.environ)
    if quick:
        env.setdefault("BENCH_SCALE", QUICK_SCALE)
    scale = float(env.get("BENCH_SCALE") or "1")
    record = not names and scale == 1
    compile_tree()
    sections = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average before the run "
        f"{os.getloadavg()[0]:.1f}, by `make bench`"
        + ("" if scale == 1 else f" at BENCH_SCALE={scale:g}")
        + ".",
    ]
    failed = False
    for name in names or modules():
        print(f"running bench/{name}.py ...", file=sys.stderr, flush=True)
        code, out, took = run_module(name, env)
        print(f"  bench/{name}.py: exit {code} after {took:.0f} s", file=sys.stderr, flush=True)
        if code != 0:
            failed = True
            sections.append(f"### {name} ({took:.0f} s)\n\nfailed (exit {code}); see stderr of `make bench`.")
            continue
        sections.append(f"### {name} ({took:.0f} s)\n\n{out.strip()}")
    body = "\n\n".join(sections)
    if not record:  # a partial or scaled-down run is for looking at: the recorded tables stay a whole run's
        print(body)
        return 1 if failed else 0
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
    print(body)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
