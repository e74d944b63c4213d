"""Compile throughput: the whole corpus, and one generated compose file of 200 services.

Loading (parsing and interpolation) and compiling (manifests, YAML) are timed separately; both
should stay well under a second. Prints markdown table rows (median of 5 runs after a warm-up).
"""

from __future__ import annotations

from pathlib import Path

from bench.common import row, scaled, timed
from core.compose.loading import load_project, load_text
from core.compose.model import ComposeProject
from core.manifests.bundles import plan_bundle, refs_of
from core.manifests.compilations import merge_objects
from core.manifests.compiler import compile_project
from core.manifests.yamldocs import to_yaml

ROOT = Path(__file__).resolve().parent.parent
# the shared corpus sits beside the checkout (``/work/shared`` for ``/work/main``, or further up for a worktree)
CORPUS = next(
    (p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)
REPEAT = scaled(5, 2)
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def corpus_files() -> list[Path]:
    files = []
    for root in (CORPUS / "ushadow", CORPUS / "kompose", FIXTURES / "compiler"):
        files += [
            p for p in sorted(root.rglob("*")) if p.suffix in (".yml", ".yaml") and "output" not in p.name
        ]
    return files


def generated(count: int = 200) -> str:
    """A compose file of ``count`` services with ports, env, secrets, volumes and healthchecks."""
    lines = ["name: generated", "services:"]
    for i in range(count):
        lines += [
            f"  svc_{i:03d}:",
            f"    image: registry.example.com/team/svc-{i}:${{TAG_{i % 7}:-1.{i}}}",
            "    ports:",
            f'      - "{10000 + i}:8080"',
            f'      - "{20000 + i}:9090/udp"',
            "    environment:",
            f"      SERVICE_INDEX: '{i}'",
            f"      API_KEY: ${{API_KEY_{i}:-key-{i}}}",
            f"      DATABASE_URL: postgresql://app:pw{i}@db:5432/app{i}",
            "      LOG_LEVEL: info",
            "    volumes:",
            f"      - data_{i}:/data",
            "      - ./config:/config:ro",
            "    healthcheck:",
            '      test: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]',
            "      interval: 10s",
            "      retries: 3",
            "      start_period: 30s",
            "    deploy:",
            "      resources:",
            "        limits: {cpus: '0.5', memory: 512M}",
        ]
        if i:
            lines += ["    depends_on:", f"      - svc_{i - 1:03d}"]
    lines.append("volumes:")
    lines += [f"  data_{i}: {{}}" for i in range(count)]
    return "\n".join(lines) + "\n"


def compile_all(projects: list[ComposeProject]) -> int:
    objects = 0
    for project in projects:
        result = compile_project(project, namespace="bench")
        merged = merge_objects(result.compiled)
        to_yaml(merged)
        objects += len(merged)
    return objects


def main() -> None:
    files = corpus_files()
    projects: list[ComposeProject] = []

    def load_corpus() -> None:
        projects.clear()
        for path in files:
            try:
                projects.append(load_project(path, strict=False))
            except Exception:  # a file the loader refuses (compose v1) is not the compiler's cost
                continue

    load_s, _ = timed(load_corpus, REPEAT)
    compile_s, _ = timed(lambda: compile_all(projects), REPEAT)
    objects = compile_all(projects)
    services = sum(len(p.services) for p in projects)

    text = generated()
    big: list[ComposeProject] = []
    gen_load_s, _ = timed(
        lambda: big.append(load_text(text, path="/bench/generated.yml", strict=False)), REPEAT
    )
    gen_project = big[-1]
    gen_compile_s, _ = timed(lambda: compile_all([gen_project]), REPEAT)
    gen_bundle_s, _ = timed(lambda: plan_bundle(refs_of([gen_project]), namespace="bench"), REPEAT)
    gen_objects = compile_all([gen_project])

    print("| benchmark | load | compile (+ merge + YAML) | note |")
    print("| --- | --- | --- | --- |")
    print(
        row(
            f"whole corpus: {len(files)} files, {services} services",
            f"{load_s * 1000:.0f} ms",
            f"{compile_s * 1000:.0f} ms",
            f"{objects} objects",
        )
    )
    print(
        row(
            "generated compose file, 200 services",
            f"{gen_load_s * 1000:.0f} ms",
            f"{gen_compile_s * 1000:.0f} ms",
            f"{gen_objects} objects; bundle plan {gen_bundle_s * 1000:.0f} ms",
        )
    )


if __name__ == "__main__":
    main()
