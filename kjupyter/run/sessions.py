"""Distributed sessions: N workers whose namespaces live across cells, rebuilt when they die.

`kjupyter.session(n=4)` starts a session's own workers (not shared with `run`/`map` pools, and
never stopped for idleness: their state is the point). Rank r always runs on its worker, through
the same engine as tasks (`Job.pins`). Every cell, push and scatter that succeeded on a rank is
logged (`sessions_log`); when a rank's worker dies, a replacement replays that log, then the
operation that was running runs again there. A step marked not replayable stops the rebuild and
the rank is lost: said on every later use, never silently empty.

Works on any backend: it only starts workers (`Backend.start`) and runs jobs on them.
"""

from __future__ import annotations

import atexit
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kjupyter.errors import CaptureError, ChannelClosed, KjupyterError, TaskError
from kjupyter.run import (
    backends,
    capture,
    messages,
    pool,
    rendezvous,
    results,
    scatter,
    sources,
    wire,
)
from kjupyter.run.backends import Worker
from kjupyter.run.engine import Engine
from kjupyter.run.progress import Reporter
from kjupyter.run.sessions_log import ReplayLog, Step, describe_cell
from kjupyter.run.tasks import Job, Task, TaskRecord, TaskTable, new_task_ids

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_NAME = "default"
REBUILD_ATTEMPTS = 3  # replacement workers a rank gets, per rebuild, when they die mid-replay
PARALLEL_PUSH = 1 << 20  # pushes from this many bytes go to all ranks at once
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


class SessionError(KjupyterError):
    """A session cannot do what was asked (closed, a rank lost, a value missing on a rank)."""


class SessionPool(pool.Pool):
    """A session's own workers: heartbeats as any pool, but never reaped when idle."""

    def _reap_if_idle(self) -> None:
        return


