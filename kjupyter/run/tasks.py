"""The task model: one task per rank or item, and what one run of them needs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kjupyter.run.capture import Blob

_next_id = 1


def new_task_ids(n: int) -> range:
    """Task ids unique in this process: a late result of an old run never matches a new task."""
    global _next_id
    first, _next_id = _next_id, _next_id + n
    return range(first, first + n)


class Task:
    """One task and everything known about its outcome.

    Slots, not a dict: a map of 100,000 items makes 100,000 tasks, and the engine sets ten of
    their fields as each is sent and answered; a slot store costs a fifth of adding a key to an
    instance dict (measured: ~0.25 us a task to send and to record, against ~1.3 us each).
    """

    __slots__ = (
        "arg",
        "attempts",
        "error",
        "finished",
        "host",
        "id",
        "index",
        "started",
        "status",
        "stderr",
        "stdout",
        "submitted",
        "suspect",
        "traceback",
        "value",
        "worker",
    )

    def __init__(self, id: int, index: int, arg: Any) -> None:
        self.id = id
        self.index = index
        self.arg = arg
        self.status: str = "pending"
        self.value: Any = None
        self.error: str = ""
        self.traceback: str = ""
        self.stdout: list[str] | tuple[()] = ()  # becomes a list on the first output
        self.stderr: list[str] | tuple[()] = ()
        self.worker: str = ""
        self.host: str = ""
        self.submitted: float = math.nan
        self.started: float = math.nan
        self.finished: float = math.nan
        self.attempts: int = 0  # runs: results received, plus the deaths of workers running it
        self.suspect: bool = False  # in flight on a worker that died: retried alone

    def add_output(self, stream: str, text: str) -> None:
        """Keep a piece of the task's stdout or stderr."""
        stream = "stdout" if stream == "stdout" else "stderr"
        kept = getattr(self, stream)
        if type(kept) is tuple:
            kept = []
            setattr(self, stream, kept)
        kept.append(text)

    def __repr__(self) -> str:
        return f"Task(id={self.id}, index={self.index}, status={self.status!r})"


@dataclass
class Job:
    """What to run: a program (see `kjupyter.run.messages`), its blobs, and the tasks."""

    program: dict[str, Any]
    blobs: dict[str, Blob]
    tasks: list[Task]
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
    # each becomes a task appended to `tasks`
    source: Iterator[Any] | None = None
