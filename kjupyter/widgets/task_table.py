"""The live task table: one row per task of a run or map, as its state changes.

It follows a run through `kjupyter.run.progress` (a `TaskView`: the run's Reporter calls
`update` about five times a second and once at the end; nothing polls the workers). Rows are
sent as one compact list (status, worker, seconds, first line of the error) and drawn
virtualised, so 10,000 tasks stay smooth; a tap on a row asks Python for that task's stdout,
stderr and traceback, which only then travel.

>>> from kjupyter.widgets import task_table
>>> table = task_table()   # shown; follows the next run or map
>>> kjupyter.map(f, range(10_000))
"""

from __future__ import annotations

import math
import pathlib
import time
from typing import Any

import anywidget
import traitlets

from kjupyter.run import progress

HERE = pathlib.Path(__file__).parent
REFRESH = 0.5  # s between row updates while the run goes (the last one is always sent)
OUTPUT_CHARS = 20_000  # of a task's stdout/stderr shown on a tap (the results keep all)


def state(task: Any) -> str:
    """pending (waiting), running (sent to a worker), or the task's final status."""
    if task.status == "pending":
        return "running" if not math.isnan(task.submitted) else "pending"
    return str(task.status)


def row(task: Any) -> list[Any]:
    """`[state, worker, seconds or None, error's first line]`, the row's index is its place."""
    took = task.finished - task.started
    seconds = round(took, 3) if not math.isnan(took) else None
    return [state(task), task.worker, seconds, (task.error or "").split("\n", 1)[0][:200]]


class TaskTable(anywidget.AnyWidget):
    """Rows of one run's tasks with counts, a failure filter and a tap for the details."""

    _esm = HERE / "task_table.js"
    _css = HERE / "task_table.css"

    rows = traitlets.List(traitlets.List()).tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    height = traitlets.Int(320).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasks: list[Any] = []
        self._sent = 0.0
        self.on_msg(self._on_message)

    def update(self, tasks: list[Any], final: bool) -> None:
        """The run's Reporter: draw the rows (at most every REFRESH s, and at the end)."""
        self.tasks = tasks
        now = time.monotonic()
        if not final and now - self._sent < REFRESH:
            return
        self._sent = now
        rows = [row(task) for task in tasks]
        counts: dict[str, int] = {}
        for r in rows:
            counts[r[0]] = counts.get(r[0], 0) + 1
        with self.hold_sync():
            self.rows, self.counts, self.done = rows, counts, final

    def show(self, index: int) -> None:
        """The detail of task `index`: its status, error, stdout, stderr and traceback."""
        if not 0 <= index < len(self.tasks):
            self.detail = {"index": index, "error": f"no task {index} in this run"}
            return
        task = self.tasks[index]
        self.detail = {
            "index": index,
            "status": state(task),
            "worker": task.worker,
            "error": task.error,
            "stdout": "".join(task.stdout)[-OUTPUT_CHARS:],
            "stderr": "".join(task.stderr)[-OUTPUT_CHARS:],
            "traceback": task.traceback,
        }

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("type") == "show" and isinstance(content.get("index"), int):
            self.show(content["index"])


def task_table(display: bool = True) -> TaskTable:
    """A task table that follows the next `run` or `map` of this kernel (shown at once)."""
    table = TaskTable()
    progress.follow_next_run(table)
    if display:
        from IPython.display import display as show

        show(table)
    return table
