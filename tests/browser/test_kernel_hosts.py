"""Notebooks on the "Python 3 (kjupyter)" kernel (issue 11, Deliver 6: "the browser tests open a
notebook on it"): installed by `python -m kjupyter.kernelspec install --user` into the test
server's data dir (conftest), it has `%k8s` with no `%load_ext` cell, in JupyterLab and Voila."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_tree_hosts import select_and_describe
from tests.browser.test_tree_selection import pending_deployment


def kernel_notebook(lab, cluster, apps_api, namespace, tmp_path) -> str:
    apps_api.create_namespaced_deployment(
        namespace, pending_deployment("web", 1, cluster.worker_image)
    )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    name = f"kernel-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        f"%k8s connect --kubeconfig {kubeconfig}",  # no %load_ext: the kernel did it
        f"%k8s browse /namespaces/{namespace}",
    ], kernel="kjupyter")  # fmt: skip
    return name


def test_a_notebook_on_the_kjupyter_kernel_has_k8s_without_load_ext(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    name = kernel_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_and_run_all(page, lab, name)
    with waits.waiting(page, "the tree drawn by a kjupyter kernel's first cells"):
        page.locator(".kj-tree").wait_for(timeout=waits.START)
    kernels = {s["path"].rsplit("/", 1)[-1]: s["kernel"]["name"] for s in lab.api("/api/sessions")}
    assert kernels[name] == "kjupyter"
    expect(
        page.locator(".jp-Notebook .jp-OutputArea-output[data-mime-type*='error']")
    ).to_have_count(0)
    expect(page.locator(".jp-KernelName, .jp-Toolbar-kernelName").first).to_contain_text(
        "Python 3 (kjupyter)"
    )
    select_and_describe(page, namespace)
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-kjupyter-kernel.png")


def test_voila_runs_a_notebook_on_the_kjupyter_kernel(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    name = kernel_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_in_voila(page, lab, name)
    with waits.waiting(page, "Voila to draw the tree on the kjupyter kernel"):
        page.locator(".kj-tree").wait_for(timeout=waits.START)
    select_and_describe(page, namespace)
