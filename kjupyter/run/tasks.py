"""The task model: one task per rank or item, kept as columns, and what one run needs."""

from __future__ import annotations

import array
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kjupyter.run.capture import Blob

_next_id = 1

#: a task's state; the table keeps its code, the views and the results frame its name
STATUSES = ("pending", "running", "ok", "error", "cancelled", "lost")
PENDING, RUNNING, OK, ERROR, CANCELLED, LOST = range(len(STATUSES))
CODES = {name: code for code, name in enumerate(STATUSES)}
FINAL_CODES = frozenset((OK, ERROR, CANCELLED, LOST))
NOWHERE = -1  # a row sent to no worker (yet)
_PLUS_ONE = bytes(range(1, 256)) + b"\xff"  # attempts + 1 over a slice, in C (capped at 255)


def new_task_ids(n: int) -> range:
    """Task ids unique in this process: a late result of an old run never matches a new task."""
    global _next_id
    first, _next_id = _next_id, _next_id + n
    return range(first, first + n)


class TaskTable:
    """Every task of a run and everything known about its outcome, as columns.

    Why columns: a map of 100,000 trivial items would otherwise make 100,000 objects and set
    ten fields on each as it is sent and answered (~1.6 us a task in the kernel, measured,
    where ProcessPoolExecutor's whole chunked map costs 0.8). Here sending a chunk and
    recording a batch of results are a few slice assignments, whatever their length, and the
    results frame is built from the columns. `table[row]` is a `TaskView` for code that
    looks at one task at a time (sessions, views); rows are in the order of the items.

    Only the standard library: importing numpy here would cost a script ~70 ms on its
    first run. Output, errors and tracebacks are sparse (most tasks have none).
    """

    def __init__(self, ids: Sequence[int], args: list[Any], labels: list[int] | None = None):
        n = len(args)
        if len(ids) != n or (labels is not None and len(labels) != n):
            raise ValueError("a task table needs one id (and label) per argument")
        # a range while the ids are one block (every table but a stream's): no 8 B an id
        self.ids: range | array.array[int] = ids if type(ids) is range else array.array("q", ids)
        self.args = args
        self.labels = labels  # the rank of each row (None: a map's rows are their items' index)
        self.status = bytearray(n)  # PENDING...
        self.values: list[Any] = [None] * n
        self.submitted = array.array("d", [math.nan]) * n
        self.started = array.array("d", [math.nan]) * n
        self.finished = array.array("d", [math.nan]) * n
        self.attempts = bytearray(n)  # runs: results received, plus deaths while running it
        self.suspect = bytearray(n)  # 1: in flight on a worker that died, retried alone
        self.ran_on = array.array("i", [NOWHERE]) * n  # slot of the worker it was sent to last
        self.inflight_on = array.array("i", [NOWHERE]) * n  # slot still owing its answer
        self.errors: dict[int, str] = {}
        self.tracebacks: dict[int, str] = {}
        self.stdout: dict[int, list[str]] = {}
        self.stderr: dict[int, list[str]] = {}
        self.worker_names: list[str] = []  # by slot
        self.worker_hosts: list[str] = []
        self._first = self.ids[0] if n else 0
        self._by_id: dict[int, int] | None = None  # only once ids stop being consecutive
        if n and self.ids[-1] - self._first != n - 1:
            self._by_id = {task_id: row for row, task_id in enumerate(self.ids)}

    @classmethod
    def of(cls, args: list[Any], labels: list[int] | None = None) -> TaskTable:
        """A table of fresh tasks, one per argument."""
        return cls(new_task_ids(len(args)), args, labels)

    def __len__(self) -> int:
        return len(self.args)

    def __getitem__(self, row: int) -> TaskView:
        if not 0 <= row < len(self.args):
            raise IndexError(row)
        return TaskView(self, row)

    def __iter__(self) -> Iterator[TaskView]:
        return (TaskView(self, row) for row in range(len(self.args)))

    def append(self, task_id: int, arg: Any) -> int:
        """Add a task (a streamed map's next item); its row."""
        row = len(self.args)
        if self._by_id is None and row and task_id != self._first + row:
            self._by_id = {t: r for r, t in enumerate(self.ids)}
        if not row:
            self._first = task_id
        if type(self.ids) is range:
            self.ids = array.array("q", self.ids)
        self.ids.append(task_id)
        self.args.append(arg)
        if self.labels is not None:
            self.labels.append(row)
        self.status.append(PENDING)
        self.values.append(None)
        for column in (self.submitted, self.started, self.finished):
            column.append(math.nan)
        self.attempts.append(0)
        self.suspect.append(0)
        self.ran_on.append(NOWHERE)
        self.inflight_on.append(NOWHERE)
        if self._by_id is not None:
            self._by_id[task_id] = row
        return row

    def add_worker(self, name: str, host: str) -> int:
        """A slot for a worker that runs tasks of this table."""
        self.worker_names.append(name)
        self.worker_hosts.append(host)
        return len(self.worker_names) - 1

    # -- finding rows -----------------------------------------------------------------------
    def row_of(self, task_id: Any) -> int | None:
        """The row of a task id, or None for an id not of this table (an old run's)."""
        if self._by_id is not None:
            return self._by_id.get(task_id)
        if type(task_id) is not int:
            return None
        row = task_id - self._first
        return row if 0 <= row < len(self.args) else None

    def rows_of(self, ids: range | list[int]) -> range | list[int]:
        """The rows of a batch's ids: a range when consecutive (the common case), else a
        list; an id not of this table raises ValueError."""
        n = len(ids)
        if not n:
            return range(0)
        lo = self.row_of(ids[0])
        if self._by_id is None and lo is not None and lo + n <= len(self.args):
            first = ids[0]
            if type(ids) is range and ids.step == 1:
                return range(lo, lo + n)
            if ids == list(range(first, first + n)):
                return range(lo, lo + n)
        rows = [self.row_of(task_id) for task_id in ids]
        if None in rows:
            raise ValueError("a result names a task that is not of this run")
        return rows  # type: ignore[return-value]

    def label(self, row: int) -> int:
        """The rank or item number of a row (the results' `rank`/`item` column)."""
        return row if self.labels is None else self.labels[row]

    # -- reading and writing ----------------------------------------------------------------
    def count(self, code: int) -> int:
        return self.status.count(code)

    def failed(self) -> int:
        return len(self.status) - self.status.count(OK)

    def mark(self, rows: range | list[int], code: int) -> None:
        """Set the status of `rows`."""
        if type(rows) is range and rows.step == 1:
            self.status[rows.start : rows.stop] = bytes((code,)) * len(rows)
        else:
            for row in rows:
                self.status[row] = code

    def add_attempt(self, rows: range | list[int]) -> None:
        if type(rows) is range and rows.step == 1:
            lo, hi = rows.start, rows.stop
            self.attempts[lo:hi] = self.attempts[lo:hi].translate(_PLUS_ONE)
        else:
            for row in rows:
                self.attempts[row] = min(255, self.attempts[row] + 1)

    def add_output(self, row: int, stream: str, text: str) -> None:
        """Keep a piece of a task's stdout or stderr."""
        kept = self.stdout if stream == "stdout" else self.stderr
        pieces = kept.get(row)
        if pieces is None:
            kept[row] = [text]
        else:
            pieces.append(text)

    def set_error(self, row: int, error: str, traceback: str = "") -> None:
        if error:
            self.errors[row] = error
        else:
            self.errors.pop(row, None)
        if traceback:
            self.tracebacks[row] = traceback
        else:
            self.tracebacks.pop(row, None)

    def worker_of(self, row: int) -> tuple[str, str]:
        """(name, host) of the worker a row was sent to last, or ("", "")."""
        slot = self.ran_on[row]
        return ("", "") if slot == NOWHERE else (self.worker_names[slot], self.worker_hosts[slot])


