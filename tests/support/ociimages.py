"""Small one-layer OCI image archives without a registry, for the Docker-host tests.

A copy of the piece of branch ``realnode``'s ``core/localcluster/images.py`` these tests need (the
busybox image; the lead unifies the two at merge). ``busybox_archive`` writes Debian's
``busybox-static`` with a link per applet (sh, httpd, wget, ...) as ``ushadow.local/busybox:1``;
the engine loads it with ``docker load`` (``images.load``).
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

BUSYBOX_IMAGE = "ushadow.local/busybox:1"
BUSYBOX = Path("/bin/busybox")
PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
GROUP = b"root:x:0:\nnogroup:x:65534:\n"

FileSource = bytes | Path | str


def _dir_entry(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
    return info


def _layer(files: dict[str, FileSource]) -> bytes:
    """One uncompressed layer: bytes are files (0644), a Path is copied (0755), ``"->x"`` is a
    symlink to x and ``"/"`` an empty directory (``/tmp`` gets 1777); parents are added."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for path in sorted(files):
            parts = path.strip("/").split("/")
            for i in range(1, len(parts) + 1):
                directory = "/".join(parts[:i])
                is_leaf = i == len(parts)
                if directory in dirs or (is_leaf and files[path] != "/"):
                    continue
                dirs.add(directory)
                tar.addfile(_dir_entry(directory))
            name, source = "/".join(parts), files[path]
            if isinstance(source, str) and source.startswith("->"):
                info = tarfile.TarInfo(name)
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, source[2:], 0o777
                tar.addfile(info)
            elif isinstance(source, Path | bytes):
                data = source.read_bytes() if isinstance(source, Path) else source
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o755 if isinstance(source, Path) else 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _blob(tar: tarfile.TarFile, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest.split(':', 1)[1]}")
    info.size, info.mtime = len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))
    return digest, len(data)


def image_archive(name: str, files: dict[str, FileSource], config: dict[str, Any], out: Path) -> Path:
    """Write a one-layer OCI image-layout archive for ``name`` (``registry/repo:tag``) to ``out``."""
    layer = _layer(files)
    with tarfile.open(out, "w") as tar:
        layer_digest, layer_size = _blob(tar, layer)
        image_config = {
            "architecture": "amd64",
            "os": "linux",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        }
        config_digest, config_size = _blob(tar, json.dumps(image_config).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config_size,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest,
                    "size": layer_size,
                }
            ],
        }
        manifest_digest, manifest_size = _blob(tar, json.dumps(manifest).encode())
        index = {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest,
                    "size": manifest_size,
                    "platform": {"architecture": "amd64", "os": "linux"},
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
                    },
                }
            ],
        }
        for entry, body in (("oci-layout", {"imageLayoutVersion": "1.0.0"}), ("index.json", index)):
            data = json.dumps(body).encode()
            info = tarfile.TarInfo(entry)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def busybox_files() -> dict[str, FileSource]:
    if not BUSYBOX.is_file():
        raise RuntimeError(f"{BUSYBOX} is missing: install Debian's busybox-static (scripts/system-deps.sh)")
    listed = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True, timeout=10)
    files: dict[str, FileSource] = {"bin/busybox": BUSYBOX}
    for applet in listed.stdout.split():
        if applet != "busybox" and "/" not in applet:
            files[f"bin/{applet}"] = "->busybox"
    files.update({"etc/passwd": PASSWD, "etc/group": GROUP, "tmp": "/", "root": "/", "www": "/"})
    return files


def busybox_archive(out: Path) -> Path:
    config = {"Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "Cmd": ["sh"], "WorkingDir": "/"}
    return image_archive(BUSYBOX_IMAGE, busybox_files(), config, out)
