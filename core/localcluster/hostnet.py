"""The host state a real node changes, and how to put it back (root only; every step idempotent).

The kubelet and the CNI plugins touch the host outside the cluster's state folder: an address on
``lo`` (the node IP), the pod bridge and its veths, network namespaces, iptables chains, mounts,
cgroups. Each function here adds or removes one of them, and tolerates finding it already gone,
so ``down`` can run after a crash, twice, or half-way through ``up``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from core.errors import LocalClusterError

NODE_IP = "10.213.255.1"
"""The real node's address: an extra /32 on ``lo`` (the kubelet refuses a loopback node IP)."""
POD_SUBNET = "10.213.0.0/24"
"""Not 10.88/10.89: podman and CNI hand those out to their own bridges by default."""
BRIDGE = "ushadow0"
CNI_NETWORK = "ushadow-real"
CGROUP_ROOT = Path("/sys/fs/cgroup")
NETNS_DIR = Path("/run/netns")
# Chains the kubelet makes for itself; the CNI plugins' chains start with CNI- and name our network.
KUBELET_CHAINS = ("KUBE-KUBELET-CANARY", "KUBE-FIREWALL", "KUBE-IPTABLES-HINT", "KUBE-NODE-PORT")
DEBIAN_PACKAGES = {
    "containerd": "containerd",
    "ctr": "containerd",
    "runc": "runc",
    "iptables": "iptables",
    "/usr/lib/cni/bridge": "containernetworking-plugins",
    "/bin/busybox": "busybox-static",
    "gcc": "gcc",
    "/usr/lib/x86_64-linux-gnu/libc.a": "libc6-dev",
}


