"""The live task table in a real browser: a 10,000-task map, its counts, the failure filter,
and a failed task's traceback on a tap (issue 11, Deliver 3). Local workers: no cluster."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits


def test_the_task_table_follows_a_map_and_shows_a_failed_tasks_traceback(page, lab, tmp_path):
    name = f"tasks-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "import kjupyter",
        "def f(x):\n"
        "    if x % 1000 == 999:\n"
        "        raise ValueError(f'bad item {x}')\n"
        "    return x",
        "from kjupyter.widgets import task_table\ntable = task_table()",
        "frame = kjupyter.map(f, range(10_000), backend='local', workers=2, stream=False)",
    ])  # fmt: skip
    notebook.open_and_run_all(page, lab, name)
    tasks = page.locator(".kj-tasks")
    tasks.wait_for(timeout=waits.START)
    counts = page.locator(".kj-tasks-counts")
    expect(counts).to_have_text("10000 tasks: 9990 ok, 10 failed (done)", timeout=waits.START)
    assert page.locator(".kj-task-row").count() < 40  # virtualised: only rows in view exist

    page.locator(".kj-tasks-failures").check()
    rows = page.locator(".kj-task-row")
    expect(rows).to_have_count(10)
    assert {rows.nth(i).get_attribute("data-status") for i in range(10)} == {"error"}
    assert [rows.nth(i).get_attribute("data-index") for i in range(3)] == ["999", "1999", "2999"]

    page.locator('.kj-task-row[data-index="1999"]').click()
    expect(page.locator(".kj-tasks-detail-title")).to_contain_text("task 1999: error")
    expect(page.locator(".kj-tasks-traceback")).to_contain_text("ValueError: bad item 1999")
    expect(page.locator('.kj-task-row.kj-selected[data-index="1999"]')).to_have_count(1)
    notebook.shoot(tasks, tmp_path, "task-table.png")


def test_the_task_table_follows_a_run_cell_rank_by_rank(page, lab, tmp_path):
    """Deliver 3 names run, map and sessions: a `%%k8s run` whose ranks wait for a file the
    test writes once the page shows them running, and whose rank 2 fails."""
    gate = tmp_path / "gate"
    name = f"run-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"GATE = {str(gate)!r}\nfrom kjupyter.widgets import task_table\ntable = task_table()",
        "%%k8s run -n 4 --backend local\n"
        "import os, time\n"
        "print('rank', RANK, 'waits', flush=True)\n"
        "while not os.path.exists(GATE):\n"
        "    time.sleep(0.05)\n"
        "if RANK == 2:\n"
        "    raise RuntimeError('rank 2 broke')\n"
        "RANK",
    ])  # fmt: skip
    notebook.open_and_run_all(page, lab, name)
    counts = page.locator(".kj-tasks-counts")
    expect(counts).to_have_text("4 tasks: 4 running", timeout=waits.START)
    expect(page.locator('.kj-task-row[data-index="2"] .kj-task-output')).to_have_text(
        "rank 2 waits"
    )  # the last line each rank printed, while it runs
    gate.write_text("go")
    expect(counts).to_have_text("4 tasks: 3 ok, 1 failed (done)")
    page.locator('.kj-task-row[data-index="2"]').click()
    expect(page.locator(".kj-tasks-detail-title")).to_contain_text("task 2: error")
    expect(page.locator(".kj-tasks-traceback")).to_contain_text("RuntimeError: rank 2 broke")
    notebook.shoot(page.locator(".kj-tasks"), tmp_path, "task-table-run.png")
