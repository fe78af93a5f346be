"""The filter box narrows pods and workloads, not only leaves (issue 11, defect 3)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import notebook
from tests.browser.test_tree_selection import PENDING, pending_deployment


def test_filter_hides_pods_and_deployments_that_do_not_match(
    page, lab, cluster, core_api, apps_api, namespace, tmp_path
):
    for name in ("alpha", "beta"):
        core_api.create_namespaced_pod(namespace, {
            "metadata": {"name": name},
            "spec": {"nodeSelector": PENDING, "containers": [{
                "name": "main", "image": cluster.worker_image, "imagePullPolicy": "Never",
            }]},
        })  # fmt: skip
    for name in ("alphaweb", "db"):
        apps_api.create_namespaced_deployment(
            namespace, pending_deployment(name, 0, cluster.worker_image)
        )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    pods, deployments = f"/namespaces/{namespace}/pods", f"/namespaces/{namespace}/deployments"
    notebook.open_row(page, pods)
    notebook.open_row(page, deployments)
    expect(notebook.row(page, f"{pods}/beta")).to_be_visible()
    expect(notebook.row(page, f"{deployments}/db")).to_be_visible()

    page.locator(".kj-tree-filter").fill("alpha")
    expect(notebook.row(page, f"{pods}/alpha")).to_be_visible()
    expect(notebook.row(page, f"{deployments}/alphaweb")).to_be_visible()
    expect(notebook.row(page, f"{pods}/beta")).to_have_count(0)
    expect(notebook.row(page, f"{deployments}/db")).to_have_count(0)
    expect(notebook.row(page, f"/namespaces/{namespace}/configmaps")).to_have_count(0)
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "filtered.png")

    page.locator(".kj-tree-filter").fill("")
    expect(notebook.row(page, f"{pods}/beta")).to_be_visible()