class TaskView:
    """One row of a `TaskTable`, read and written as an object (sessions, views)."""

    __slots__ = ("row", "table")

    def __init__(self, table: TaskTable, row: int) -> None:
        self.table = table
        self.row = row

    @property
    def id(self) -> int:
        return self.table.ids[self.row]

    @property
    def index(self) -> int:
        return self.table.label(self.row)

    @property
    def arg(self) -> Any:
        return self.table.args[self.row]

    @property
    def status(self) -> str:
        return STATUSES[self.table.status[self.row]]

    @status.setter
    def status(self, name: str) -> None:
        self.table.status[self.row] = CODES[name]

    @property
    def value(self) -> Any:
        return self.table.values[self.row]

    @value.setter
    def value(self, value: Any) -> None:
        self.table.values[self.row] = value

    @property
    def error(self) -> str:
        return self.table.errors.get(self.row, "")

    @error.setter
    def error(self, text: str) -> None:
        self.table.set_error(self.row, text, self.traceback)

    @property
    def traceback(self) -> str:
        return self.table.tracebacks.get(self.row, "")

    @traceback.setter
    def traceback(self, text: str) -> None:
        self.table.set_error(self.row, self.error, text)

    @property
    def stdout(self) -> list[str]:
        return self.table.stdout.get(self.row, [])

    @property
    def stderr(self) -> list[str]:
        return self.table.stderr.get(self.row, [])

    @property
    def worker(self) -> str:
        return self.table.worker_of(self.row)[0]

    @property
    def host(self) -> str:
        return self.table.worker_of(self.row)[1]

    @property
    def submitted(self) -> float:
        return self.table.submitted[self.row]

    @property
    def started(self) -> float:
        return self.table.started[self.row]

    @property
    def finished(self) -> float:
        return self.table.finished[self.row]

    @property
    def attempts(self) -> int:
        return self.table.attempts[self.row]

    @attempts.setter
    def attempts(self, n: int) -> None:
        self.table.attempts[self.row] = max(0, min(255, n))

    def __repr__(self) -> str:
        return f"Task(id={self.id}, index={self.index}, status={self.status!r})"


