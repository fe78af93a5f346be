"""The tree on a phone-sized touch screen: panes stack, tap targets are 44 px, taps act
(issue 11 Deliver 5, in JupyterLab at 390x844 with touch)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_tree_selection import pending_deployment


def run_cells_by_keyboard(page, lab, name: str, cells: int) -> None:
    """Open `name` and run its cells with Shift+Enter (a narrow Lab hides the menu bar)."""
    notebook.open_in_lab(page, lab, name)
    lab.wait_for_idle_kernel(page, name)
    open_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if open_tab.count():  # the file browser would take half the phone's width
        open_tab.first.click()
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    for _ in range(cells):
        page.keyboard.press("Shift+Enter")


def test_the_tree_stacks_and_answers_taps_on_a_phone(
    phone, lab, cluster, apps_api, namespace, tmp_path
):
    apps_api.create_namespaced_deployment(
        namespace, pending_deployment("web", 1, cluster.worker_image)
    )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.write_notebook(lab, "phone.ipynb", [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        f"%k8s browse /namespaces/{namespace}",
    ])  # fmt: skip
    run_cells_by_keyboard(phone, lab, "phone.ipynb", 3)
    deployments = f"/namespaces/{namespace}/deployments"
    notebook.row(phone, deployments).wait_for(timeout=waits.START)
    notebook.row(phone, deployments).tap()
    web = notebook.row(phone, f"{deployments}/web")
    web.wait_for()
    web.tap()
    expect(phone.locator(".kj-tree-row.kj-selected")).to_have_attribute(
        "data-path", web.get_attribute("data-path")
    )

    listing, side = phone.locator(".kj-tree-list"), phone.locator(".kj-tree-side")
    assert (
        side.bounding_box()["y"]
        >= listing.bounding_box()["y"] + listing.bounding_box()["height"] - 1
    )
    for target in [web, notebook.action(phone, "describe"), notebook.action(phone, "scale")]:
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, target
    expect(phone.locator(".kj-tree-selection")).to_have_text(f"{deployments}/web")  # full name

    notebook.action(phone, "describe").tap()
    expect(phone.locator(".kj-tree-detail")).to_contain_text(re.compile(r"Name:?\s*web"))
    notebook.shoot(phone.locator(".kj-tree"), tmp_path, "phone.png")
