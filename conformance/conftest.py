"""The conformance suite's setup: the corpus must be there, and the control plane starts as in tests/.

The corpus check runs when this file is loaded, before any test is collected, so a missing or empty
``USHADOW_CORPUS`` folder stops the run with one clear error (see ``conformance/corpus.py``). The
control-plane fixtures are the test suite's own, from ``tests/support/controlplane.py``.
"""

from __future__ import annotations

import pytest

from tests.support.controlplane import admin_kubeconfig, kube_api, local_cluster, namespace

__all__ = ["admin_kubeconfig", "kube_api", "local_cluster", "namespace"]  # fixtures, found here by pytest


def pytest_configure(config: pytest.Config) -> None:
    from conformance.corpus import corpus_folder

    corpus_folder()