class Task:
    """A task record made by hand (a session's lost rank): the fields of a `TaskView`."""

    def __init__(self, id: int, index: int, arg: Any) -> None:
        self.id = id
        self.index = index
        self.arg = arg
        self.status: str = "pending"
        self.value: Any = None
        self.error: str = ""
        self.traceback: str = ""
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.worker: str = ""
        self.host: str = ""
        self.submitted: float = math.nan
        self.started: float = math.nan
        self.finished: float = math.nan
        self.attempts: int = 0

    def __repr__(self) -> str:
        return f"Task(id={self.id}, index={self.index}, status={self.status!r})"


#: what code reading one task at a time is given: a table's row, or a record made by hand
TaskRecord = Task | TaskView


@dataclass
class Job:
    """What to run: a program (see `kjupyter.run.messages`), its blobs, and the tasks."""

    program: dict[str, Any]
    blobs: dict[str, Blob]
    tasks: TaskTable
    label: str  # "rank" or "item": the name of the column saying which task is which
    chunksize: int = 1
    window: int = 1  # chunks in flight per worker
    gang: bool = False  # start all tasks together, one per worker (the ranks of a cell)
    # task id -> the worker it must run on (a session's ranks): the engine uses these workers
    # instead of the pool's, never retries a task elsewhere and starts no replacement
    pins: dict[int, Any] | None = None
    # the functions shipped, whose source files fill in remote tracebacks (see `sources`)
    functions: list[Any] = field(default_factory=list)
    # more items, pulled only as workers have room for them (a generator, an endless stream):
    # each becomes a row appended to `tasks`
    source: Iterator[Any] | None = None
