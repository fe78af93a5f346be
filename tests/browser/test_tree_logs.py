"""Logs in the tree with kubectl's choices: a container picker and timestamps (Deliver 2)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import notebook
from tests.cluster.test_widget_tree import two_container_pod


def test_logs_of_the_picked_container_with_timestamps(
    page, lab, cluster, core_api, namespace, tmp_path
):
    path = two_container_pod(core_api, namespace, cluster.worker_image)
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    notebook.open_row(page, f"/namespaces/{namespace}/pods")
    notebook.select(page, path)
    notebook.action(page, "logs").click()
    text = page.locator(".kj-tree-detail .kj-tree-text")
    expect(text).to_have_text(re.compile(r"\s*line from first\s*"))

    page.locator(".kj-logs-container").select_option("second")
    expect(text).to_have_text(re.compile(r"\s*line from second\s*"))
    page.locator(".kj-logs-timestamps").check()
    expect(text).to_have_text(re.compile(r"\s*20\S+T\S+ line from second\s*"))
    expect(page.locator(".kj-logs-container")).to_have_value("second")  # kept across asks
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-logs.png")