class Session:
    """N ranks, each a worker keeping a namespace across cells; see the module docstring.

    >>> with kjupyter.session(n=2) as s:
    ...     s.px("x = RANK * 10")
    ...     s.pull("x")
    [0, 10]
    """

    def __init__(
        self, n: int, *, backend: str | None = None, name: str = DEFAULT_NAME, **options: Any
    ) -> None:
        self.name = name
        self.n = n
        self.backend_name = backend or backends.default_name()
        self.pool = SessionPool(
            backends.create(self.backend_name, **options), backends.current_session()
        )
        self.id = f"{name}-{uuid.uuid4().hex[:8]}"  # the namespace's key on the workers
        try:
            self.workers: list[Worker] = self.pool.acquire(n)
        except BaseException:
            self.pool.close()  # workers (pods) started before the failure go too
            raise
        self.log = ReplayLog()
        self.lost: dict[int, str] = {}  # rank -> the one line saying why
        # Each rebuild's rank, steps, seconds, and the seconds of it spent starting workers.
        self.rebuilds: list[dict[str, Any]] = []
        self.closed = False
        self.cancel_grace = 2.0
        self.environment: dict[str, Any] = {}
        try:
            self._agree_rendezvous()
        except BaseException:
            self.close()
            raise

    # -- the user surface -------------------------------------------------------------------
    def px(
        self,
        code: str,
        ranks: Iterable[int] | None = None,
        *,
        replay: bool = True,
        namespace: Mapping[str, Any] | None = None,
        values: bool = False,
        stream: bool = True,
        progress: bool = True,
        quiet: bool = False,
    ) -> Any:
        """Run `code` in each rank's namespace; one results row per rank (as `run` gives).

        Names the cell reads from `namespace` (default: the caller's) travel along, but never
        replace a name the rank set itself. `replay=False` marks a cell with side effects: a
        rank that dies after it is lost instead of rebuilt; give it to cells that talk to
        the other ranks too (a collective), which one rebuilt rank cannot replay alone.
        `values=True` returns the values
        in rank order instead (raising `TaskError`, which carries the frame, if a rank failed).
        """
        if not isinstance(code, str):
            raise SessionError(
                f"px takes the cell's code as a string, not a {type(code).__name__} "
                "(to call a function on every rank, push it and call it in the code)"
            )
        chosen = self._ranks(ranks)
        if namespace is None:
            namespace = capture.caller_namespace()
        cell = capture.capture_cell(code, namespace)
        number = self.log.next_number()
        program = {
            "kind": "px",
            "session": self.id,
            "op": "cell",
            "code": code,
            "names": cell.names,
            "modules": cell.modules,
            "world_size": self.n,
        }
        step = Step(number, describe_cell(number, code), program, cell.blobs, replay=replay)
        reporter = Reporter(
            len(chosen), self._where(), stream=stream, progress=progress, tasks=[],
            label="rank", of=f"session {self.name!r}",
        )  # fmt: skip
        start = time.monotonic()
        tasks, interrupted = self._apply(step, chosen, reporter)
        reporter.track(tasks)  # the task views get the ranks found lost too
        elapsed = time.monotonic() - start
        if not interrupted:
            self.log.record(step, [t.index for t in tasks if t.status == messages.OK])
        functions = [namespace[k] for k in cell.names if callable(namespace[k])]
        _resolve_tracebacks(tasks, functions)
        failed = sum(t.status != messages.OK for t in tasks)
        if values and not failed:  # nothing to report: no summary, no frame to build
            reporter.finish("", quiet=True)
            return [t.value for t in tasks]
        summary = results.summary_line(tasks, self._where(), len(chosen), elapsed)
        reporter.finish(summary, quiet=quiet)
        attrs = {"backend": self.backend_name, "summary": summary, "failed": failed}
        attrs.update(elapsed=elapsed, session=self.name)
        frame = results.to_frame(tasks, "rank", attrs)
        if values:
            first = next(t for t in tasks if t.status != messages.OK)
            raise TaskError(
                f"{failed} of {len(tasks)} ranks failed in session {self.name!r}; first: "
                f"rank {first.index}: {first.error}",
                frame,
                first.traceback,
            )
        return frame

    def push(self, ranks: Iterable[int] | None = None, **values: Any) -> None:
        """Set names in every rank's namespace (large values travel once per rank)."""
        if not values:
            raise SessionError("push needs at least one name=value")
        blobs = {}
        for name, value in values.items():
            _check_name(name)
            try:
                blobs[name] = _pushed_blob(value)
            except Exception as err:
                raise CaptureError(
                    f"cannot send {name!r} to the ranks: {type(err).__name__}: {err} (a "
                    f"{type(value).__name__}); make it picklable or create it on the ranks"
                ) from None
        program = self._program("push", names={n: b.key for n, b in blobs.items()})
        number = self.log.next_number()
        label = f"push {number} ({', '.join(values)})"
        step = Step(number, label, program, {b.key: b for b in blobs.values()})
        chosen = self._ranks(ranks, live_only=True)
        try:
            if sum(b.size for b in blobs.values()) >= PARALLEL_PUSH:
                self._send_blobs_at_once(step, chosen)
            self._checked(step, chosen, "push")
        finally:
            # A rank loads a pushed blob into its namespace and keeps no copy (the worker's
            # `Session.take`): the engine must not count it as cached there.
            for rank in chosen:
                for key in step.blobs:
                    self.workers[rank].cached.pop(key, None)

    def scatter(self, name: str, data: Any) -> None:
        """Give rank r the r-th block of `data` as `name` (DataFrame rows, list items, array
        rows along axis 0), in rank order."""
        _check_name(name)
        scatter.kind_of(data)  # TypeError at once for what cannot be split
        number = self.log.next_number()
        step = Step(number, f"scatter {number} ({name})", self._program("set", name=name), {})
        step.data = data
        self._checked(step, self._ranks(None, live_only=True), "scatter")

    def pull(self, name: str, ranks: Iterable[int] | None = None) -> list[Any]:
        """The value of `name` on each rank, in rank order."""
        _check_name(name)
        chosen = self._ranks(ranks, live_only=True)
        step = Step(0, f"pull {name}", self._program("get", name=name), {})
        tasks = self._checked(step, chosen, f"pull {name!r}")
        return [t.value for t in tasks]

    def gather(self, name: str, ranks: Iterable[int] | None = None) -> Any:
        """One value from every rank's `name`: DataFrames concatenated with a `rank` key,
        lists joined, arrays concatenated (other values: the list `pull` gives)."""
        chosen = self._ranks(ranks, live_only=True)
        return scatter.join(self.pull(name, chosen), chosen)

    def status(self) -> pd.DataFrame:
        """One row per rank: its worker, whether it is live or lost, and its logged steps."""
        import pandas as pd

        rows = []
        for rank, worker in enumerate(self.workers):
            state = "closed" if self.closed else ("lost" if rank in self.lost else "live")
            rows.append(
                {
                    "session": self.name,
                    "rank": rank,
                    "worker": worker.name,
                    "host": worker.host,
                    "state": state,
                    "steps": len(self.log.steps(rank)),
                    "rebuilds": sum(r["rank"] == rank for r in self.rebuilds),
                    "error": self.lost.get(rank, ""),
                }
            )
        return pd.DataFrame(rows)

    def close(self) -> None:
        """Stop the session's workers; their namespaces go with them."""
        if self.closed:
            return
        self.closed = True
        if _SESSIONS.get(self.name) is self:
            del _SESSIONS[self.name]
        self.pool.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.n - len(self.lost)} live"
        lost = f", {len(self.lost)} lost" if self.lost else ""
        where = f"{self.n} ranks on {self.backend_name}"
        return f"<kjupyter session {self.name!r}: {where}, {state}{lost}>"

    def _send_blobs_at_once(self, step: Step, ranks: list[int]) -> None:
        """Send a large push's blobs to every rank at the same time, a thread per rank.

        Why: the engine sends a job's blobs with its tasks, one rank after the other, so a
        100 MB push to 2 ranks paid two socket transfers in a row. Sent here first, as a
        work message with no task (the worker keeps the blobs for the push that follows),
        they are marked cached and the engine sends only the tasks. A rank whose send fails
        is left to the engine, which finds its channel broken and rebuilds the rank.
        """
        workers = [self.workers[r] for r in ranks]
        workers = [w for w in workers if w.ready and not w.dead and not w.channel.broken]
        if len(workers) < 2:
            return
        puts = [(key, len(blob.parts)) for key, blob in step.blobs.items()]
        parts = [part for blob in step.blobs.values() for part in blob.parts]

        def send(worker: Worker) -> None:
            try:
                worker.channel.send(messages.work([], puts, []), parts)
            except (OSError, ChannelClosed):
                return
            worker.cached.update((key, blob.size) for key, blob in step.blobs.items())

        threads = [threading.Thread(target=send, args=(w,), daemon=True) for w in workers[1:]]
        for thread in threads:
            thread.start()
        send(workers[0])
        for thread in threads:
            thread.join()

    def _agree_rendezvous(self) -> None:
        """Set the rendezvous environment on every rank before user code runs (see
        `kjupyter.run.rendezvous`); it is logged, so a rebuilt rank gets it again."""
        key = f"{self.id}/rendezvous"  # a namespace apart from the user's
        probe = dict(self._program("cell"), session=key, code=rendezvous.FREE_PORT)
        probe.update(names={}, modules={})
        tasks, interrupted = self._run(Step(0, "the rendezvous port", probe, {}), [0], None)
        if interrupted:
            raise KeyboardInterrupt
        if tasks[0].status != messages.OK:
            raise SessionError(
                f"session {self.name!r}: rank 0 could not pick a rendezvous port: {tasks[0].error}"
            )
        address, port = tasks[0].value
        one_host = self.backend_name == "local"
        if one_host:
            address = "127.0.0.1"
        self.environment = rendezvous.environment(address, port, self.n, one_host=one_host)
        blob = capture.make_blob(self.environment)
        program = dict(self._program("cell"), session=key, code=rendezvous.SET_ENV)
        program.update(names={"_kjupyter_env": blob.key}, modules={})
        step = Step(0, "the rendezvous environment", program, {blob.key: blob})
        self._checked(step, list(range(self.n)), "setting the rendezvous environment")

    # -- running steps on ranks -------------------------------------------------------------
    def _where(self) -> str:
        return f"{self.backend_name} session {self.name}"

    def _program(self, op: str, **fields: Any) -> dict[str, Any]:
        return {"kind": "px", "session": self.id, "op": op, "world_size": self.n, **fields}

    def _ranks(self, ranks: Iterable[int] | None, *, live_only: bool = False) -> list[int]:
        if self.closed:
            raise SessionError(f"session {self.name!r} is closed; start a new one")
        if isinstance(ranks, int):
            ranks = [ranks]
        given = list(range(self.n)) if ranks is None else list(ranks)
        wrong = [r for r in given if not isinstance(r, int) or not 0 <= r < self.n]
        if wrong or not given:
            raise SessionError(
                f"ranks {wrong or given} are not in session {self.name!r} (ranks 0..{self.n - 1})"
            )
        chosen = sorted(set(given))
        if live_only:
            for rank in chosen:
                if rank in self.lost:
                    raise SessionError(self.lost[rank])
        return chosen

    def _checked(self, step: Step, ranks: list[int], what: str) -> list[TaskRecord]:
        """Apply a value step; log it where it succeeded; raise the first failure's line."""
        done, interrupted = self._apply(step, ranks, None)
        if interrupted:
            raise KeyboardInterrupt
        if step.program["op"] != "get":
            self.log.record(step, [t.index for t in done if t.status == messages.OK])
        for task in done:
            if task.status != messages.OK:
                reason = self.lost.get(task.index) or task.error
                raise SessionError(f"{what} failed on rank {task.index}: {reason}")
        return done

    def _apply(
        self, step: Step, ranks: list[int], reporter: Reporter | None
    ) -> tuple[list[TaskRecord], bool]:
        """Run `step` on `ranks`; rebuild ranks whose worker died and run it there again.

        One task per rank, in rank order: a rank that is (or turns out) lost gets a task with
        its lost line, so no caller can miss it.
        """
        for rank in ranks:
            if self.workers[rank].dead and rank not in self.lost:
                self._rebuild(rank)
        tasks, interrupted = self._run(step, [r for r in ranks if r not in self.lost], reporter)
        tasks = sorted(tasks + [self._lost_task(r) for r in ranks if r in self.lost], key=_rank)
        if interrupted:
            return tasks, True
        for i, task in enumerate(tasks):
            if task.status != messages.LOST or task.index in self.lost:
                continue
            rank = task.index
            if not self._rebuild(rank, cause=task.error):
                tasks[i] = self._lost_task(rank)
            elif not step.replay:
                task.error = f"{task.error}; {step.label} is marked no-replay: not run again"
            else:
                again, interrupted = self._run(step, [rank], reporter)
                again[0].attempts = task.attempts + 1
                tasks[i] = again[0]
                if interrupted:
                    return tasks, True
        return tasks, False

    def _run(
        self, step: Step, ranks: list[int], reporter: Reporter | None
    ) -> tuple[list[TaskRecord], bool]:
        """One engine job: `step` once on each of `ranks`, each pinned to its rank's worker."""
        if not ranks:
            return [], False
        table = TaskTable.of([_argument(step, r, self.n) for r in ranks], labels=list(ranks))
        tasks: list[TaskRecord] = list(table)
        pins = {t.id: self.workers[t.index] for t in tasks}
        job = Job(step.program, step.blobs, table, label="rank", gang=True, pins=pins)
        if reporter is None:  # replays and value steps: nothing to echo
            reporter = Reporter(len(tasks), self._where(), stream=False, progress=False)
        reporter.track(tasks)  # px: the live task table follows these ranks
        engine = Engine(
            self.pool,
            job,
            len(tasks),
            reporter,
            max_attempts=1,
            cancel_grace=self.cancel_grace,
        )
        engine.execute()
        return tasks, engine.interrupted

    def _rebuild(self, rank: int, cause: str = "") -> bool:
        """Replace rank's dead worker and replay its log; False (and the rank lost) if not.

        `cause` is how the worker died (the task's error), kept in the lost line.
        """
        old = self.workers[rank]
        if not old.dead:
            self.pool.discard(old, force=True)
        blocker = self.log.blocker(rank)
        if blocker is not None:
            self._mark_lost(
                rank,
                f"rank {rank} of session {self.name!r} is lost: its worker died"
                + (f" ({cause})" if cause else "")
                + " and "
                f"{blocker.label} is marked no-replay; the other ranks keep their state "
                "(close the session and start again to rebuild it)",
            )
            return False
        start = time.monotonic()
        steps = self.log.steps(rank)
        starting = [0.0]  # seconds spent starting replacement workers (pods)
        for attempt in range(1, REBUILD_ATTEMPTS + 1):
            failed = self._replay(rank, steps, starting)
            if failed is None:
                break
            step, task = failed
            if task.status != messages.LOST or attempt == REBUILD_ATTEMPTS:
                self._mark_lost(
                    rank,
                    f"rank {rank} of session {self.name!r} is lost: replaying {step.label} on "
                    f"a new worker failed: {task.error}",
                )
                return False
            # The replacement died (not the replayed code failing): start over on another.
        seconds = time.monotonic() - start
        self.rebuilds.append(
            {"rank": rank, "steps": len(steps), "seconds": seconds, "start": starting[0]}
        )
        print(
            f"session {self.name!r}: rank {rank} rebuilt on {self.workers[rank].name}: "
            f"replayed {len(steps)} steps in {seconds:.2f} s"
        )
        return True

    def _replay(
        self, rank: int, steps: list[Step], starting: list[float]
    ) -> tuple[Step, TaskRecord] | None:
        """Replay `steps` on a new worker for `rank`; the step and task that failed, if any.

        `starting[0]` grows by the time the new worker took to start (said by `rebuilds`).
        """
        began = time.monotonic()
        self.workers[rank] = self.pool.spawn(1)[0]
        starting[0] += time.monotonic() - began
        for step in steps:
            tasks, interrupted = self._run(step, [rank], None)
            if interrupted:
                # Half rebuilt is not rebuilt: drop the replacement, the next use starts over.
                self.pool.discard(self.workers[rank], force=True)
                raise KeyboardInterrupt
            if tasks[0].status != messages.OK:
                return step, tasks[0]
        return None

    def _mark_lost(self, rank: int, line: str) -> None:
        self.lost[rank] = line
        worker = self.workers[rank]
        if not worker.dead:
            self.pool.discard(worker, force=True)
        print(line)

    def _lost_task(self, rank: int) -> Task:
        task = Task(new_task_ids(1)[0], rank, rank)
        task.status, task.error = messages.LOST, self.lost[rank]
        task.worker = self.workers[rank].name
        return task


