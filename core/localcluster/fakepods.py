"""What the local control plane's fake pods do for ``exec`` and ``port-forward`` (kwok's
``ClusterExec`` and ``ClusterPortForward``). Pure: returns kwok configuration text.

``exec`` runs the command on this machine, in a scratch folder of the control plane's directory
(``pods/``), as the user who started it: the local control plane listens only on 127.0.0.1 and only
its admin certificate may exec. ``port-forward`` runs ``fakeport.py`` once per connection, which
answers a small HTTP response or relays to the address in ``port-forward-target``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

SCRATCH = "pods"
FORWARD_TARGET = "port-forward-target"


def streaming_config(directory: Path) -> str:
    """kwok documents (YAML, ``---``-separated) for exec and port-forward of every fake pod."""
    script = Path(__file__).with_name("fakeport.py")
    docs = [
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterExec",
            "metadata": {"name": "ushadow-local-exec"},
            "spec": {
                "selector": {},
                "execs": [
                    {
                        "containers": [],
                        "local": {
                            "workDir": str(directory / SCRATCH),
                            "envs": [{"name": "USHADOW_LOCAL_POD", "value": "kwok"}],
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterPortForward",
            "metadata": {"name": "ushadow-local-port-forward"},
            "spec": {
                "selector": {},
                "forwards": [{"ports": [], "command": [sys.executable, "-I", str(script), str(directory)]}],
            },
        },
    ]
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)
