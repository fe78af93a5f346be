"""The tree widget in the other hosts people open notebooks in: Notebook 7 and Voila (issue 11,
Deliver 5: "checked in Notebook 7 and Voila"). The same server serves both beside JupyterLab."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_tree_selection import pending_deployment


def tree_notebook(lab, cluster, apps_api, namespace, tmp_path) -> str:
    apps_api.create_namespaced_deployment(
        namespace, pending_deployment("web", 1, cluster.worker_image)
    )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    name = f"hosts-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        f"%k8s browse /namespaces/{namespace}",
    ])  # fmt: skip
    return name


def select_and_describe(page, namespace: str) -> None:
    deployments = f"/namespaces/{namespace}/deployments"
    notebook.open_row(page, deployments)
    notebook.select(page, f"{deployments}/web")
    notebook.action(page, "describe").click()
    expect(page.locator(".kj-tree-detail")).to_contain_text("web")
    expect(page.locator(".kj-tree-selection")).to_have_text(f"{deployments}/web")


def test_the_tree_works_in_notebook_7(page, lab, cluster, apps_api, namespace, tmp_path):
    name = tree_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_in_notebook7(page, lab, name)
    page.locator(".kj-tree").wait_for(timeout=waits.START)
    select_and_describe(page, namespace)
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-notebook7.png")


def test_the_tree_works_in_voila(page, lab, cluster, apps_api, namespace, tmp_path):
    name = tree_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_in_voila(page, lab, name)
    page.locator(".kj-tree").wait_for(timeout=waits.START)  # Voila runs the notebook itself
    select_and_describe(page, namespace)
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-voila.png")