def _rank(task: TaskRecord) -> int:
    return task.index


def _argument(step: Step, rank: int, n: int) -> Any:
    """What one rank's task gets: its rank (the results' `rank` column shows it), or
    (rank, its block) for a scatter."""
    if step.program["op"] == "set":
        return (rank, scatter.piece(step.data, n, rank))
    return rank


def _pushed_blob(value: Any) -> capture.Blob:
    """A pushed value as a blob keyed by a fresh id, not by a hash of its content.

    Why: SHA-256 of the content (~2 GB/s here) cost as much as sending it to two ranks, and a
    push gains nothing from a content key: each push is sent anyway (the value may have
    changed in place since), and the log replays the step by its blob, by reference.
    """
    parts = wire.pack_value(value)
    size = sum(memoryview(part).nbytes for part in parts)
    return capture.Blob(uuid.uuid4().hex, parts, [None] * len(parts), size)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise SessionError(f"{name!r} is not a Python name; give the variable's name as a string")


def _resolve_tracebacks(tasks: list[TaskRecord], functions: list[Callable[..., Any]]) -> None:
    """Fill remote tracebacks with the source of notebook functions (as `run` does)."""
    if not functions or not any(t.traceback for t in tasks):
        return
    index: dict[str, str] = {}
    for fn in functions:
        index.update(sources.code_index(fn))
    for task in tasks:
        if task.traceback and index:
            task.traceback = sources.resolve(task.traceback, index)


