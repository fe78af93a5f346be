"""Every notebook in `notebooks/` runs end to end in a real kernel (nbclient).

The notebooks check themselves with a few asserts; a failing cell fails the test with the
cell's error. Cluster notebooks get a kubeconfig whose context points at a fresh namespace.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LOCAL = ["01-tasks-local.ipynb"]
CLUSTER = ["02-cluster-tree.ipynb"]


def execute(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return book


def outputs_text(book: nbformat.NotebookNode) -> str:
    return json.dumps([cell.get("outputs", []) for cell in book.cells])


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(LOCAL + CLUSTER)


@pytest.mark.parametrize("name", LOCAL)
def test_local_notebook_runs(name, tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    book = execute(name, tmp_path)
    assert "rank 1 of 2" in outputs_text(book)


@pytest.fixture
def namespaced_kubeconfig(cluster, namespace, tmp_path) -> Path:
    """The admin kubeconfig with its context's namespace set to this test's namespace."""
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    for context in config["contexts"]:
        context["context"]["namespace"] = namespace
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("name", CLUSTER)
def test_cluster_notebook_runs(name, namespaced_kubeconfig, namespace, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(namespaced_kubeconfig))
    book = execute(name, tmp_path)
    text = outputs_text(book)
    assert f"/namespaces/{namespace}" in text
    assert "application/vnd.jupyter.widget-view+json" in text  # %k8s browse made a widget
