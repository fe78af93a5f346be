"""The tree browser in JupyterLab, in a real browser: it renders, expands and acts on clicks."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.cluster import waiting

write_notebook = notebook.write_notebook
open_and_run_all = notebook.open_and_run_all


def test_tree_widget_expands_selects_and_shows_logs(
    page, lab, cluster, core_api, namespace, tmp_path
):
    core_api.create_namespaced_pod(namespace, {
        "metadata": {"name": "talker"},
        "spec": {"restartPolicy": "Never", "containers": [{
            "name": "main", "image": cluster.worker_image, "imagePullPolicy": "Never",
            "command": ["python3", "-c", "print('hello from the browser test')"],
        }]},
    })  # fmt: skip
    waiting.pod_phase(core_api, namespace, "talker", {"Succeeded"})
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    config["contexts"][0]["context"]["namespace"] = namespace
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    write_notebook(lab, "tree.ipynb", [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        f"%k8s browse /namespaces/{namespace}",
    ])  # fmt: skip
    open_and_run_all(page, lab, "tree.ipynb")

    pods_row = page.locator(f'.kj-tree-row[data-path="/namespaces/{namespace}/pods"]')
    pods_row.wait_for(timeout=waits.START)
    pods_row.click()
    pod_path = f"/namespaces/{namespace}/pods/talker"
    pod_row = page.locator(f'.kj-tree-row[data-path="{pod_path}"]')
    pod_row.wait_for()
    pod_row.click()
    page.locator(".kj-tree-row.kj-selected", has_text="talker").wait_for()
    logs = page.locator('.kj-action[data-action="logs"]')
    logs.wait_for()
    logs.click()
    detail = page.locator(".kj-tree-detail pre")
    expect(detail).to_have_text(re.compile(r"\s*hello from the browser test\s*"))
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree.png")

    delete = page.locator('.kj-action[data-action="delete"]')
    delete.click()
    assert delete.inner_text() == "delete? click again"  # armed, nothing deleted yet
    assert [p.metadata.name for p in core_api.list_namespaced_pod(namespace).items] == ["talker"]
