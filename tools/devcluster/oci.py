"""Write OCI image-layout archives that `ctr images import` accepts, with nothing but tarfile.

No registry can be reached here, so images are assembled from layer tars and imported into
containerd directly. Layers stay uncompressed: they never cross a network.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LAYER = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@dataclass(frozen=True)
class Blob:
    """A content-addressed file: its digest and size."""

    path: Path
    digest: str
    size: int


def blob_of(path: Path) -> Blob:
    """Hash a file (streamed) into a `Blob`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return Blob(path, f"sha256:{digest.hexdigest()}", path.stat().st_size)


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0  # same content, same digest: re-imports are no-ops
    return info


def layer_from_tree(root: Path, prefix: str, out: Path) -> Blob:
    """Tar the files under `root` so that they land under `/prefix` in the image."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        parts = Path(prefix.strip("/")).parts
        for depth in range(1, len(parts)):
            info = tarfile.TarInfo("/".join(parts[:depth]))
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(_normalise(info))
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            arcname = "/".join([*parts, *path.relative_to(root).parts])
            tar.add(path, arcname=arcname, recursive=False, filter=_normalise)
        if parts:
            tar.add(root, arcname="/".join(parts), recursive=False, filter=_normalise)
    return blob_of(out)


def layer_from_files(files: dict[str, tuple[bytes, int]], out: Path) -> Blob:
    """A layer of a few files given as `{path: (content, mode)}` (symlinks: mode 0o120777)."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, (content, mode) in sorted(files.items()):
            info = tarfile.TarInfo(name.lstrip("/"))
            if mode == 0o120777:
                info.type, info.linkname = tarfile.SYMTYPE, content.decode()
                tar.addfile(_normalise(info))
                continue
            info.size, info.mode = len(content), mode
            tar.addfile(_normalise(info), io.BytesIO(content))
    return blob_of(out)


def write_archive(
    out: Path,
    name: str,
    layers: Sequence[Blob],
    cmd: Sequence[str],
    env: Sequence[str] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
    workdir: str = "/",
) -> None:
    """Write an OCI image-layout tar naming the image `name` (registry/repo:tag)."""
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": list(cmd), "Env": list(env), "WorkingDir": workdir},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
        "history": [{"created_by": "kjupyter devcluster"} for _ in layers],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest = f"sha256:{hashlib.sha256(config_bytes).hexdigest()}"
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": [
            {"mediaType": LAYER, "digest": layer.digest, "size": layer.size} for layer in layers
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_digest = f"sha256:{hashlib.sha256(manifest_bytes).hexdigest()}"
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": MANIFEST,
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {
                    "io.containerd.image.name": name,
                    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1],
                },
            }
        ],
    }

    def add_bytes(tar: tarfile.TarFile, arcname: str, data: bytes) -> None:
        info = _normalise(tarfile.TarInfo(arcname))
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))

    tmp = out.with_suffix(".partial")
    with tarfile.open(tmp, "w") as tar:
        add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_bytes(tar, "index.json", json.dumps(index).encode())
        add_bytes(tar, f"blobs/sha256/{config_digest[7:]}", config_bytes)
        add_bytes(tar, f"blobs/sha256/{manifest_digest[7:]}", manifest_bytes)
        for layer in {layer.digest: layer for layer in layers}.values():
            info = _normalise(tarfile.TarInfo(f"blobs/sha256/{layer.digest[7:]}"))
            info.size, info.mode = layer.size, 0o644
            with open(layer.path, "rb") as handle:
                tar.addfile(info, handle)
    shutil.move(tmp, out)
