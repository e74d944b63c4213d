"""Read a compose file into a :class:`ComposeProject`, following the compose specification.

``load_project(path)`` reads a file; ``load_text(text)`` reads an uploaded or pasted one. Both
take the same keywords:

- ``env``: explicit settings. Variables are looked up there first, then in ``environ`` (the
  process environment unless given), then in ``.env`` beside the file. Bare environment keys
  (``- API_KEY``) take their value the same way.
- ``profiles``: ``None`` (the default) keeps every service, each with its ``profiles`` listed: an
  ops tool shows and renders what a file defines, whatever a developer's ``--profile`` flags would
  start. A sequence applies compose's rule: services without profiles, plus those with an active
  one (``"*"`` activates all); the others are named in ``disabled_services``.
- ``strict``: ``True`` raises :class:`InvalidInput` for anything compose-go would reject (naming
  the file, the service and the key) and for an unmet ``${VAR:?message}`` (naming the variable and
  its message). ``False`` is for the registry and the deploy form: unmet required variables go into
  ``required_variables`` (their value is empty), a service that cannot be read goes into
  ``service_errors`` without hiding its neighbours, and consistency problems (an undeclared volume,
  a missing ``env_file``, an unknown key) become warnings.

The steps follow compose-go: YAML (1.2 core schema, so ``no`` stays a string and ``80:80`` is not
base-60; anchors and ``<<`` merge keys), interpolation of every value, ``extends``, profiles,
then each service. What the file asks for but this tool does not do is listed in ``warnings``,
never dropped silently. ``load_text`` reads no other file unless ``read_files=True``: an uploaded
file must not make the server read its own files.

This module is the entry point; the work is done in :mod:`core.compose.assembly` (the project),
:mod:`core.compose.reading` (files, interpolation, ``extends``), :mod:`core.compose.including`
(``include``), :mod:`core.compose.tracking` (variables and secret uses),
:mod:`core.compose.consistency` (cross-references) and :mod:`core.compose.services` (each service).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.compose.assembly import assemble
from core.compose.model import ComposeProject
from core.compose.tracking import secret_uses
from core.errors import InvalidInput

__all__ = ["load_project", "load_text", "secret_uses"]


def load_project(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    profiles: Sequence[str] | None = None,
    strict: bool = True,
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """Read the compose file at ``path`` (see the module docstring for the keywords)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no such compose file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc}") from exc
    base_dir = os.path.dirname(os.path.abspath(file))
    return assemble(
        text,
        display=str(path),
        base_dir=base_dir,
        env=env,
        environ=environ,
        profiles=profiles,
        strict=strict,
        read_files=True,
    )


def load_text(
    text: str,
    *,
    path: str = "compose.yaml",
    env: Mapping[str, str] | None = None,
    profiles: Sequence[str] | None = None,
    strict: bool = True,
    environ: Mapping[str, str] | None = None,
    read_files: bool = False,
) -> ComposeProject:
    """Read compose text (an upload). Relative paths resolve against ``path``'s folder."""
    base_dir = os.path.dirname(os.path.abspath(path))
    return assemble(
        text,
        display=path,
        base_dir=base_dir,
        env=env,
        environ=environ,
        profiles=profiles,
        strict=strict,
        read_files=read_files,
    )
