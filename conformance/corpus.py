"""Where the external compose corpus is: the ``USHADOW_CORPUS`` setting, checked before any test runs.

The corpus is a folder of compose files nobody on this project wrote (``ushadow/``, ``kompose/``:
see its README), kept outside the repository. ``make conformance CORPUS=<folder>`` passes it as
``USHADOW_CORPUS``. A missing setting, a folder that is not there, or one without compose files is
a usage error that stops the whole run: the conformance suite never skips, and never passes by
checking nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SETTING = "USHADOW_CORPUS"
HINT = "run `make conformance CORPUS=../shared/corpus` (or set USHADOW_CORPUS to the corpus folder)"


def corpus_folder(environ: dict[str, str] | None = None) -> Path:
    """The corpus folder named by ``USHADOW_CORPUS``, or a :class:`pytest.UsageError` saying what is wrong."""
    value = (os.environ if environ is None else environ).get(SETTING, "").strip()
    if not value:
        raise pytest.UsageError(
            f"{SETTING} is not set: the conformance suite needs the compose corpus; {HINT}"
        )
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise pytest.UsageError(f"the compose corpus {folder} ({SETTING}={value}) is not a folder; {HINT}")
    if not any(p.suffix in (".yml", ".yaml") for p in folder.rglob("*")):
        raise pytest.UsageError(
            f"the compose corpus {folder} ({SETTING}={value}) holds no compose files; {HINT}"
        )
    return folder


CORPUS = corpus_folder()
