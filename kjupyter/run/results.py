"""Results: one DataFrame row per task, and the summary line.

Columns, in order:

==========  ==============================================================================
task        task id (unique in this kernel)
rank|item   the rank (`run`) or the item (`map`) the task was given
worker      the worker that ran it last (a process `local-PID`, or a pod name)
host        the host or node of that worker
status      ok, error (user code raised), cancelled, lost (its workers kept dying)
value       what the cell's last expression or the function returned (None unless ok)
stdout      everything the task printed
stderr      everything the task wrote to stderr
error       one line: `Type: message`
traceback   the remote traceback, worker frames removed
submitted   when the task was first sent (UTC)
started     when its last attempt started on the worker (UTC, worker clock)
finished    when its last attempt ended (UTC, worker clock)
duration    finished - started, in seconds
attempts    how many times it ran: results received, plus worker deaths it was running in
            (a result finished but not yet sent when its worker died is not counted)
==========  ==============================================================================

`frame.attrs` holds `backend`, `summary`, `failed` and `elapsed`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kjupyter import preimport
from kjupyter.errors import TaskError
from kjupyter.run.tasks import NOWHERE, STATUSES, TaskTable

if TYPE_CHECKING:
    import pandas as pd


def preload() -> None:
    """Import pandas in the background while workers start (see `kjupyter.preimport`).

    Why: the first results DataFrame of a session would otherwise wait ~0.4 s for the import
    after the tasks are done; pods take a second or more to start, time the kernel spends
    waiting anyway.
    """
    preimport.in_background("pandas")


COLUMNS = [
    "task",
    "label",
    "worker",
    "host",
    "status",
    "value",
    "stdout",
    "stderr",
    "error",
    "traceback",
    "submitted",
    "started",
    "finished",
    "duration",
    "attempts",
]


def summary_line(
    tasks: TaskTable | Sequence[Any],
    backend: str,
    workers: int,
    elapsed: float,
    starting: tuple[int, float] = (0, 0.0),
) -> str:
    """`4 tasks on local (2 workers) in 0.12 s: 3 ok, 1 failed (error: 1)`.

    `starting` (pods, seconds) says how much of the time went into starting pods:
    `... in 7.20 s (5.10 s of it starting 2 pods): ...`.
    """
    counts = status_counts(tasks)
    ok = counts.pop("ok", 0)
    failed = sum(counts.values())
    pods, seconds = starting[0], min(starting[1], elapsed)  # replacements may overlap
    start = f" ({seconds:.2f} s of it starting {pods} pod{'s' * (pods != 1)})" if pods else ""
    line = f"{len(tasks)} tasks on {backend} ({workers} workers) in {elapsed:.2f} s{start}: "
    line += f"{ok} ok"
    line += f", {failed} failed"
    if counts:
        line += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + ")"
    return line


def status_counts(tasks: TaskTable | Sequence[Any]) -> dict[str, int]:
    """How many tasks have each status (only those that occur)."""
    if isinstance(tasks, TaskTable):
        counts = Counter(tasks.status)  # over bytes: in C
        return {STATUSES[code]: n for code, n in sorted(counts.items())}
    return dict(Counter(task.status for task in tasks))


def to_frame(tasks: TaskTable | Sequence[Any], label: str, attrs: dict[str, Any]) -> pd.DataFrame:
    """The results DataFrame (see the module docstring for the columns).

    From a `TaskTable`, column by column; from task records (a session's ranks, gathered
    from several runs), record by record.
    """
    import pandas as pd

    if isinstance(tasks, TaskTable):
        frame = pd.DataFrame(_table_columns(tasks, label))
        frame.attrs.update(attrs)
        return frame
    submitted, started, finished = utc_stamps(
        [[t.submitted for t in tasks], [t.started for t in tasks], [t.finished for t in tasks]]
    )
    frame = pd.DataFrame(
        {
            "task": [t.id for t in tasks],
            label: _objects([t.arg for t in tasks]),
            "worker": [t.worker for t in tasks],
            "host": [t.host for t in tasks],
            "status": [t.status for t in tasks],
            "value": _objects([t.value for t in tasks]),
            "stdout": ["".join(t.stdout) for t in tasks],
            "stderr": ["".join(t.stderr) for t in tasks],
            "error": [t.error for t in tasks],
            "traceback": [t.traceback for t in tasks],
            "submitted": submitted,
            "started": started,
            "finished": finished,
            "duration": [t.finished - t.started for t in tasks],
            "attempts": [t.attempts for t in tasks],
        }
    )
    frame.attrs.update(attrs)
    return frame


def _table_columns(table: TaskTable, label: str) -> dict[str, Any]:
    """The results columns of a table: numpy over its arrays, a loop only over the rows
    that have output or an error (most have none)."""
    import numpy as np

    n = len(table)
    # a worker slot indexes its name; NOWHERE (-1) the "" appended after the names
    slots = np.frombuffer(table.ran_on, dtype=np.int32) if n else np.zeros(0, np.int32)
    names = np.array([*table.worker_names, ""], dtype=object)
    hosts = np.array([*table.worker_hosts, ""], dtype=object)
    codes = np.frombuffer(bytes(table.status), dtype=np.uint8)
    times = [_floats(table.submitted), _floats(table.started), _floats(table.finished)]
    submitted, started, finished = utc_stamps(times)
    assert NOWHERE == -1  # the index of the "" after the names
    return {
        "task": _ints(table.ids),
        label: _objects(table.args),
        "worker": names[slots],
        "host": hosts[slots],
        "status": np.array(STATUSES, dtype=object)[codes],
        "value": _objects(table.values),
        "stdout": _sparse_text(n, table.stdout),
        "stderr": _sparse_text(n, table.stderr),
        "error": _sparse_text(n, table.errors),
        "traceback": _sparse_text(n, table.tracebacks),
        "submitted": submitted,
        "started": started,
        "finished": finished,
        "duration": times[2] - times[1],
        "attempts": np.frombuffer(bytes(table.attempts), dtype=np.uint8).astype(np.int64),
    }


def _floats(column: Any) -> Any:
    import numpy as np

    if not len(column):
        return np.zeros(0, dtype=np.float64)
    return np.frombuffer(column, dtype=np.float64).copy()  # the frame outlives the table


def _ints(column: Any) -> Any:
    import numpy as np

    if type(column) is range:
        return np.arange(column.start, column.stop, column.step, dtype=np.int64)
    return np.array(column, dtype=np.int64)


def _sparse_text(n: int, kept: dict[int, Any]) -> Any:
    """An object column of "" with the kept rows' text (str, or pieces joined)."""
    import numpy as np

    column = np.full(n, "", dtype=object)
    for row, text in kept.items():
        column[row] = text if type(text) is str else "".join(text)
    return column