def _run(cmd: list[str], *, check: bool = False, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    if check and proc.returncode != 0:
        raise LocalClusterError(f"`{' '.join(cmd)}` failed: {(proc.stderr or proc.stdout).strip()[-400:]}")
    return proc


def require_root() -> None:
    if os.geteuid() != 0:
        raise LocalClusterError(
            "a real node needs root: it runs containerd and a kubelet, adds an address, a bridge and "
            "iptables chains",
            hint="run `ushadow-ops local-cluster up --real-node` as root (or leave --real-node out)",
        )


def _present(thing: str) -> bool:
    return Path(thing).exists() if thing.startswith("/") else shutil.which(thing) is not None


def missing_packages() -> list[str]:
    return sorted({pkg for thing, pkg in DEBIAN_PACKAGES.items() if not _present(thing)})


def install_packages(progress: Callable[[str], None] = lambda _m: None) -> list[str]:
    """Install the Debian packages a real node needs when missing (as scripts/system-deps.sh does)."""
    need = missing_packages()
    if not need:
        return []
    if shutil.which("apt-get") is None:
        raise LocalClusterError(
            f"missing {', '.join(need)} and apt-get is not available",
            hint="install them with your package manager",
        )
    progress(f"installing Debian packages: {' '.join(need)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *need],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=900)
        if proc.returncode != 0:
            raise LocalClusterError(
                f"`{' '.join(cmd[:3])}` failed: {(proc.stderr or proc.stdout).strip()[-400:]}",
                hint=f"install {' '.join(need)} yourself and retry",
            )
    return need


def routed_elsewhere(routes: str) -> str | None:
    """The device of a route in ``ip -4 -o route`` text that overlaps the pod subnet, not our bridge."""
    ours = ipaddress.ip_network(POD_SUBNET)
    for line in routes.splitlines():
        words = line.split()
        if not words or words[0] == "default" or "dev" not in words:
            continue
        try:
            network = ipaddress.ip_network(words[0], strict=False)
        except ValueError:
            continue
        device = words[words.index("dev") + 1] if words.index("dev") + 1 < len(words) else "?"
        if device != BRIDGE and network.overlaps(ours):
            return f"{words[0]} via {device}"
    return None


def check_pod_subnet() -> None:
    """Refuse to start when another network (a container engine's bridge) already routes the pod subnet."""
    clash = routed_elsewhere(_run(["ip", "-4", "-o", "route"]).stdout)
    if clash:
        raise LocalClusterError(
            f"the real node's pod subnet {POD_SUBNET} is already routed ({clash}), so the kubelet could not "
            "reach its pods",
            hint="remove that network (for example `podman network rm`, or `ip link del` of the bridge) and retry",
        )


def add_address() -> None:
    out = _run(["ip", "-4", "-o", "addr", "show", "dev", "lo"]).stdout
    if f" {NODE_IP}/" not in out:
        _run(["ip", "addr", "add", f"{NODE_IP}/32", "dev", "lo"], check=True)


def remove_address() -> None:
    _run(["ip", "addr", "del", f"{NODE_IP}/32", "dev", "lo"])


def remove_bridge() -> None:
    """Our veths (each takes its peer in the pod's namespace with it), then the bridge."""
    out = _run(["ip", "-o", "link", "show", "master", BRIDGE]).stdout
    for line in out.splitlines():
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        _run(["ip", "link", "del", name])
    _run(["ip", "link", "del", BRIDGE])


def remove_netns() -> None:
    """Pod network namespaces left by a crash: those with an address in our pod subnet (run it
    before ``remove_bridge``, which takes the addresses away)."""
    if not NETNS_DIR.is_dir():
        return
    prefix = POD_SUBNET.rsplit(".", 1)[0] + "."
    for ns in NETNS_DIR.glob("cni-*"):
        addrs = _run(["ip", "netns", "exec", ns.name, "ip", "-4", "-o", "addr"]).stdout
        if f"inet {prefix}" in addrs:
            _run(["ip", "netns", "del", ns.name])


def _ours(chain: str, rules: str) -> bool:
    if chain in KUBELET_CHAINS:
        return True
    if not chain.startswith("CNI-"):
        return False
    # Only chains whose rules name our network: CNI-FORWARD, CNI-HOSTPORT-* may be another CNI
    # user's (podman's, say) on the same host.
    return CNI_NETWORK in rules


def remove_chains() -> list[str]:
    """Our iptables chains (ip and ip6), with every rule that jumps to them."""
    removed: list[str] = []
    for tool in ("iptables", "ip6tables"):
        if shutil.which(tool) is None:
            continue
        for table in ("filter", "nat", "mangle"):
            removed += _remove_table_chains(tool, table)
    return removed


def _remove_table_chains(tool: str, table: str) -> list[str]:
    proc = _run([tool, "-w", "5", "-t", table, "-S"])
    if proc.returncode != 0:
        return []
    lines = proc.stdout.splitlines()
    chains = [ln.split()[1] for ln in lines if ln.startswith("-N ")]
    ours = {c for c in chains if _ours(c, "\n".join(ln for ln in lines if c in ln))}
    if not ours:
        return []
    for line in lines:
        if not line.startswith("-A "):
            continue
        parts = line.split()
        owner = parts[1]
        target = parts[parts.index("-j") + 1] if "-j" in parts else None
        if (target in ours or re.search(CNI_NETWORK, line)) and owner not in ours:
            _run([tool, "-w", "5", "-t", table, "-D", *_spec(line)])
    for chain in ours:
        _run([tool, "-w", "5", "-t", table, "-F", chain])
    for chain in ours:
        _run([tool, "-w", "5", "-t", table, "-X", chain])
    return [f"{tool}/{table}/{c}" for c in sorted(ours)]


def _spec(line: str) -> list[str]:
    """An ``-S`` rule line as arguments for ``-D`` (quoted comments kept whole)."""
    import shlex

    return shlex.split(line)[1:]


def unmount_under(*roots: Path) -> list[str]:
    """Every mount below ``roots``, deepest first (lazily: a dying process may still hold one)."""
    prefixes = [str(r).rstrip("/") + "/" for r in roots]
    points: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if any(point.startswith(p) or point + "/" == p for p in prefixes):
                points.append(point)
    for point in sorted(set(points), key=len, reverse=True):
        _run(["umount", "-l", point])
    return points


def remove_cgroups(top: str = "kubepods") -> int:
    """The kubelet's cgroups in every hierarchy, deepest first (their processes are gone by now)."""
    removed = 0
    if not CGROUP_ROOT.is_dir():
        return 0
    for hierarchy in CGROUP_ROOT.iterdir():
        for base in (hierarchy / top, hierarchy / f"{top}.slice"):
            if not base.is_dir():
                continue
            dirs = sorted(
                (p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
            )
            for directory in [*dirs, base]:
                with contextlib.suppress(OSError):
                    directory.rmdir()
                    removed += 1
    return removed


def remove_container_log_links(pod_logs: Path) -> None:
    """The kubelet's ``/var/log/containers`` links into our pod log folder."""
    links = Path("/var/log/containers")
    if not links.is_dir():
        return
    for link in links.iterdir():
        with contextlib.suppress(OSError):
            if link.is_symlink() and os.readlink(link).startswith(str(pod_logs)):
                link.unlink()
