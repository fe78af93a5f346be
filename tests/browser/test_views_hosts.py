"""The live task table and the units dashboard in the other hosts people open notebooks in,
Notebook 7 and Voila (issue 11, what was left, item 2), as test_tree_hosts does for the tree;
and all three views on a phone (390x844, touch) in both hosts (Deliver 5: "checked in
Notebook 7 and Voila at 390x844 with touch").

The table follows a run: its task 0 waits for a file the test writes only once it has seen the
run going in the page, so "running" is seen before "(done)" whatever the machine's speed. In
Notebook 7 the map is a cell; Voila runs every cell before it shows the page, so there the
run starts from a button, as a Voila app's user starts things.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_units_dashboard import dashboard_notebook, stop_three_in_order
from tests.browser.test_views_theme_phone import (
    check_the_phone_layout,
    show_each_view,
    views_notebook,
)

FUNCTION = (
    "import os, time\n"
    "import kjupyter\n"
    "def f(x, gate={gate!r}):\n"
    "    while x == 0 and not os.path.exists(gate):  # held until the test opens the gate\n"
    "        time.sleep(0.05)\n"
    "    if x % 100 == 99:\n"
    "        raise ValueError(f'bad item {{x}}')\n"
    "    return x"
)
TABLE = "from kjupyter.widgets import task_table\ntable = task_table()"
MAP = "frame = kjupyter.map(f, range(1000), backend='local', workers=2, stream=False)"
BUTTON = (
    "import ipywidgets\n"
    "button = ipywidgets.Button(description='run the map')\n"
    "button.add_class('kj-test-run')\n"
    "button.on_click(lambda _: kjupyter.map(f, range(1000), backend='local', workers=2,"
    " stream=False))\n"
    "button"
)


def follow_the_run_and_tap_a_failure(page, gate, tmp_path, shot: str) -> None:
    counts = page.locator(".kj-tasks-counts")
    expect(counts).to_contain_text("running", timeout=waits.START)  # the run goes: task 0 held
    expect(counts).not_to_contain_text("(done)")
    gate.write_text("go")
    expect(counts).to_have_text("1000 tasks: 990 ok, 10 failed (done)", timeout=waits.START)
    page.locator(".kj-tasks-failures").check()
    rows = page.locator(".kj-task-row")
    expect(rows).to_have_count(10)
    page.locator('.kj-task-row[data-index="199"]').click()
    expect(page.locator(".kj-tasks-detail-title")).to_contain_text("task 199: error")
    expect(page.locator(".kj-tasks-traceback")).to_contain_text("ValueError: bad item 199")
    notebook.shoot(page.locator(".kj-tasks"), tmp_path, shot)


def test_the_task_table_follows_a_run_in_notebook_7(page, lab, tmp_path):
    gate = tmp_path / "gate"
    name = f"tasks7-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [FUNCTION.format(gate=str(gate)), TABLE, MAP])
    notebook.open_in_notebook7(page, lab, name)
    follow_the_run_and_tap_a_failure(page, gate, tmp_path, "task-table-notebook7.png")


def test_the_task_table_follows_a_run_in_voila(page, lab, tmp_path):
    gate = tmp_path / "gate"
    name = f"tasksv-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [FUNCTION.format(gate=str(gate)), TABLE, BUTTON])
    notebook.open_in_voila(page, lab, name)
    page.locator(".kj-tasks").wait_for(timeout=waits.START)  # Voila runs the notebook itself
    page.locator(".kj-test-run").click()
    follow_the_run_and_tap_a_failure(page, gate, tmp_path, "task-table-voila.png")


def test_the_dashboard_stops_three_units_in_order_in_notebook_7(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    name = dashboard_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_in_notebook7(page, lab, name)
    stop_three_in_order(page, apps_api, namespace, tmp_path, "units-notebook7.png")


def test_the_dashboard_stops_three_units_in_order_in_voila(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    name = dashboard_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_in_voila(page, lab, name)
    stop_three_in_order(page, apps_api, namespace, tmp_path, "units-voila.png")


def test_the_views_fit_a_phone_in_notebook_7(
    phone, lab, cluster, apps_api, core_api, namespace, tmp_path
):
    name, pod = views_notebook(lab, cluster, apps_api, core_api, namespace, tmp_path)
    notebook.open_in_notebook7(phone, lab, name, by_keyboard=5)
    show_each_view(phone, namespace, pod, tap=True)
    check_the_phone_layout(phone, tmp_path, "views-{}-notebook7-phone.png")


def test_the_views_fit_a_phone_in_voila(
    phone, lab, cluster, apps_api, core_api, namespace, tmp_path
):
    name, pod = views_notebook(lab, cluster, apps_api, core_api, namespace, tmp_path)
    notebook.open_in_voila(phone, lab, name)
    show_each_view(phone, namespace, pod, tap=True)
    check_the_phone_layout(phone, tmp_path, "views-{}-voila-phone.png")
