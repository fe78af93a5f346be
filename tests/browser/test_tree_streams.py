"""The tree follows a pod's log live with a stop button, and runs a command from its exec box
in the picked container; a role without exec sees the button disabled with the missing verb
(issue 11, Deliver 2: logs that follow, exec a command)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

import kjupyter
from tests.browser import notebook, waits
from tests.browser.test_tree_phone import run_cells_by_keyboard
from tests.cluster.test_widget_tree import waiting_pod
from tests.identities import VIEWER_RULES, kubeconfig_for


def test_the_logs_pane_follows_live_and_stops(page, lab, cluster, core_api, namespace, tmp_path):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    notebook.open_row(page, f"/namespaces/{namespace}/pods")
    notebook.select(page, path)
    notebook.action(page, "logs").click()
    text = page.locator(".kj-tree-detail .kj-tree-text")
    expect(text).to_have_text(re.compile(r"\s*first line\s*"))
    page.locator(".kj-logs-follow").click()
    expect(page.locator(".kj-logs-live")).to_have_text("following…")
    admin = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    try:
        admin.exec(path, "touch /tmp/go")  # the pod writes its second line only now
    finally:
        admin.close()
    expect(text).to_have_text("first line\nsecond line\n")  # no refresh: live
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-logs-follow.png")
    page.locator(".kj-logs-stop").click()
    expect(page.locator(".kj-stream-end")).to_have_text("stopped")
    expect(page.locator(".kj-logs-follow")).to_be_visible()
    expect(text).to_have_text("first line\nsecond line\n")  # what was shown stays


def test_the_exec_box_runs_a_command_and_shows_its_output(
    page, lab, cluster, core_api, namespace, tmp_path
):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    notebook.open_row(page, f"/namespaces/{namespace}/pods")
    notebook.select(page, path)
    notebook.action(page, "exec").click()
    page.locator(".kj-exec-command").fill("sh -c 'hostname; echo oops >&2; exit 2'")
    page.locator(".kj-exec-command").press("Enter")
    text = page.locator(".kj-tree-detail .kj-tree-text")
    expect(text).to_have_text("talker\noops\n")
    end = page.locator(".kj-stream-end.kj-stream-failed")
    expect(end).to_contain_text("exit code 2")
    expect(page.locator(".kj-exec-title")).to_have_text("$ sh -c 'hostname; echo oops >&2; exit 2'")
    page.locator(".kj-exec-run").click()  # the box stays for the next command
    expect(end).to_contain_text("exit code 2")
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-exec.png")


def test_a_role_without_exec_sees_the_exec_button_disabled_with_the_verb(
    page, lab, cluster, core_api, namespace, tmp_path
):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    viewer = kubeconfig_for(core_api, cluster, namespace, "viewer", VIEWER_RULES, tmp_path)
    notebook.browse(page, lab, viewer, f"/namespaces/{namespace}")
    notebook.open_row(page, f"/namespaces/{namespace}/pods")
    notebook.select(page, path)
    exec_ = notebook.action(page, "exec")
    expect(exec_).to_be_disabled()
    expect(exec_).to_have_attribute("title", "exec: needs create on pods/exec")
    expect(page.locator(".kj-denied-reasons")).to_contain_text("exec: needs create on pods/exec")
    expect(notebook.action(page, "logs")).to_be_enabled()


def processes(cluster, path: str) -> str:
    """The command lines of the pod's processes, read in the pod (an exec of its own)."""
    admin = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    try:
        return admin.exec(path, ["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"]).stdout
    finally:
        admin.close()


def test_stop_in_the_exec_box_ends_the_command_in_the_pod(
    phone, lab, cluster, core_api, namespace, tmp_path
):
    path = waiting_pod(core_api, namespace, cluster.worker_image)
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    name = f"stop-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        f"%k8s browse /namespaces/{namespace}",
    ])  # fmt: skip
    run_cells_by_keyboard(phone, lab, name, 3)  # a phone's Lab: no menu bar, no file browser
    notebook.row(phone, f"/namespaces/{namespace}/pods").wait_for(timeout=waits.START)
    notebook.row(phone, f"/namespaces/{namespace}/pods").tap()
    notebook.row(phone, path).wait_for()
    notebook.row(phone, path).tap()
    expect(phone.locator(".kj-tree-row.kj-selected")).to_have_attribute("data-path", path)
    notebook.action(phone, "exec").tap()
    phone.locator(".kj-exec-command").fill("sh -c 'echo started; sleep 600'")
    phone.locator(".kj-exec-run").tap()
    text = phone.locator(".kj-tree-detail .kj-tree-text")
    expect(text).to_have_text("started\n")
    assert "sleep 600" in processes(cluster, path)
    expect(phone.locator(".kj-exec-live")).to_have_text("running…")
    notebook.shoot(phone.locator(".kj-tree-side"), tmp_path, "tree-exec-running.png")
    stop = phone.locator(".kj-exec-stop")
    box = stop.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a finger's target
    stop.tap()
    expect(phone.locator(".kj-stream-end")).to_have_text("stopped")
    expect(text).to_have_text("started\n")  # what it printed stays
    assert "sleep 600" not in processes(cluster, path)  # gone from the pod, not only the pane
    notebook.shoot(phone.locator(".kj-tree"), tmp_path, "tree-exec-stopped.png")
