"""``ushadow-ops local-cluster``: the real local control plane for the demo and the tests."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.cli.base import Context, Result, add_command
from core.errors import LocalClusterError

if TYPE_CHECKING:
    from pathlib import Path

    from core.localcluster.running import LocalCluster


def cluster_dir(ctx: Context) -> Path:
    return ctx.settings.data_dir / "local-cluster"


def _describe(lc: LocalCluster, **extra: Any) -> dict[str, Any]:
    from core.localcluster.binaries import K8S_VERSION
    from core.localcluster.realnode import real_node_running

    state = lc.state
    running = lc.healthy()
    return {
        "running": running,
        "server": state.server if state and running else None,
        "version": state.version if state else K8S_VERSION,
        "kubeconfig": str(state.kubeconfig) if state and running else None,
        "pids": dict(state.pids) if state and running else {},
        "directory": str(lc.dir),
        "real_node": running and real_node_running(lc.dir),
        **extra,
    }


def _up(args: argparse.Namespace, ctx: Context) -> Result:
    from core.localcluster.binaries import ensure_binaries
    from core.localcluster.realnode import RealNode
    from core.localcluster.running import LocalCluster

    lc = LocalCluster(cluster_dir(ctx))
    tools = ensure_binaries(ctx.settings.k8s_bin_dir, progress=ctx.progress)
    state, started = lc.up(tools, progress=ctx.progress)
    if args.real_node or ctx.settings.local_real_node:
        try:
            RealNode(lc.dir).up(lc.http(state), state.server, progress=ctx.progress)
        except BaseException:
            if started:
                lc.down()  # a half-started cluster is no use to anyone
            raise

    def human(data: dict[str, Any]) -> None:
        verb = "started" if data["started"] else "already running"
        print(f"local control plane {verb}: Kubernetes {data['version']} at {data['server']}")
        if data["real_node"]:
            print("real node ushadow-real-node Ready (pods with x-ushadow node: real run there)")
        print(f"kubeconfig: {data['kubeconfig']}")

    return Result(_describe(lc, started=started), human)


def _build(args: argparse.Namespace, ctx: Context) -> Result:
    from core.localcluster.binaries import K8S_VERSION, ensure_binaries, ensure_kubelet

    tools = ensure_binaries(ctx.settings.k8s_bin_dir, progress=ctx.progress)
    data = {"bin_dir": str(tools.bin_dir), "built": tools.built, "version": K8S_VERSION}
    if args.real_node or ctx.settings.local_real_node:
        data["kubelet"] = str(ensure_kubelet(progress=ctx.progress))
    return Result(
        data,
        lambda d: print(f"control plane binaries {'built' if d['built'] else 'ready'} in {d['bin_dir']}"),
    )


def _kubeconfig(args: argparse.Namespace, ctx: Context) -> Result:
    from core.localcluster.running import LocalCluster

    lc = LocalCluster(cluster_dir(ctx))
    state = lc.state
    if state is None or not lc.running():
        raise LocalClusterError(
            "the local control plane is not running", hint="run `ushadow-ops local-cluster up`"
        )
    return Result({"kubeconfig": str(state.kubeconfig)}, lambda d: print(d["kubeconfig"]))


def _status(args: argparse.Namespace, ctx: Context) -> Result:
    from core.localcluster.running import LocalCluster

    lc = LocalCluster(cluster_dir(ctx))
    data = _describe(lc)

    def human(d: dict[str, Any]) -> None:
        if d["running"]:
            print(
                f"running: Kubernetes {d['version']} at {d['server']} (pids {', '.join(map(str, d['pids'].values()))})"
            )
            if d["real_node"]:
                print("real node ushadow-real-node running (containerd + kubelet)")
        else:
            print("not running")

    return Result(data, human)


def _down(args: argparse.Namespace, ctx: Context) -> Result:
    from core.localcluster.running import LocalCluster

    lc = LocalCluster(cluster_dir(ctx))
    stopped = lc.down()
    data = {"stopped": stopped, "directory": str(lc.dir)}
    return Result(
        data, lambda d: print(f"stopped {', '.join(d['stopped'])}" if d["stopped"] else "nothing was running")
    )


def register(sub: Any) -> None:
    parser = sub.add_parser("local-cluster", help="the local Kubernetes control plane (demo and tests)")
    inner = parser.add_subparsers(dest="local_command", metavar="ACTION")
    inner.required = True
    up = add_command(inner, "up", _up, "start the local control plane (idempotent); returns when it is ready")
    up.add_argument(
        "--real-node",
        action="store_true",
        help="also run one real node (containerd + kubelet; root), labelled and tainted ushadow.io/node=real",
    )
    add_command(inner, "kubeconfig", _kubeconfig, "print the path of its admin kubeconfig")
    add_command(inner, "status", _status, "say whether it runs, and where")
    add_command(inner, "down", _down, "stop every process it started and remove its data")
    build = add_command(
        inner, "build", _build, "build (or find) the control plane binaries without starting anything"
    )
    build.add_argument("--real-node", action="store_true", help="also build the real node's kubelet")
