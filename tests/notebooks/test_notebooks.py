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
CLUSTER = [
    "02-cluster-tree.ipynb",
    "03-units.ipynb",
    "04-tasks-on-pods.ipynb",
    "05-sessions.ipynb",
]


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
    text = outputs_text(execute(name, tmp_path))
    assert "rank 1 of 2" in text
    assert "IntProgress(" in text  # the slow map showed a progress widget


@pytest.fixture
def namespaced_kubeconfig(cluster, namespace, tmp_path) -> Path:
    """The admin kubeconfig with its context's namespace set to this test's namespace."""
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    for context in config["contexts"]:
        context["context"]["namespace"] = namespace
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def cluster_env(namespaced_kubeconfig, cluster, namespace, monkeypatch) -> None:
    """What a user's environment would say: kubeconfig (namespace set) and worker image."""
    monkeypatch.setenv("KUBECONFIG", str(namespaced_kubeconfig))
    monkeypatch.setenv("KJUPYTER_IMAGE", cluster.worker_image)
    monkeypatch.setenv("KJUPYTER_NAMESPACE", namespace)


def test_cluster_tree_notebook(cluster_env, namespace, tmp_path):
    text = outputs_text(execute("02-cluster-tree.ipynb", tmp_path))
    assert f"/namespaces/{namespace}" in text
    assert "application/vnd.jupyter.widget-view+json" in text  # %k8s browse made a widget


def test_units_notebook(cluster_env, tmp_path):
    text = outputs_text(execute("03-units.ipynb", tmp_path))
    assert "deployments/web (active): ready" in text


def test_tasks_on_pods_notebook(cluster_env, core_api, namespace, tmp_path):
    text = outputs_text(execute("04-tasks-on-pods.ipynb", tmp_path))
    assert "rank 1 of 2 on kjupyter-" in text
    selector = "app.kubernetes.io/managed-by=kjupyter"
    left = core_api.list_namespaced_pod(namespace, label_selector=selector).items
    assert all(pod.metadata.deletion_timestamp for pod in left)  # pool down deleted them


def test_sessions_notebook(cluster_env, core_api, namespace, tmp_path):
    text = outputs_text(execute("05-sessions.ipynb", tmp_path))
    assert "rank 1 rebuilt" in text  # the deleted pod's rank, rebuilt by replay
    selector = "app.kubernetes.io/managed-by=kjupyter"
    left = core_api.list_namespaced_pod(namespace, label_selector=selector).items
    assert all(pod.metadata.deletion_timestamp for pod in left)  # session down deleted them
