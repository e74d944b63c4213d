"""The real node's configuration files: containerd, CNI and kubelet (pure text builders).

What this kind of host needed, found by trying: ``restrict_oom_score_adj`` in containerd and
``oomScoreAdj: 0`` in the kubelet (the VM withholds CAP_SYS_RESOURCE, so nothing may lower an
oom_score_adj), ``failCgroupV1: false`` (cgroup v1 hosts), a CNI network even for host-network pods
(else the node stays NotReady), and eviction thresholds low enough for a busy shared disk.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from core.localcluster.hostnet import BRIDGE, CNI_NETWORK, NODE_IP, POD_SUBNET
from core.localcluster.images import PAUSE_IMAGE

CNI_BIN_DIR = "/usr/lib/cni"
NODE_NAME = "ushadow-real-node"
NODE_LABEL = "ushadow.io/node"
NODE_LABEL_VALUE = "real"


def containerd_toml(root: Path, state: Path, socket: Path, cni_conf_dir: Path) -> str:
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""\
version = 2
root = "{root}"
state = "{state}"
oom_score = 0
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{socket}.ttrpc"

[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[{cri}.cni]
  bin_dir = "{CNI_BIN_DIR}"
  conf_dir = "{cni_conf_dir}"

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
"""


def cni_conflist(ipam_dir: Path) -> str:
    doc = {
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": POD_SUBNET}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(ipam_dir),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    return json.dumps(doc, indent=2)


def kubelet_yaml(*, socket: Path, port: int, ca: Path, cert: Path, key: Path, pod_logs: Path) -> str:
    doc = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP,
        "port": port,
        "readOnlyPort": 0,
        "healthzPort": 0,
        "tlsCertFile": str(cert),
        "tlsPrivateKeyFile": str(key),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": False},
            "x509": {"clientCAFile": str(ca)},
        },
        "authorization": {"mode": "AlwaysAllow"},  # only clients with a certificate of our CA get here
        "containerRuntimeEndpoint": f"unix://{socket}",
        "cgroupDriver": "cgroupfs",
        "failCgroupV1": False,
        "failSwapOn": False,
        "oomScoreAdj": 0,
        "podLogsDir": str(pod_logs),
        "registerWithTaints": [{"key": NODE_LABEL, "value": NODE_LABEL_VALUE, "effect": "NoSchedule"}],
        "evictionHard": {
            "memory.available": "20Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "maxPods": 50,
        "serializeImagePulls": False,
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        "protectKernelDefaults": False,
        "resolvConf": "/etc/resolv.conf",
    }
    return yaml.safe_dump(doc, sort_keys=False)


def kubelet_args(config: Path, kubeconfig: Path, root_dir: Path) -> list[str]:
    return [
        f"--config={config}",
        f"--kubeconfig={kubeconfig}",
        f"--root-dir={root_dir}",
        f"--cert-dir={root_dir / 'pki'}",
        f"--hostname-override={NODE_NAME}",
        f"--node-ip={NODE_IP}",
        f"--node-labels={NODE_LABEL}={NODE_LABEL_VALUE}",
        # Keep two dead instances: between a crash and the restart the status lists the newest dead
        # one as current, and `logs --previous` needs the one before it (one is the default).
        "--maximum-dead-containers-per-container=2",
        "--v=1",
    ]


NODE_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRoleBinding",
    "metadata": {"name": "ushadow-real-node"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:nodes"}],
}
