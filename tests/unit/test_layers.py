"""The layers of DESIGN.md, checked: data flows down, nothing below imports upward.

magics and widgets may import cluster, run and units; those never import magics or widgets;
the worker (which runs in every pod) imports neither the Kubernetes client, pandas nor IPython.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kjupyter"
UPPER = ("kjupyter.magics", "kjupyter.widgets")
HEAVY = ("kubernetes", "pandas", "IPython", "ipywidgets", "anywidget", "numpy")


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (lazy imports inside functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize(
    "path", modules("cluster", "run", "units", "worker"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_lower_layers_never_import_magics_or_widgets(path):
    upward = {m for m in imports(path) if m.startswith(UPPER)}
    assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)}"


@pytest.mark.parametrize("path", modules("worker"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_worker_stays_light(path):
    heavy = {m for m in imports(path) if m.split(".")[0] in HEAVY}
    assert not heavy, f"{path.relative_to(PACKAGE)} imports {sorted(heavy)}"


def test_importing_kjupyter_loads_no_heavy_dependency():
    import subprocess
    import sys

    code = (
        "import sys, kjupyter, kjupyter.worker; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


WIRE_LAYER = {"buffers", "channel", "distributions", "interrupts", "messages", "rendezvous", "wire"}


def _contract(name: str) -> dict[str, list[str]]:
    import configparser

    config = configparser.ConfigParser(inline_comment_prefixes=(";",))
    config.read(PACKAGE.parent / ".importlinter")
    section = config[f"importlinter:contract:{name}"]
    return {key: section[key].split() for key in section}


def test_every_run_module_is_wire_layer_or_forbidden_to_the_worker():
    """A new module in kjupyter/run must be placed: the worker's contract lists modules by name."""
    forbidden = set(_contract("worker-on-the-wire")["forbidden_modules"])
    run = {
        p.stem if p.name != "__init__.py" else p.parent.name
        for p in (PACKAGE / "run").iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()
    }
    unplaced = {m for m in run - WIRE_LAYER if f"kjupyter.run.{m}" not in forbidden}
    assert not unplaced, (
        f"kjupyter.run.{sorted(unplaced)} is neither in the wire layer nor forbidden to the "
        "worker: add it to the worker-on-the-wire contract in .importlinter"
    )
    assert not {f"kjupyter.run.{m}" for m in WIRE_LAYER} & forbidden
