"""The task table's rows and the Reporter's tracking of a session's ranks (pure logic)."""

from __future__ import annotations

import pytest

from kjupyter.run import progress
from kjupyter.run.tasks import Task
from kjupyter.widgets.task_table import TaskTable, last_line


@pytest.mark.parametrize(
    ("chunks", "line"),
    [
        ((), ""),
        (["one\n", "two\n"], "two"),
        (["epoch 1\nepoch 2\n\n   \n"], "epoch 2"),
        (["10%\r50%\r"], "50%"),
        (["a\n", "partial"], "partial"),
        (["x" * 500], "x" * 200),
    ],
    ids=["none", "last-chunk", "blank-lines", "carriage-returns", "unended", "cut"],
)
def test_last_line_is_the_last_non_blank_line(chunks, line):
    assert last_line(chunks) == line


def ranks(*indices: int, status: str = "pending") -> list[Task]:
    tasks = [Task(100 + i, i, None) for i in indices]
    for task in tasks:
        task.status = status
    return tasks


def test_a_reporter_tracks_ranks_in_order_and_a_rerun_replaces_its_row():
    table = TaskTable()
    progress.follow_next_run(table)
    reporter = progress.Reporter(3, "local", tasks=[], label="rank", of="session 's'")
    assert (table.noun, table.of) == ("rank", "session 's'")
    reporter.track(ranks(2, 0))
    reporter.track(ranks(1, status="lost"))
    again = ranks(2, status="ok")
    reporter.track(again)
    assert [t.index for t in reporter.tasks] == [0, 1, 2] and reporter.tasks[2] is again[0]
    reporter.finish("", quiet=True)
    assert [r[0] for r in table.rows] == ["pending", "lost", "ok"] and table.done


def test_a_reporter_without_views_tracks_nothing():
    reporter = progress.Reporter(1, "local", tasks=[])
    reporter.track(ranks(0))
    assert reporter.tasks == []
