"""Contexts and namespaces at the top of the tree (issue 11, Deliver 2)."""

from __future__ import annotations

import yaml
from playwright.sync_api import expect

from tests.browser import notebook


def test_picking_a_namespace_at_the_top_starts_the_tree_there(
    page, lab, cluster, namespace, tmp_path
):
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    picker = page.locator(".kj-tree-namespace")
    expect(picker).to_have_value(namespace)
    context = yaml.safe_load(kubeconfig.read_text())["current-context"]
    expect(page.locator(".kj-tree-context")).to_have_value(context)
    notebook.row(page, f"/namespaces/{namespace}/pods").wait_for()

    picker.select_option("default")
    notebook.row(page, "/namespaces/default/pods").wait_for()
    expect(notebook.row(page, f"/namespaces/{namespace}/pods")).to_have_count(0)
    expect(picker).to_have_value("default")
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-namespaces.png")
