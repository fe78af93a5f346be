"""The live task table follows a session's px in a real browser: one row per rank, a running
rank's last line as it prints, then the failed rank's traceback on a tap (issue 11, Deliver 3:
sessions). Local workers: no cluster."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits


def test_px_table_follows_the_ranks_and_shows_a_failed_ranks_traceback(page, lab, tmp_path):
    name = f"px-{uuid.uuid4().hex[:6]}.ipynb"
    go = tmp_path / "go"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s session up -n 2 --name px{uuid.uuid4().hex[:4]}",
        f"GO = {str(go)!r}",
        "%%k8s px --table --no-stream\n"
        "import pathlib, time\n"
        "print('rank', RANK, 'starts')\n"
        "if RANK == 1:\n"
        "    print('waiting for go', flush=True)\n"
        "    while not pathlib.Path(GO).exists():\n"
        "        time.sleep(0.01)\n"
        "    raise ValueError('rank 1 gave up')\n"
        "print('rank', RANK, 'done')",
    ])  # fmt: skip
    notebook.open_and_run_all(page, lab, name)
    tasks = page.locator(".kj-tasks")
    tasks.wait_for(timeout=waits.START)
    waiting = page.locator('.kj-task-row[data-number="1"][data-status="running"]')
    expect(waiting.locator(".kj-task-output")).to_have_text("waiting for go")
    expect(page.locator('.kj-task-row[data-number="0"] .kj-task-output')).to_have_text(
        "rank 0 done"
    )
    notebook.shoot(tasks, tmp_path, "task-table-px-running.png")
    go.touch()

    counts = page.locator(".kj-tasks-counts")
    expect(counts).to_contain_text("2 ranks of session 'px")
    expect(counts).to_contain_text(": 1 ok, 1 failed (done)")
    page.locator('.kj-task-row[data-number="1"]').click()
    expect(page.locator(".kj-tasks-detail-title")).to_contain_text("rank 1: error")
    expect(page.locator(".kj-tasks-stdout")).to_have_text("rank 1 starts\nwaiting for go\n")
    expect(page.locator(".kj-tasks-traceback")).to_contain_text("ValueError: rank 1 gave up")
    notebook.shoot(tasks, tmp_path, "task-table-px.png")
