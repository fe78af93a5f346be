"""The newer views in JupyterLab's dark theme and on a phone: the live task table, the units
dashboard and the tree's logs pane with its pickers (issue 11, what was left: item 3).

Light and dark: every text each view draws is checked for WCAG contrast against the
background it is drawn on, as test_tree_theme does for the tree's rows. Phone (390x844,
touch): no view is wider than the screen (nothing needs sideways scrolling of the page), and
every control a finger uses is at least 44 px.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_tree_phone import run_cells_by_keyboard
from tests.browser.test_tree_selection import pending_deployment
from tests.browser.test_tree_theme import CONTRASTS, theme  # noqa: F401 - the fixture
from tests.cluster.test_widget_tree import two_container_pod

MAP_CELL = (
    "import kjupyter\n"
    "from kjupyter.widgets import task_table\n"
    "def f(x):\n"
    "    print('item', x)\n"
    "    if x == 3:\n"
    "        raise ValueError('bad item 3')\n"
    "    return x\n"
    "table = task_table()\n"
    "frame = kjupyter.map(f, range(8), backend='local', workers=2, stream=False)"
)


def views_notebook(lab, cluster, apps_api, core_api, namespace, tmp_path) -> tuple[str, str]:
    """A notebook with the three views over the test namespace; (its name, the pod's path)."""
    apps_api.create_namespaced_deployment(
        namespace, pending_deployment("db", 1, cluster.worker_image)
    )
    pod = two_container_pod(core_api, namespace, cluster.worker_image)
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    name = f"views-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        MAP_CELL,
        "%k8s units --dashboard",
        f"%k8s browse /namespaces/{namespace}/pods --height 300",
    ])  # fmt: skip
    return name, pod


def show_each_view(page, namespace: str, pod: str, tap: bool = False) -> None:
    """Bring every view to a state with all its parts drawn: a failed task's detail, a
    unit's detail, the two-container pod's logs with the picker."""
    press = (lambda locator: locator.tap()) if tap else (lambda locator: locator.click())
    tasks = page.locator(".kj-tasks")
    tasks.wait_for(timeout=waits.START)
    expect(page.locator(".kj-tasks-counts")).to_contain_text("(done)", timeout=waits.START)
    failed = page.locator('.kj-task-row[data-index="3"]')
    failed.scroll_into_view_if_needed()
    press(failed)
    expect(page.locator(".kj-tasks-traceback")).to_contain_text("bad item 3")

    unit = page.locator('.kj-unit[data-unit="deployments/db"]')
    unit.wait_for(timeout=waits.START)
    unit.scroll_into_view_if_needed()
    press(unit)
    expect(page.locator(".kj-units-table")).to_contain_text("deployments/db")

    notebook.row(page, pod).wait_for(timeout=waits.START)  # the tree opens at the pods
    notebook.row(page, pod).scroll_into_view_if_needed()
    press(notebook.row(page, pod))
    page.locator(f'.kj-tree-row.kj-selected[data-path="{pod}"]').wait_for()
    press(notebook.action(page, "logs"))
    expect(page.locator(".kj-tree-detail .kj-tree-text")).to_have_text(
        re.compile(r"\s*line from first\s*")
    )
    expect(page.locator(".kj-logs-container")).to_be_visible()


VIEWS = (".kj-tasks", ".kj-units", ".kj-tree")


def test_the_new_views_are_readable_in_light_and_dark(
    theme,  # noqa: F811 - the fixture imported above
    page, lab, cluster, apps_api, core_api, namespace, tmp_path,
):  # fmt: skip
    name, pod = views_notebook(lab, cluster, apps_api, core_api, namespace, tmp_path)
    notebook.open_and_run_all(page, lab, name)
    show_each_view(page, namespace, pod)
    shade = theme.split()[-1].lower()
    unreadable = []
    for view in VIEWS:
        root = page.locator(view).first
        root.scroll_into_view_if_needed()
        notebook.shoot(root, tmp_path, f"views-{view[4:]}-{shade}.png")
        texts = root.evaluate(CONTRASTS)
        assert len(texts) > 3, view  # the view's texts were measured
        unreadable += [
            {**t, "view": view, "text": t["text"][:30]} for t in texts if t["ratio"] < 4.5
        ]
    assert unreadable == []


# What a finger uses in each view, each at least 44 px high and wide.
TARGETS = [
    ".kj-tasks-failures", ".kj-task-row",
    ".kj-unit", ".kj-units-action",
    ".kj-tree-context", ".kj-tree-namespace", ".kj-logs-container", ".kj-logs-previous",
    ".kj-logs-timestamps", ".kj-logs-follow",
]  # fmt: skip


def test_the_new_views_fit_a_phone_and_their_targets_take_a_finger(
    phone, lab, cluster, apps_api, core_api, namespace, tmp_path
):
    name, pod = views_notebook(lab, cluster, apps_api, core_api, namespace, tmp_path)
    run_cells_by_keyboard(phone, lab, name, 5)
    show_each_view(phone, namespace, pod, tap=True)
    check_the_phone_layout(phone, tmp_path, "views-{}-phone.png")


def check_the_phone_layout(phone, tmp_path, shots: str) -> None:
    """No view wider than the screen, the tree's panes stacked, every finger target 44 px."""
    width = phone.viewport_size["width"]
    wide = {}
    for view in VIEWS:
        root = phone.locator(view).first
        root.scroll_into_view_if_needed()
        notebook.shoot(root, tmp_path, shots.format(view[4:]))
        box = root.bounding_box()
        overflow = root.evaluate("(el) => el.scrollWidth - el.clientWidth")
        if box["x"] < 0 or box["x"] + box["width"] > width + 1 or overflow > 1:
            wide[view] = {**box, "overflow": overflow}
    assert wide == {}, wide
    listing, side = phone.locator(".kj-tree-list"), phone.locator(".kj-tree-side")
    below = listing.bounding_box()["y"] + listing.bounding_box()["height"] - 1
    assert side.bounding_box()["y"] >= below  # the panes stack
    small = {}
    for selector in TARGETS:
        target = phone.locator(selector).first
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        if box is None or box["height"] < 44 or box["width"] < 44:
            small[selector] = box
    assert small == {}
