"""Actions act on what is highlighted, and the detail pane shows it (issue 11, defects 1, 2, 5).

Two objects of one kind have the same actions; the toolbar must still follow the selection.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import notebook
from tests.cluster import waiting

PENDING = {"kjupyter.dev/no-such-node": "true"}  # pods that are scheduled nowhere and cost nothing


def pending_deployment(name: str, replicas: int, image: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"nodeSelector": PENDING, "containers": [{
                    "name": "app", "image": image, "imagePullPolicy": "Never",
                    "command": ["sleep", "3600"],
                }]},
            },
        },
    }  # fmt: skip


@pytest.fixture
def two_deployments(cluster, apps_api, namespace) -> tuple[str, str]:
    """Deployments `db` (2 replicas) and `web` (5 replicas) whose pods stay Pending."""
    for name, replicas in (("db", 2), ("web", 5)):
        apps_api.create_namespaced_deployment(
            namespace, pending_deployment(name, replicas, cluster.worker_image)
        )
    base = f"/namespaces/{namespace}/deployments"
    return f"{base}/db", f"{base}/web"


def test_describe_and_delete_act_on_the_second_selection(
    page, lab, cluster, apps_api, namespace, two_deployments, tmp_path
):
    db, web = two_deployments
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    notebook.open_row(page, f"/namespaces/{namespace}/deployments")
    notebook.select(page, db)
    notebook.select(page, web)

    notebook.action(page, "describe").click()
    detail = page.locator(".kj-tree-detail")
    expect(detail).to_contain_text(re.compile(r"Name:?\s*web"))
    expect(detail).not_to_contain_text(re.compile(r"Name:?\s*db"))
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "describe-second.png")

    delete = notebook.action(page, "delete")
    delete.click()
    delete.click()
    expect(notebook.row(page, web)).to_have_count(0)
    names = [d.metadata.name for d in apps_api.list_namespaced_deployment(namespace).items]
    assert names == ["db"]


def test_scale_shows_the_current_count_and_scales_the_selection(
    page, lab, cluster, apps_api, namespace, two_deployments, tmp_path
):
    db, web = two_deployments
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    notebook.open_row(page, f"/namespaces/{namespace}/deployments")
    notebook.select(page, db)
    notebook.select(page, web)

    notebook.action(page, "scale").click()
    replicas = page.locator(".kj-scale-replicas")
    expect(replicas).to_have_value("5")
    assert dialogs == []  # no window.prompt: some hosts block it
    replicas.fill("3")
    page.locator(".kj-scale-apply").click()
    expect(page.locator(".kj-tree-status")).to_contain_text("scaled")
    assert apps_api.read_namespaced_deployment("web", namespace).spec.replicas == 3
    assert apps_api.read_namespaced_deployment("db", namespace).spec.replicas == 2


def test_detail_pane_drops_the_previous_objects_logs(
    page, lab, cluster, core_api, namespace, tmp_path
):
    for name in ("alpha", "beta"):
        core_api.create_namespaced_pod(namespace, {
            "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": [{
                "name": "main", "image": cluster.worker_image, "imagePullPolicy": "Never",
                "command": ["python3", "-c", f"print('hello from {name}')"],
            }]},
        })  # fmt: skip
    for name in ("alpha", "beta"):
        waiting.pod_phase(core_api, namespace, name, {"Succeeded"})
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    pods = f"/namespaces/{namespace}/pods"
    notebook.open_row(page, pods)
    notebook.select(page, f"{pods}/alpha")
    notebook.action(page, "logs").click()
    detail = page.locator(".kj-tree-detail")
    expect(detail).to_contain_text("hello from alpha")

    notebook.select(page, f"{pods}/beta")
    expect(detail).not_to_contain_text("hello from alpha")
    notebook.action(page, "logs").click()
    expect(detail).to_contain_text("hello from beta")
