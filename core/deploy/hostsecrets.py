"""Secret environment values on a Docker host, kept off the engine's disk (pure: data in, data out).

A container's environment is part of its config, which the engine writes to disk in plain text
(Docker's ``config.v2.json``, podman's database). So the variables the compiler classes as secret
(``core.secrets.sensitivity``: a sensitive name or value, or a variable holding a secret value)
never go there. Instead, per service:

- a named volume ``<project>_<service>-secrets`` of the ``local`` driver with ``type=tmpfs``: its
  content lives in memory only, on Docker and on podman alike;
- a keeper container ``<project>-<service>-secrets`` (the service's own image, a shell that sleeps)
  mounts it and holds the tmpfs mounted while the service's containers stop and start (a tmpfs
  volume is unmounted, and emptied, once no running container uses it);
- the values are written into the keeper's mount with the archive API (``put_archive``, streamed to
  the engine, which extracts it into the tmpfs) as a file of ``export NAME='value'`` lines;
- each service container mounts the volume read-only at :data:`MOUNT` and runs through a ``/bin/sh``
  wrapper that waits for the file, exports it and ``exec``s the service's own entrypoint and command.

What the engine stores is the wrapper, the names of the variables and a keyed digest of their values
(to see a change), never the values. Limits: the image needs ``/bin/sh``; healthchecks and ``exec``
sessions do not see the secret variables (they are the process's, not the container's); after the
host reboots, the keeper comes back empty and the service waits for a redeploy (which writes the
values again) for :data:`WAIT_SECONDS`, then exits saying so.
"""

from __future__ import annotations

import io
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import InvalidInput
from core.secrets.masking import distinctive
from core.secrets.sensitivity import split_environment

MOUNT = "/run/ushadow-secrets"
FILE = "env"
WAIT_SECONDS = 60
SECRETS_OF = "io.ushadow.secrets-of"  # the keeper's label: <project>/<service>
WRAPPER = (
    f"i=0; while [ ! -e {MOUNT}/{FILE} ]; do i=$((i+1)); if [ $i -gt {WAIT_SECONDS * 10} ]; then "
    f'echo "ushadow: the secret values never arrived in {MOUNT}: deploy the service again" >&2; '
    f'exit 70; fi; sleep 0.1; done; set -a; . {MOUNT}/{FILE}; set +a; exec "$@"'
)
KEEPER = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"


def split_secrets(environment: Mapping[str, str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """(plain, secret) variables: a sensitive name or value, or one that holds a secret value."""
    split = split_environment(environment)
    secret = dict(split.secret)
    values = [v for v in secret.values() if distinctive(v)]
    plain: dict[str, str] = {}
    for name, value in split.config.items():
        if any(v in value for v in values):
            secret[name] = value
        else:
            plain[name] = value
    return plain, secret


def env_file(secrets: Mapping[str, str]) -> bytes:
    """The ``export`` lines the wrapper sources, one per variable, values quoted for ``sh``."""
    lines = []
    for name, value in sorted(secrets.items()):
        if not name.isidentifier() or "\0" in value:
            raise InvalidInput(
                f"secret variable {name!r} cannot be passed through the shell wrapper",
                hint="secret variable names must be shell identifiers",
            )
        lines.append(f"export {name}={shlex.quote(value)}\n")
    return "".join(lines).encode()


def env_archive(secrets: Mapping[str, str]) -> bytes:
    """A tar archive holding :data:`FILE` (mode 0444: the service may run as any user)."""
    data = env_file(secrets)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(FILE)
        info.size, info.mode = len(data), 0o444
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def volume_name(project: str, service: str) -> str:
    return f"{project}_{service}-secrets"


def keeper_name(project: str, service: str) -> str:
    return f"{project}-{service}-secrets"


def volume_options() -> dict[str, str]:
    """The ``local`` driver's options for an in-memory volume (no ``size``: podman reads it as a
    quota, which needs a filesystem with project quotas)."""
    return {"type": "tmpfs", "device": "tmpfs", "o": "mode=0755,nosuid,nodev,noexec"}


def wrapped(
    entrypoint: Sequence[str] | None, command: Sequence[str] | None, image_config: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """(entrypoint, command) that run the wrapper, then what the container would have run: compose's
    entrypoint (or the image's), then compose's command (or the image's, unless the entrypoint
    was overridden, which resets it as Docker does)."""
    base = list(entrypoint) if entrypoint is not None else list(image_config.get("Entrypoint") or [])
    if command is not None:
        args = list(command)
    elif entrypoint is not None:
        args = []
    else:
        args = list(image_config.get("Cmd") or [])
    if not base and not args:
        raise InvalidInput("the image has neither an entrypoint nor a command to run after the secrets")
    return ["/bin/sh", "-c", WRAPPER, "sh"], [*base, *args]
