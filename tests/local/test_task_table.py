"""The live task table follows a run of real local workers (issue 11, Deliver 3)."""

from __future__ import annotations

import math

import kjupyter
from kjupyter.run import progress
from kjupyter.run.tasks import Task
from kjupyter.widgets.task_table import TaskTable, row, state


def sometimes_fails(x):
    print("item", x)
    if x % 50 == 7:
        raise ValueError(f"bad item {x}")
    return x


def test_the_table_follows_one_run_and_shows_a_failed_tasks_traceback():
    table = TaskTable()
    progress.follow_next_run(table)
    kjupyter.map(sometimes_fails, range(200), backend="local", workers=2, stream=False)
    assert len(table.rows) == 200 and table.done
    assert table.counts == {"ok": 196, "error": 4}
    status, worker, seconds, error, item, said = table.rows[57]
    assert (status, error, item, said) == ("error", "ValueError: bad item 57", 57, "item 57")
    assert worker and seconds is not None and seconds >= 0
    table.show(57)
    assert table.detail["stdout"] == "item 57\n"
    assert "raise ValueError" in table.detail["traceback"]
    table.show(500)
    assert table.detail["error"] == "no task 500 in this run"

    rows = table.rows
    kjupyter.map(sometimes_fails, range(3), backend="local", workers=2, stream=False)
    assert table.rows is rows  # it followed its run only


def test_states_pending_running_and_final():
    task = Task(1, 0, None)
    assert state(task) == "pending"
    task.submitted = 1.0
    assert state(task) == "running"
    task.status = "running"  # as the engine sets it: its seconds grow from its sending
    assert row(task, now=3.25)[2] == 2.25
    task.status, task.started, task.finished = "ok", 2.0, 2.5
    assert row(task) == ["ok", "", 0.5, "", 0, ""]
    assert math.isnan(Task(2, 1, None).started) and row(Task(2, 1, None))[2] is None


def test_a_view_that_breaks_does_not_end_the_run(capsys):
    class Broken:
        def update(self, tasks, final):
            raise RuntimeError("drawing failed")

    progress.follow_next_run(Broken())
    values = kjupyter.map(lambda x: x + 1, range(5), backend="local", workers=1, values=True)
    assert values == [1, 2, 3, 4, 5]
    assert "task view stopped: RuntimeError: drawing failed" in capsys.readouterr().err
