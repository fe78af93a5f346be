"""The two images the cluster needs, built here: the pod sandbox ("pause") and the worker.

The worker image is three layers, each rebuilt only when its inputs change: a Debian rootfs with
python3 (mmdebstrap, Debian's 3.11 like the kernel's), the project's dependencies (pip wheels for
CPython 3.11 / manylinux), and the project itself. Its tag is the hash of the three.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import tomllib

from tools.devcluster import layout, oci
from tools.devcluster.processes import run

SITE = "usr/local/lib/python3.11/dist-packages"  # on Debian's python3 sys.path
# Wheels the image's Debian 12 (glibc 2.36) can load, newest first; pip takes the tags as given.
PLATFORMS = [f"--platform=manylinux_2_{minor}_x86_64" for minor in range(36, 16, -1)]
BASE_PACKAGES = ("python3", "ca-certificates", "procps", "libstdc++6")  # numpy 2 links libstdc++
PAUSE_C = r"""
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
    signal(SIGINT, quit); signal(SIGTERM, quit); signal(SIGCHLD, reap);
    for (;;) pause();
}
"""


def _key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _project_files() -> list[Path]:
    root = layout.REPO_ROOT
    files = [root / "pyproject.toml", root / "README.md"]
    files += [p for p in sorted((root / "kjupyter").rglob("*")) if p.is_file()]
    return [p for p in files if "__pycache__" not in p.parts and p.suffix != ".pyc"]


#: extras the worker image carries beside the dependencies: training across pods needs them
IMAGE_EXTRAS = ("collectives",)


def _dependencies() -> list[str]:
    pyproject = tomllib.loads((layout.REPO_ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    extras = [r for e in IMAGE_EXTRAS for r in project["optional-dependencies"][e]]
    return [*project["dependencies"], *extras]


def pause_image(lay: layout.Layout) -> Path:
    """A static C program that sleeps and reaps: all a pod sandbox needs."""
    archive = lay.images / f"pause-{_key(PAUSE_C)}.oci.tar"
    if archive.exists():
        return archive
    lay.images.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source, binary = Path(tmp) / "pause.c", Path(tmp) / "pause"
        source.write_text(PAUSE_C)
        run(["gcc", "-static", "-Os", "-s", "-o", str(binary), str(source)])
        layer = oci.layer_from_files(
            {"pause": (binary.read_bytes(), 0o755)}, Path(tmp) / "layer.tar"
        )
        oci.write_archive(archive, layout.PAUSE_IMAGE, [layer], cmd=["/pause"])
    return archive


def _base_layer(lay: layout.Layout, log) -> oci.Blob:
    key = _key("bookworm", *BASE_PACKAGES)
    path = lay.images / f"layer-base-{key}.tar"
    if not path.exists():
        log("building the Debian base layer with mmdebstrap (~1 min)...")
        partial = path.with_suffix(".partial.tar")
        run(
            [
                "mmdebstrap", "--variant=essential", "--mode=root",
                f"--include={','.join(BASE_PACKAGES)}", "bookworm", str(partial),
            ]
        )  # fmt: skip
        partial.replace(path)
    return oci.blob_of(path)


def pinned_requirements() -> list[str]:
    """The project's dependency closure pinned to the versions installed here.

    The worker image then holds exactly the kernel's versions (the backend warns on skew), and
    its layer is rebuilt when the kernel's environment changes.
    """
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned: dict[str, str] = {}
    queue = [Requirement(text) for text in _dependencies()]
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if name in pinned:
            continue
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            pinned[name] = str(requirement)
            continue
        pinned[name] = f"{dist.metadata['Name']}=={dist.version}"
        queue.extend(Requirement(text) for text in dist.requires or [])
    return sorted(pinned.values(), key=str.lower)


def _pip_target(target: Path, requirements: list[str]) -> None:
    run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
            "--target", str(target), *PLATFORMS,
            "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
            "--only-binary=:all:", *requirements,
        ]
    )  # fmt: skip


def _compile(tree: Path) -> None:
    """Byte-compile a tree for the image's Python (3.11, as here), checked by hash, not mtime.

    Why: a container starts on a fresh writable layer, so without .pyc files in the image
    every worker pod compiles the modules it imports again (~0.1 s of its start-up).
    """
    run(
        [
            sys.executable, "-m", "compileall", "-q", "-j", "0",
            "--invalidation-mode", "unchecked-hash", str(tree),
        ]
    )  # fmt: skip


def _deps_layer(lay: layout.Layout, log) -> oci.Blob:
    requirements = pinned_requirements()
    key = _key("compiled", *requirements)
    path = lay.images / f"layer-deps-{key}.tar"
    if not path.exists():
        log(f"installing {len(requirements)} pinned dependencies into the deps layer...")
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "site"
            try:
                _pip_target(target, requirements)
            except RuntimeError as err:  # a version with no wheel: resolve afresh instead
                log(f"pinned install failed ({str(err)[-300:]}); resolving the ranges instead")
                path = lay.images / f"layer-deps-{key}-ranges.tar"  # not the pinned layer
                shutil.rmtree(target, ignore_errors=True)
                run(
                    [
                        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
                        "--target", str(target), *PLATFORMS,
                        "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
                        "--only-binary=:all:", *_dependencies(),
                    ]
                )  # fmt: skip
            shutil.rmtree(target / "bin", ignore_errors=True)
            _compile(target)
            partial = path.with_suffix(".partial.tar")
            oci.layer_from_tree(target, SITE, partial)
        partial.replace(path)
    return oci.blob_of(path)


def _project_layer(lay: layout.Layout, key: str) -> oci.Blob:
    path = lay.images / f"layer-project-{key}.tar"
    if not path.exists():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "root"
            run(
                [
                    sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(root / SITE), str(layout.REPO_ROOT),
                ]
            )  # fmt: skip
            shutil.rmtree(root / SITE / "bin", ignore_errors=True)
            _compile(root / SITE)
            (root / "usr/local/bin").mkdir(parents=True)
            (root / "usr/local/bin/python").symlink_to("/usr/bin/python3")  # Debian: python3 only
            oci.layer_from_tree(root, "", path.with_suffix(".partial.tar"))
        path.with_suffix(".partial.tar").replace(path)
    return oci.blob_of(path)


def worker_image(lay: layout.Layout, log=print) -> tuple[str, Path]:
    """Build (or reuse) the worker image; return its name and archive path."""
    lay.images.mkdir(parents=True, exist_ok=True)
    base = _base_layer(lay, log)
    deps = _deps_layer(lay, log)
    project_key = _key(b"compiled", *(p.read_bytes() for p in _project_files()))
    project = _project_layer(lay, project_key)
    for layer in (deps, project):
        layer.path.touch()  # newest mtime: pruning keeps the layers in use
    tag = _key(base.digest, deps.digest, project.digest)
    name = f"{layout.IMAGE_REGISTRY}/worker:{tag}"
    archive = lay.images / f"worker-{tag}.oci.tar"
    if not archive.exists():
        oci.write_archive(
            archive,
            name,
            [base, deps, project],
            cmd=["python3", "-m", "kjupyter.worker"],
            env=(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "PYTHONUNBUFFERED=1",
                "LANG=C.UTF-8",
            ),
        )
    return name, archive


def imported(lay: layout.Layout) -> set[str]:
    """Names of the images containerd already holds in the `k8s.io` namespace."""
    out = run([*ctr(lay), "images", "ls", "-q"]).stdout
    return set(out.split())


def import_image(lay: layout.Layout, name: str, archive: Path) -> float:
    """Import `archive` unless `name` is already there; return the seconds it took."""
    if name in imported(lay):
        return 0.0
    started = time.monotonic()
    run([*ctr(lay), "images", "import", "--no-unpack=false", str(archive)])
    return time.monotonic() - started


def ctr(lay: layout.Layout) -> list[str]:
    """`ctr` on our containerd, in the namespace the kubelet uses."""
    return ["ctr", "--address", str(lay.containerd_socket), "-n", "k8s.io"]


def prune_archives(lay: layout.Layout, keep: set[Path]) -> None:
    """Drop all but the two newest worker archives and project/deps layers (~0.3 GB each)."""
    for pattern in ("worker-*.oci.tar", "layer-project-*.tar", "layer-deps-*.tar"):
        candidates = sorted(lay.images.glob(pattern), key=lambda p: p.stat().st_mtime)
        for path in candidates[:-2]:
            if path not in keep:
                path.unlink(missing_ok=True)
