"""The live task table: one row per task of a run or map, or per rank of a session's px.

It follows a run through `kjupyter.run.progress` (a `TaskView`: the run's Reporter calls
`update` about five times a second and once at the end; nothing polls the workers). Rows are
sent as one compact list (status, worker, seconds, first line of the error, rank or item,
last line of stdout so far) and drawn virtualised, so 10,000 tasks stay smooth; a tap on a
row asks Python for that task's stdout, stderr and traceback, which only then travel.

>>> from kjupyter.widgets import task_table
>>> table = task_table()   # shown; follows the next run, map or px
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
LINE_CHARS = 200  # of an error's first line and of the last output line shown in a row


def state(task: Any) -> str:
    """pending (waiting), running (sent to a worker), or the task's final status."""
    if task.status == "pending":
        return "running" if not math.isnan(task.submitted) else "pending"
    return str(task.status)


def last_line(chunks: Any) -> str:
    """The last non-blank line of a task's output so far (what it is doing now)."""
    for chunk in reversed(chunks):
        for line in reversed(chunk.splitlines()):
            if line.strip():
                return line[:LINE_CHARS]
    return ""


def row(task: Any, now: float | None = None) -> list[Any]:
    """`[state, worker, seconds or None, error's first line, index, stdout's last line]`.

    The row's place is its position in the run; `index` is the task's rank or item number.
    A running task's seconds are those since it was sent (`now`: `time.time()`), so they grow.
    """
    took = task.finished - task.started
    if math.isnan(took) and not math.isnan(task.submitted) and task.status == "running":
        took = (time.time() if now is None else now) - task.submitted
    seconds = round(took, 3) if not math.isnan(took) else None
    error = (task.error or "").split("\n", 1)[0][:LINE_CHARS]
    return [state(task), task.worker, seconds, error, task.index, last_line(task.stdout)]


class TaskTable(anywidget.AnyWidget):
    """Rows of one run's tasks with counts, a failure filter and a tap for the details."""

    _esm = HERE / "task_table.js"
    _css = HERE / "task_table.css"

    rows = traitlets.List(traitlets.List()).tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    done = traitlets.Bool(False).tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    height = traitlets.Int(320).tag(sync=True)
    noun = traitlets.Unicode("task").tag(sync=True)  # what a row is: "task", "rank"
    of = traitlets.Unicode("").tag(sync=True)  # what they belong to: "session 'default'"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasks: list[Any] = []
        self._sent = 0.0
        self.on_msg(self._on_message)

    def begin(self, label: str, of: str) -> None:
        """The Reporter, as the table starts following: what its rows are and belong to."""
        self.noun, self.of = label, of

    def update(self, tasks: list[Any], final: bool) -> None:
        """The run's Reporter: draw the rows (at most every REFRESH s, and at the end)."""
        self.tasks = tasks
        now = time.monotonic()
        if not final and now - self._sent < REFRESH:
            return
        self._sent = now
        wall = time.time()
        rows = [row(task, wall) for task in tasks]
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
            "number": task.index,
            "status": state(task),
            "seconds": row(task)[2],
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
    """A task table that follows the next `run`, `map` or `px` of this kernel (shown at once)."""
    table = TaskTable()
    progress.follow_next_run(table)
    if display:
        from IPython.display import display as show

        show(table)
    return table
