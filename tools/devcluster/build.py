"""Build the pinned Kubernetes components and etcd from Go modules, once per pin.

The Go build cache (`go env GOCACHE`) is what makes rebuilds take a minute instead of ~15;
binaries are also kept under the home and rebuilt only when the pinned go.mod changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from tools.devcluster import kwok, layout
from tools.devcluster.processes import run

KUBE_COMMANDS = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",  # the cluster's own version: the oracle the tree's tests compare against
)


def _version_ldflags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    flags = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {package}.gitVersion={version}",
            f"-X {package}.gitMajor={major}",
            f"-X {package}.gitMinor={minor}",
            f"-X {package}.gitTreeState=clean",
            f"-X {package}.buildDate=2026-01-01T00:00:00Z",
        ]
    return " ".join(flags)


def _pin_key(module_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((module_dir / name).read_bytes())
    return digest.hexdigest()[:16]


def _build(module_dir: Path, packages: list[str], ldflags: str, out: Path) -> None:
    """Build into a scratch folder, then rename into `out`: a running binary is never
    overwritten in place (a cluster that is up keeps running while its binaries update)."""
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    scratch = out / ".building"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    run(
        ["go", "build", "-trimpath", "-ldflags", f"-s -w {ldflags}", "-o", f"{scratch}/",
         *packages],
        cwd=module_dir,
        env=env,
    )  # fmt: skip
    for built in scratch.iterdir():
        built.replace(out / built.name)
    scratch.rmdir()


def ensure_binaries(
    lay: layout.Layout, log=print, only: tuple[str, ...] | None = None
) -> dict[str, float]:
    """Build whatever binary is missing or out of date; return seconds spent per module.

    `only` names the modules to consider (`fake-nodes` builds KWOK alone on a running cluster).
    """
    lay.bin.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    jobs = [
        (
            "kubernetes",
            layout.GOBUILD / "kubernetes",
            [f"k8s.io/kubernetes/cmd/{name}" for name in KUBE_COMMANDS],
            _version_ldflags(layout.KUBERNETES_VERSION),
            KUBE_COMMANDS,
        ),
        ("etcd", layout.GOBUILD / "etcd", ["go.etcd.io/etcd/server/v3"], "", ("etcd",)),
        (
            "metrics-server",
            layout.GOBUILD / "metrics-server",
            ["sigs.k8s.io/metrics-server/cmd/metrics-server"],
            "",
            ("metrics-server",),
        ),
        # fake nodes for scale tests; its Stages come from the same module (kwok.write_stages)
        ("kwok", layout.GOBUILD / "kwok", ["sigs.k8s.io/kwok/cmd/kwok"], "",
         ("kwok", kwok.STAGES_FILE)),
    ]  # fmt: skip
    for name, module_dir, packages, ldflags, outputs in jobs:
        if only is not None and name not in only:
            continue
        stamp = lay.bin / f".{name}.key"
        key = _pin_key(module_dir)
        present = all((lay.bin / output).exists() for output in outputs)
        if present and stamp.exists() and stamp.read_text() == key:
            continue
        log(f"building {name} from Go modules (cold: ~15 min, warm cache: ~1 min)...")
        started = time.monotonic()
        _build(module_dir, packages, ldflags, lay.bin)
        if name == "etcd":
            (lay.bin / "server").replace(lay.bin / "etcd")  # named after the path before /v3
        if name == "kwok":
            kwok.write_stages(lay)
        timings[name] = time.monotonic() - started
        stamp.write_text(key)
        log(f"built {name} in {timings[name]:.0f} s")
    return timings
