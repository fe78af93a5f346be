"""A pod created or deleted while its directory is open shows without a refresh (issue 11,
Deliver 1: a live tree)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import notebook
from tests.browser.test_tree_selection import PENDING


def test_an_open_pods_directory_follows_the_cluster(
    page, lab, cluster, core_api, namespace, tmp_path
):
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    pods = f"/namespaces/{namespace}/pods"
    notebook.open_row(page, pods)

    core_api.create_namespaced_pod(namespace, {
        "metadata": {"name": "newcomer"},
        "spec": {"nodeSelector": PENDING, "containers": [{
            "name": "main", "image": cluster.worker_image, "imagePullPolicy": "Never",
        }]},
    })  # fmt: skip
    expect(notebook.row(page, f"{pods}/newcomer")).to_be_visible(timeout=60_000)
    page.locator(".kj-tree").screenshot(path=str(tmp_path / "live.png"))

    core_api.delete_namespaced_pod("newcomer", namespace, grace_period_seconds=0)
    expect(notebook.row(page, f"{pods}/newcomer")).to_have_count(0, timeout=60_000)
