"""Issue 16, defect 1: an error that escapes the engine must leave the pool consistent."""

from __future__ import annotations

import pytest

import kjupyter
from kjupyter.run import pool
from kjupyter.run.engine import Engine
from kjupyter.run.progress import Reporter
from kjupyter.run.tasks import Job, TaskTable

pytestmark = pytest.mark.timeout(60)  # a wedged pool hangs: fail instead


def same(x):
    return x


def test_unpicklable_item_fails_its_own_row_and_the_next_map_runs():
    kjupyter.map(same, range(2), workers=2, quiet=True)
    items = [*range(50), (i for i in [])]
    frame = kjupyter.map(same, items, workers=2, quiet=True)
    bad = frame.iloc[50]
    assert bad["status"] == "error"
    assert bad["error"].startswith("item 50 cannot be pickled: TypeError:")
    assert list(frame["value"][:50]) == list(range(50))
    assert kjupyter.map(same, range(6), workers=2, values=True, quiet=True) == list(range(6))


class FailingReporter(Reporter):
    """A reporter that breaks once a task is done: an error escaping the engine's loop."""

    def tick(self) -> None:
        if self.done:
            raise RuntimeError("the display broke")


def test_an_error_escaping_the_engine_leaves_no_task_in_flight():
    def slow(x):
        import time

        time.sleep(0.2)
        return x

    the_pool = pool.get_pool("local")
    blob = kjupyter.run.capture.capture_callable(slow)
    tasks = TaskTable.of(list(range(8)))
    job = Job({"kind": "call", "fn": blob.key}, {blob.key: blob}, tasks, "item", window=2)
    with pytest.raises(RuntimeError, match="the display broke"):
        Engine(the_pool, job, 2, FailingReporter(8, "local", stream=False)).execute()
    assert not any(w.inflight for w in the_pool.workers)
    assert kjupyter.map(same, range(6), workers=2, values=True, quiet=True) == list(range(6))
