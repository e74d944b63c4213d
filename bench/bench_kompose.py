"""ushadow-ops beside kompose v1.38.0 on the same files, in one run: the whole ushadow corpus
(``USHADOW_CORPUS``, else ``../shared/corpus``; its ``ushadow/`` folder).

For each side: wall time to turn every compose file into manifests (ours in-process: load and
compile every service and write its YAML; kompose: one ``kompose convert`` process per file, with
every profile the file names active, as we compile every service), objects emitted, objects the
API server accepts (server-side dry run into a namespace labelled
``pod-security.kubernetes.io/enforce=baseline`` on a fresh local control plane), and workloads whose
pod baseline admits (Pod Security judges Pods, not their controllers: each workload's pod template
is created as a Pod, dry run). kompose is built from the Go module proxy's source
(``bench.bench_process.build_kompose``). Prints markdown table rows (median of 3 runs after a
warm-up for the wall times).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config, utils

from bench.bench_process import build_kompose
from bench.common import control_plane, row, timed
from conformance.judges import WORKLOAD_KINDS, compile_corpus, file_profiles

ROOT = Path(__file__).resolve().parent.parent
_SHARED = next((p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), None)
CORPUS = Path(os.environ.get("USHADOW_CORPUS") or _SHARED or ROOT.parent / "shared" / "corpus") / "ushadow"
NAMESPACE = "judged"


def kompose_all(kompose: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(CORPUS.glob("*.y*ml")):
        profiles = [arg for p in file_profiles(path) for arg in ("--profile", p)]
        subprocess.run(
            [str(kompose), "convert", "-f", str(path), *profiles, "-o", str(out / f"{path.stem}.yaml")],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip


def objects_in(folder: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        out += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict) and d.get("kind")]
    return out


def pod_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The Pod the workload's controller would make (a StatefulSet's claims added as it adds them)."""
    body = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    spec = dict(body["template"]["spec"])
    claims = [
        {
            "name": t["metadata"]["name"],
            "persistentVolumeClaim": {"claimName": f"{t['metadata']['name']}-x-0"},
        }
        for t in body.get("volumeClaimTemplates", [])
    ]
    if claims:
        spec["volumes"] = [*spec.get("volumes", []), *claims]
    name = f"{obj['metadata']['name']}-judged"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def judged(api: client.ApiClient, objects: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(objects accepted, workloads, workloads whose pod baseline admits), all dry run."""
    accepted = workloads = admitted = 0
    for obj in objects:
        obj = {**obj, "metadata": {**obj["metadata"], "namespace": NAMESPACE}}
        try:
            utils.create_from_dict(api, obj, namespace=NAMESPACE, dry_run="All", _request_timeout=15)
            accepted += 1
            ok = True
        except utils.FailToCreateError:
            ok = False
        if obj["kind"] == "Pod":  # kompose's restart: "no" services: the Pod is judged itself
            workloads += 1
            admitted += ok
        elif obj["kind"] in WORKLOAD_KINDS:
            workloads += 1
            try:
                client.CoreV1Api(api).create_namespaced_pod(
                    NAMESPACE, pod_of(obj), dry_run="All", _request_timeout=15
                )
                admitted += 1
            except client.ApiException:
                pass
    return accepted, workloads, admitted


@contextmanager
def api_of(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        yield api
    finally:
        api.close()


def main() -> None:
    if not any(CORPUS.glob("*.y*ml")):
        raise SystemExit(f"no compose files in {CORPUS}: set USHADOW_CORPUS to the corpus folder")
    kompose, how = build_kompose()
    if kompose is None:
        raise SystemExit(f"kompose: {how}")
    with tempfile.TemporaryDirectory(prefix="bench-kompose-") as tmp:
        ours_dir, theirs_dir = Path(tmp) / "ours", Path(tmp) / "kompose"
        ours_time, _ = timed(lambda: compile_corpus(CORPUS, ours_dir, namespace=NAMESPACE), repeat=3)
        theirs_time, _ = timed(lambda: kompose_all(kompose, theirs_dir), repeat=3)
        ours, theirs = objects_in(ours_dir), objects_in(theirs_dir)
        with control_plane() as state, api_of(state.kubeconfig) as api:
            labels = {"pod-security.kubernetes.io/enforce": "baseline"}
            body = {"metadata": {"name": NAMESPACE, "labels": labels}}
            client.CoreV1Api(api).create_namespace(body, _request_timeout=15)
            ours_judged, theirs_judged = judged(api, ours), judged(api, theirs)
    files = len(list(CORPUS.glob("*.y*ml")))
    print(
        f"{files} compose files of the ushadow corpus; kompose {how}. Admitted: a server-side dry run "
        "into a namespace enforcing Pod Security baseline (workloads: their pod template as a Pod)."
    )
    print()
    print(
        row(
            "tool",
            "wall time (all files)",
            "objects",
            "accepted by the server",
            "workloads",
            "baseline admits",
        )
    )
    print(row("---", "---", "---", "---", "---", "---"))
    for name, took, objects, (accepted, workloads, admitted) in (
        ("ushadow-ops (in-process)", ours_time, ours, ours_judged),
        ("kompose v1.38.0 (a process per file)", theirs_time, theirs, theirs_judged),
    ):
        print(row(name, f"{took * 1000:.0f} ms", len(objects), accepted, workloads, admitted))


if __name__ == "__main__":
    main()