# -- the registry of named sessions -----------------------------------------------------------
_SESSIONS: dict[str, Session] = {}
_atexit_registered = False


def session(
    n: int = 4, *, backend: str | None = None, name: str | None = None, **options: Any
) -> Session:
    """Start a session of `n` ranks (see `Session`); other keywords are the backend's options
    (pod options for kubernetes, as `run` takes them). Returns once every rank is up and has
    its rendezvous environment (`kjupyter.run.rendezvous`)."""
    global _atexit_registered
    name = DEFAULT_NAME if name is None else name
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise SessionError(f"session name {name!r}: use letters, digits, '-', '_' or '.'")
    if not isinstance(n, int) or n < 1:
        raise SessionError(f"a session needs n >= 1 ranks, not {n!r}")
    if name in _SESSIONS:
        raise SessionError(
            f"a session named {name!r} is already up ({_SESSIONS[name]!r}); close it first "
            "(s.close(), %k8s session down) or give another name"
        )
    if not _atexit_registered:
        atexit.register(close_all)
        _atexit_registered = True
    made = _SESSIONS[name] = Session(n, backend=backend, name=name, **options)
    return made


def sessions() -> pd.DataFrame:
    """One row per open session: name, backend, ranks, live, lost, logged steps, rebuilds."""
    import pandas as pd

    rows = [
        {
            "session": s.name,
            "backend": s.backend_name,
            "ranks": s.n,
            "live": s.n - len(s.lost),
            "lost": len(s.lost),
            "steps": s.log.counter,
            "rebuilds": len(s.rebuilds),
        }
        for s in _SESSIONS.values()
    ]
    columns = ["session", "backend", "ranks", "live", "lost", "steps", "rebuilds"]
    return pd.DataFrame(rows, columns=columns)


def get(name: str | None = None) -> Session:
    """The session called `name`, or the latest one started when None."""
    if name is None:
        if not _SESSIONS:
            raise SessionError(
                "no session is up: start one with kjupyter.session(n=2) or %k8s session up -n 2"
            )
        return list(_SESSIONS.values())[-1]
    found = _SESSIONS.get(name)
    if found is None:
        known = ", ".join(_SESSIONS) or "none"
        raise SessionError(f"no session named {name!r} (open sessions: {known})")
    return found


def close_all() -> None:
    """Close every session (kernel exit, `%unload_ext kjupyter`, tests)."""
    for each in list(_SESSIONS.values()):
        each.close()
