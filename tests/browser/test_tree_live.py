"""A pod created or deleted while its directory is open shows without a refresh (issue 11,
Deliver 1: a live tree)."""

from __future__ import annotations

import re

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
    expect(notebook.row(page, f"{pods}/newcomer")).to_be_visible()
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "live.png")

    core_api.delete_namespaced_pod("newcomer", namespace, grace_period_seconds=0)
    expect(notebook.row(page, f"{pods}/newcomer")).to_have_count(0)


def test_rows_show_state_badges_and_kinds_their_counts(
    page, lab, cluster, core_api, namespace, tmp_path
):
    for name, extra in (
        ("stuck", {"nodeSelector": PENDING}),  # scheduled nowhere: Unschedulable
        ("noimage", {}),  # an image that is not there and may not be pulled
    ):
        image = cluster.worker_image if name == "stuck" else "kjupyter.dev/missing:0"
        core_api.create_namespaced_pod(namespace, {
            "metadata": {"name": name},
            "spec": {**extra, "containers": [{
                "name": "main", "image": image, "imagePullPolicy": "Never",
            }]},
        })  # fmt: skip
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}", height=1400)
    pods = f"/namespaces/{namespace}/pods"
    notebook.open_row(page, pods)

    stuck = notebook.row(page, f"{pods}/stuck").locator(".kj-state")
    expect(stuck).to_contain_text("Unschedulable")
    expect(stuck).to_have_class(re.compile(r"\bkj-badge-bad\b"))
    noimage = notebook.row(page, f"{pods}/noimage").locator(".kj-state")
    expect(noimage).to_contain_text("ErrImageNeverPull")  # changes live
    expect(notebook.row(page, pods).locator(".kj-count")).to_have_text("2")
    notebook.open_row(page, f"/namespaces/{namespace}/secrets")
    secrets = notebook.row(page, f"/namespaces/{namespace}/secrets")
    expect(secrets).to_have_class(re.compile(r"\bkj-empty\b"))
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "states.png")


def test_a_tap_survives_a_live_redraw_of_the_rows(
    page, lab, cluster, core_api, namespace, tmp_path
):
    """A live tree redraws its rows whenever the cluster changes. A press that began on a row
    before a redraw and ends after it is still a tap on that row, as on any list that is not
    live: the row under the finger stays the same element (one full browser run under load
    lost a click that opened a directory, the tree's status unchanged for 120 s)."""
    core_api.create_namespaced_pod(namespace, {
        "metadata": {"name": "aaa-first"},
        "spec": {"nodeSelector": PENDING, "containers": [{
            "name": "main", "image": cluster.worker_image, "imagePullPolicy": "Never",
        }]},
    })  # fmt: skip
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}", height=1400)
    pods = f"/namespaces/{namespace}/pods"
    notebook.open_row(page, pods)
    first = notebook.row(page, f"{pods}/aaa-first")
    expect(first.locator(".kj-state")).to_contain_text("Unschedulable")  # its states came
    box = first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    core_api.create_namespaced_pod(namespace, {  # sorts after the pressed row: it stays put
        "metadata": {"name": "zzz-newcomer"},
        "spec": {"nodeSelector": PENDING, "containers": [{
            "name": "main", "image": cluster.worker_image, "imagePullPolicy": "Never",
        }]},
    })  # fmt: skip
    expect(notebook.row(page, f"{pods}/zzz-newcomer")).to_be_visible()  # redrawn meanwhile
    page.mouse.up()
    expect(page.locator(".kj-tree-row.kj-selected")).to_have_attribute(
        "data-path", f"{pods}/aaa-first"
    )
    expect(page.locator(".kj-tree-selection")).to_have_text(f"{pods}/aaa-first")
