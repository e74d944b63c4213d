"""A real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kwok fake nodes) on 127.0.0.1, for the demo and the integration tests, and the demo
itself (``demo``: sample infrastructure, a registered cluster, a first scan).

May import: every capability below the CLI (the demo registers, scans and applies).
"""
