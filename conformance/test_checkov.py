"""checkov as a second judge: its Kubernetes checks over the compiled ushadow corpus, beside
kompose v1.38.0's output of the same files.

Every check that fails on our output must be in ``REASONED``: a check whose answer the compose
file cannot hold (or holds, and we keep), with that reason and a test on the service that says
the reason applies to it. Any other failed check fails this test: it is a gap in the compiler.
The per-workload counts, ours next to kompose's, are printed (``-s``) for BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance.corpus import CORPUS
from conformance.judges import (
    Compiled,
    compile_corpus,
    kompose_convert,
    per_workload,
    run_checkov,
    workloads_in,
)
from core.compose.model import ServiceSpec
from core.manifests.knobs import knobs_for
from core.secrets.sensitivity import split_environment


def _uid(spec: ServiceSpec) -> int | None:
    uid = (spec.user or "").partition(":")[0].strip()
    return 0 if uid == "root" else int(uid) if uid.isdigit() else None


def _non_root(spec: ServiceSpec) -> bool:
    uid = _uid(spec)
    return uid is not None and uid != 0


def _floating_tag(spec: ServiceSpec) -> bool:
    image = (spec.image or "").rsplit("/", 1)[-1]
    return "@" not in image and (":" not in image or image.endswith(":latest"))


def _no_request(resource: str) -> Callable[[Compiled], bool]:
    """compose gives neither a limit nor a reservation of ``resource``, nor x-ushadow a default."""

    def check(c: Compiled) -> bool:
        res = c.spec.resources
        given = res is not None and (
            (res.cpu_limit or res.cpu_request)
            if resource == "cpu"
            else (res.memory_limit or res.memory_request)
        )
        return not given and resource not in knobs_for(c.project, c.spec.name).resources

    return check


def _no_probe_target(c: Compiled) -> bool:
    hc = c.spec.healthcheck
    return (hc is None or hc.disable or not hc.test) and not [p for p in c.spec.ports if p.protocol == "tcp"]


Reason = tuple[str, Callable[[Compiled], bool]]
REASONED: dict[str, Reason] = {
    "CKV_K8S_43": (
        "image digests: compose names an image by tag; the digest is the publisher's, not in the file",
        lambda c: "@" not in (c.spec.image or ""),
    ),
    "CKV_K8S_14": (
        "the compose file names a :latest (or untagged) image: which version to pin is its owner's choice",
        lambda c: _floating_tag(c.spec),
    ),
    "CKV_K8S_15": (
        "compose pulls an image only when missing unless pull_policy says always; Always would pull on "
        "every start",
        lambda c: (c.spec.pull_policy or "missing").lower() != "always",
    ),
    "CKV_K8S_23": (
        "no user in compose: the UID is the image's, which the file does not know; runAsNonRoot would "
        "refuse every image that starts as root",
        lambda c: not _non_root(c.spec),
    ),
    "CKV_K8S_40": (
        "a UID the image does not declare would not own its files: the UID is the compose user's (or "
        "the image's), below 10000",
        lambda c: (_uid(c.spec) or 0) < 10000,
    ),
    "CKV_K8S_37": (
        "which capabilities an image that starts as root needs (chown, setuid to its own user) is not in "
        "the compose file; with a non-root user every capability is dropped",
        lambda c: not _non_root(c.spec),
    ),
    "CKV_K8S_22": (
        "compose keeps the root filesystem writable unless read_only: true, and images write to it",
        lambda c: not c.spec.read_only,
    ),
    "CKV_K8S_11": (
        "compose gives no CPU limit (deploy.resources.limits): an invented one would throttle the service",
        lambda c: c.spec.resources is None or c.spec.resources.cpu_limit is None,
    ),
    "CKV_K8S_13": (
        "compose gives no memory limit: an invented one would kill the service when it needs more",
        lambda c: c.spec.resources is None or c.spec.resources.memory_limit is None,
    ),
    "CKV_K8S_10": (
        "compose gives no CPU reservation and the file no x-ushadow resources default: the registry "
        "owner sets it (x-ushadow resources), a guess would mis-schedule",
        _no_request("cpu"),
    ),
    "CKV_K8S_12": (
        "compose gives no memory reservation and the file no x-ushadow resources default (as CPU)",
        _no_request("memory"),
    ),
    "CKV_K8S_35": (
        "the image reads its settings from environment variables, as compose gives them (a Secret "
        "loaded with envFrom); a file would not be read",
        lambda c: bool(split_environment(c.spec.environment).secret),
    ),
    "CKV_K8S_8": (
        "no healthcheck and no TCP port: nothing to probe without inventing a command",
        _no_probe_target,
    ),
    "CKV_K8S_9": ("no healthcheck and no TCP port (as CKV_K8S_8)", _no_probe_target),
    "CKV_K8S_25": ("the compose file adds the capability (cap_add)", lambda c: bool(c.spec.cap_add)),
    "CKV_K8S_28": (
        "the compose file asks for NET_RAW or NET_ADMIN (cap_add), so NET_RAW is kept",
        lambda c: bool({a.upper().removeprefix("CAP_") for a in c.spec.cap_add} & {"NET_RAW", "NET_ADMIN"}),
    ),
}


def test_only_reasoned_checkov_checks_fail_and_fewer_than_komposes(tmp_path: Path) -> None:
    ours_dir, kompose_dir = tmp_path / "ours", tmp_path / "kompose"
    compiled = compile_corpus(CORPUS / "ushadow", ours_dir)
    refused = kompose_convert(CORPUS / "ushadow", kompose_dir)
    ours, ours_summary = run_checkov(ours_dir)
    theirs, _ = run_checkov(kompose_dir)

    unexplained = []
    for f in ours:
        reason = REASONED.get(f.check_id)
        if reason is None or f.kind not in ("Deployment", "StatefulSet", "Job", "CronJob"):
            unexplained.append(f"{f.check_id} ({f.check_name}) on {f.kind}/{f.name}")
        elif not reason[1](compiled[f.file]):
            unexplained.append(f"{f.check_id} on {f.kind}/{f.name}: the reason does not apply ({reason[0]})")

    our_workloads, their_workloads = workloads_in(ours_dir), workloads_in(kompose_dir)
    our_fails, their_fails = per_workload(ours), per_workload(theirs)
    print(f"\ncheckov {ours_summary.get('checkov_version', '?')} over <corpus>/ushadow")
    print(
        "| compose file: workload | ushadow-ops: kind, failed checks | kompose v1.38.0: kind, failed checks |"
    )
    print("| --- | --- | --- |")
    for key in sorted(set(our_workloads) | set(their_workloads)):
        mine = f"{our_workloads[key]}, {len(our_fails.get(key, []))}" if key in our_workloads else "-"
        other = f"{their_workloads[key]}, {len(their_fails.get(key, []))}" if key in their_workloads else "-"
        print(f"| {key} | {mine} | {other} |")
    ours_total = sum(len(v) for v in our_fails.values())
    theirs_total = sum(len(v) for v in their_fails.values())
    print(
        f"| **total** | {ours_total} over {len(our_workloads)} workloads ({len(ours)} with other objects) | "
        f"{theirs_total} over {len(their_workloads)} workloads ({len(theirs)} with other objects) |"
    )
    print(f"kompose refused: {refused}")
    print("reasoned checks:\n" + "\n".join(f"- {k}: {v[0]}" for k, v in REASONED.items()))

    assert len(compiled) >= 25 and len(their_workloads) >= 15
    assert unexplained == []
    assert ours_total / len(our_workloads) < theirs_total / len(their_workloads)
