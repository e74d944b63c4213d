"""Run every benchmark and write the tables into BENCHMARKS.md (``make bench``).

Each ``bench_*.py`` module runs in its own process (so one's memory and threads don't colour
another's figures) and prints markdown; the results replace the section between the markers.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
MODULES = [
    "bench_process",
    "bench_scan",
    "bench_clusters",
    "bench_compile",
    "bench_pages",
    "bench_load",
    "bench_retention",
    "bench_kompose",
]


USAGE = f"usage: python -m bench [{' '.join(MODULES)}]\n  runs all (or the named) benchmarks"


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in MODULES]
    if unknown:  # --help, a typo: say what there is and leave BENCHMARKS.md alone
        print(USAGE, file=sys.stderr)
        return 0 if unknown in (["--help"], ["-h"]) else 2
    wanted = argv or MODULES
    partial = bool(argv)
    sections = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, by `make bench`.",
    ]
    failed = False
    for name in wanted:
        if not (ROOT / "bench" / f"{name}.py").is_file():
            continue
        print(f"running bench/{name}.py ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        took = time.monotonic() - started
        if proc.returncode != 0:
            failed = True
            print(proc.stderr[-3000:], file=sys.stderr)
            sections.append(f"### {name}\n\nfailed (exit {proc.returncode}); see stderr of `make bench`.")
            continue
        sections.append(f"### {name} ({took:.0f} s)\n\n{proc.stdout.strip()}")
    body = "\n\n".join(sections)
    if partial:  # a single benchmark is for looking at: the recorded table stays a whole run's
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