NANOSECONDS = 1_000_000_000


def utc_stamps(columns: list[list[float]]) -> list[Any]:
    """Columns of POSIX seconds (NaN: never) as UTC datetime arrays, all at once.

    Why not `pd.to_datetime(..., unit="s", utc=True)`: on pandas 3 each call cost ~0.5 ms
    whatever the length, three per results frame, where a px round trip is ~0.2 ms. This is
    pandas' own conversion done in numpy, with the same result (tests/unit/test_run_results):
    whole seconds, then the fraction rounded to 9 digits and truncated to nanoseconds; and
    pandas' unit, microseconds for a column of whole seconds (or only NaN), else ns.
    """
    import numpy as np
    import pandas as pd

    seconds = np.array(columns, dtype="float64").reshape(len(columns), -1)
    never = np.isnan(seconds)
    seconds[never] = 0.0
    whole = seconds.astype("int64")
    fraction = np.round(seconds - whole, 9)
    out = []
    for row in range(len(columns)):
        if not fraction[row].any():  # whole seconds: pandas gives microseconds
            unit, ticks = "us", whole[row] * 1_000_000
        else:
            unit = "ns"
            ticks = whole[row] * NANOSECONDS + (fraction[row] * NANOSECONDS).astype("int64")
        ticks[never[row]] = np.iinfo(np.int64).min  # NaT
        dtype = pd.DatetimeTZDtype(unit, "UTC")
        out.append(pd.array(ticks.view(f"M8[{unit}]"), dtype=dtype))
    return out


def _objects(values: list[Any]) -> Any:
    """An object column as a numpy array: each value one cell (a tuple too), and no Series
    index for the frame to align (that alignment was half the frame's build time)."""
    import numpy as np

    # fromiter takes each value as one cell, where np.array would unpack sequences
    return np.fromiter(values, dtype=object, count=len(values))


def all_failed_error(frame: Any) -> TaskError | None:
    """One error for a run where no task succeeded, or None.

    It shows every failed task's remote traceback under its rank (as ipyparallel's
    CompositeError does), so a run that did nothing is never mistaken for a success;
    `.results` keeps the frame. A partial failure returns None: its frame tells the story.
    """
    if not len(frame) or (frame["status"] == "ok").any():
        return None
    label = frame.columns[1]
    parts = []
    for row in frame.itertuples(index=False):
        ran = getattr(row, label)
        parts.append(f"[{label} {ran}] {row.status}: {row.error}".rstrip(": "))
        if row.traceback:
            parts.append(row.traceback.rstrip("\n"))
    return TaskError(
        f"{len(frame)} of {len(frame)} tasks failed on {frame.attrs.get('backend', '?')}",
        frame,
        "\n".join(parts),
    )
