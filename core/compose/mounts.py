"""A service's ``volumes`` and ``tmpfs`` as the :class:`Volume` mounts of its container. Pure.

Bind sources are made absolute against the compose file's folder; a later ``volumes`` entry for
the same target replaces an earlier one, and a ``tmpfs`` entry never replaces a volume. Options
without meaning on Kubernetes are named in the warnings.
"""

from __future__ import annotations

from core.compose import syntax
from core.compose.merging import absolute_path
from core.compose.model import Volume
from core.compose.raw import RawService, RawVolume
from core.errors import InvalidInput


def _volume(raw: RawVolume, index: int, base_dir: str, home: str | None, warnings: list[str]) -> Volume:
    where = f"volumes[{index}]"
    if not raw.target:
        raise InvalidInput(f"{where}: a volume needs a target path")
    source = raw.source or None
    if raw.type == "bind":
        if not source:
            raise InvalidInput(f"{where}: a bind mount needs a source path")
        source = absolute_path(source, base_dir, home)
    for option in raw.ignored_options:
        warnings.append(f"{where}: option {option!r} has no meaning on Kubernetes and is ignored")
    subpath = (raw.volume.subpath if raw.volume else None) or (raw.image.subpath if raw.image else None)
    return Volume(
        type=raw.type,
        source=source,
        target=syntax.go_path_clean(raw.target),
        read_only=raw.read_only,
        subpath=subpath,
        tmpfs_size=raw.tmpfs.size if raw.tmpfs else None,
    )


def _tmpfs(entry: str, warnings: list[str]) -> Volume:
    target, _, options = entry.partition(":")
    size: int | None = None
    for option in filter(None, options.split(",")):
        name, _, value = option.partition("=")
        if name == "size":
            try:
                size = syntax.parse_size(value)
            except ValueError as exc:
                raise InvalidInput(f"tmpfs {entry!r}: {exc}") from exc
        elif name != "rw":
            warnings.append(f"tmpfs {target}: mount option {option!r} is ignored")
    return Volume(type="tmpfs", target=syntax.go_path_clean(target), tmpfs_size=size)


def mounts(raw: RawService, base_dir: str, home: str | None, warnings: list[str]) -> list[Volume]:
    """The service's mounts, one per target path."""
    by_target: dict[str, Volume] = {}
    for index, raw_volume in enumerate(raw.volumes):
        volume = _volume(raw_volume, index, base_dir, home, warnings)
        by_target[volume.target] = volume
    for mount in raw.tmpfs:
        volume = _tmpfs(mount, warnings)
        by_target.setdefault(volume.target, volume)
    return list(by_target.values())
