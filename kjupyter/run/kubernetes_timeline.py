"""Where a run's time went: pod phases and task phases in one table, and a Gantt-style plot.

Pod phases are the times the backend's watch first saw each state (kernel clock, ms
resolution; the API's own timestamps are whole seconds): created (our POST), scheduled,
sandbox ready, image ready, started (container running), connected and hello (kernel side).
Task phases come from the results frame: queued (submitted), running (started), done
(finished). Worker clocks may differ from the kernel's by the nodes' clock skew.

The plot needs matplotlib, which kjupyter does not depend on: `plot` raises a one-line error
saying so when it is missing; the table works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kjupyter.errors import BackendError
from kjupyter.run.kubernetes import CLOSED, LIVE

if TYPE_CHECKING:
    import pandas as pd

POD_PHASES = [
    "created",
    "scheduled",
    "sandbox ready",
    "image ready",
    "started",
    "connected",
    "hello",
    "ended",
]
COLUMNS = ["worker", "kind", "what", "phase", "start", "end"]


def _pod_marks(name: str) -> dict[str, float]:
    for backend in [*LIVE, *CLOSED]:
        state = backend.watcher.state(name) if backend.watcher else None
        if state is None:
            continue
        marks = dict(state.seen)
        worker = backend.workers.get(name)
        if worker is not None:
            marks.update(worker.handle.marks)
        else:
            marks.update(backend.marks.get(name, {}))
        return marks
    return {}


def timeline(results: Any) -> pd.DataFrame:
    """One row per pod phase and per task phase of the run that produced `results`.

    Rows: worker, kind ("pod"/"task"), what (pod name or task id), phase, start, end (UTC
    timestamps). A pod phase lasts until the next one seen; a task is queued from its
    submission until it starts, running until it finishes.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for worker in sorted(set(results["worker"]) - {""}):
        marks = _pod_marks(worker)
        seen = sorted(((marks[p], p) for p in POD_PHASES if p in marks), key=lambda item: item[0])
        for (at, phase), following in zip(seen, [*seen[1:], (None, "")], strict=True):
            end = following[0] if following[0] is not None else at
            rows.append(
                {"worker": worker, "kind": "pod", "what": worker, "phase": phase}
                | {"start": at, "end": end}
            )
    for task in results.itertuples(index=False):
        submitted = _seconds(task.submitted)
        started, finished = _seconds(task.started), _seconds(task.finished)
        if submitted is not None and started is not None:
            rows.append(_task_row(task, "queued", submitted, started))
        if started is not None and finished is not None:
            rows.append(_task_row(task, "running", started, finished))
        if finished is not None:
            rows.append(_task_row(task, "done", finished, finished))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column].astype("float64"), unit="s", utc=True)
    return frame.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)


def _task_row(task: Any, phase: str, start: float, end: float) -> dict[str, Any]:
    return {
        "worker": task.worker,
        "kind": "task",
        "what": str(task.task),
        "phase": phase,
        "start": start,
        "end": end,
    }


def _seconds(stamp: Any) -> float | None:
    import pandas as pd

    if stamp is None or pd.isna(stamp):
        return None
    return float(pd.Timestamp(stamp).timestamp())


def plot(frame: Any, ax: Any = None) -> Any:
    """A Gantt-style chart of `timeline(...)`: one lane per worker, pod phases then tasks."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise BackendError(
            "the timeline plot needs matplotlib (pip install matplotlib); the table from "
            "timeline() works without it"
        ) from err
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.5 + 0.4 * max(1, frame["worker"].nunique())))
    origin = frame["start"].min()
    lanes = {w: i for i, w in enumerate(sorted(frame["worker"].unique()))}
    colours: dict[str, Any] = {}
    palette = plt.get_cmap("tab10")
    for row in frame.itertuples(index=False):
        left = (row.start - origin).total_seconds()
        width = max((row.end - row.start).total_seconds(), 0.002)
        colour = colours.setdefault(row.phase, palette(len(colours) % 10))
        height = 0.35 if row.kind == "pod" else 0.25
        offset = -0.2 if row.kind == "pod" else 0.2
        ax.barh(lanes[row.worker] + offset, width, left=left, height=height, color=colour)
    ax.set_yticks(list(lanes.values()), list(lanes))
    ax.set_xlabel("seconds since the first event")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, list(colours), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return ax
