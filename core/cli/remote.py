"""``ushadow-ops exec`` and ``ushadow-ops port-forward``: reaching into a pod of a deployed service
through the API server's ``exec`` and ``portforward`` subresources (as kubectl does).

``exec`` streams the command's output and exits with its exit status; with ``--json`` the output is
captured into the one document instead. ``port-forward`` prints each local address, relays until
Ctrl-C, and then stops cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.base import Context, Parser, Result, add_command

SERVICE_HELP = "the Kubernetes name the service was deployed under, or its SERVICE_ID"


def _exec(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]

    def stream(name: str, data: bytes) -> None:
        target = sys.stdout.buffer if name == "stdout" else sys.stderr.buffer
        target.write(data)
        target.flush()

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        result = ops.exec(
            args.namespace,
            args.service,
            command,
            pod=args.pod,
            container=args.container,
            timeout=args.timeout,
            output=None if args.json else stream,
        )
    data = {"cluster": ops.cluster.name, **result.to_json()}
    return Result(data, lambda _d: None, exit_code=result.exit_code)


def _port_forward(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.execing import pick_pod
    from core.operate.forwarding import Forwarder, parse_ports
    from core.operate.operating import Operator

    pairs = parse_ports(args.ports)
    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        namespace = ops.where(args.namespace, args.service)
        pod = pick_pod(ops.kube, namespace, args.service, pod=args.pod)["metadata"]["name"]
        forwarder = Forwarder(ops.kube, namespace, pod, pairs, address=args.address)
        bound = forwarder.bound
        for address, local, remote in bound:
            # always printed (also with --json): the caller needs the port while this runs
            sys.stdout.write(f"Forwarding from {address}:{local} -> {remote} (pod {pod})\n")
        sys.stdout.flush()
        ctx.progress("press Ctrl-C to stop")
        try:
            forwarder.serve(ctx.progress if args.debug else lambda _m: None)
        except KeyboardInterrupt:
            ctx.progress("stopped")
        finally:
            forwarder.close()
    data = {
        "cluster": ops.cluster.name,
        "namespace": namespace,
        "pod": pod,
        "forwards": [{"address": a, "local": lp, "remote": rp} for a, lp, rp in bound],
    }
    return Result(data, lambda _d: None)


class _IntermixedParser(Parser):
    """Options may come after the positionals and before ``--`` (``exec local api -n ns -- ls -la``):
    plain argparse would have matched the command as empty by then."""

    _inside = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def register(sub: Any) -> None:
    run = add_command(
        sub, "exec", _exec, "run a command in a pod of a service (non-interactive); exits with its status"
    )
    run.__class__ = _IntermixedParser
    run.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    run.add_argument("service", metavar="SERVICE", help=SERVICE_HELP)
    run.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: where it is deployed)")
    run.add_argument("--pod", metavar="P", help="this pod (default: a running, ready pod of the service)")
    run.add_argument("-c", "--container", metavar="C", help="container (default: the pod's first)")
    run.add_argument(
        "--timeout", type=float, default=300.0, metavar="SECONDS", help="stop waiting after this long (300)"
    )
    run.add_argument("command", nargs="*", metavar="-- COMMAND", help="the command and its arguments")

    forward = add_command(
        sub, "port-forward", _port_forward, "forward local ports to a ready pod of a service until Ctrl-C"
    )
    forward.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    forward.add_argument("service", metavar="SERVICE", help=SERVICE_HELP)
    forward.add_argument(
        "ports", nargs="+", metavar="[LOCAL:]REMOTE", help="LOCAL empty or 0: a free port (printed)"
    )
    forward.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: where it is deployed)")
    forward.add_argument(
        "--address", default="127.0.0.1", metavar="ADDR", help="local address to listen on (127.0.0.1)"
    )
    forward.add_argument("--pod", metavar="P", help="this pod (default: a running, ready pod of the service)")
