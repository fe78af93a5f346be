"""The engine: sends tasks to workers, pipelines, gathers, retries, cancels.

It runs in the caller's thread as a select loop over the workers' channels: no thread hand-off
sits between a result arriving and the caller seeing it, and a KeyboardInterrupt (a kernel
interrupt) lands here, where it turns into cancellation. Backends only start and stop workers.
"""

from __future__ import annotations

import array
import collections
import contextlib
import gc
import queue
import select
import selectors
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kjupyter.errors import AuthenticationError, ChannelClosed, ProtocolError
from kjupyter.run import interrupts, messages, rendezvous, wire
from kjupyter.run.backends import Worker
from kjupyter.run.pool import Pool
from kjupyter.run.progress import Reporter
from kjupyter.run.tasks import Job, Task, new_task_ids

CACHE_BUDGET = 1 << 30  # bytes of blobs a worker keeps for us before the oldest are dropped
TICK = 0.1  # s between progress refreshes while waiting
START_TIMEOUT = 60.0  # s a run waits for its first worker to say hello
FINAL = frozenset((messages.OK, messages.ERROR, messages.CANCELLED, messages.LOST))
KEY_MISMATCH = (
    "frames fail the signature check: the worker holds another session secret than this "
    "kernel (a key mismatch); start workers with this kernel's secret"
)
SPIN = 0.0002  # s the loop polls for results before it sleeps (see StreamChannel.spin)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a run makes and records its tasks.

    Why: a map of 100,000 items allocates ~300,000 objects that live until the run ends; with
    the collector on, CPython walks them again and again (a fifth of the kernel's time on a
    trivial map, measured), and a collection in the middle of a round trip is its tail.
    Task records hold no cycles; a collection runs once the run is over, as usual.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Engine:
    """Run one job on `workers` workers of `pool`; see `execute`."""

    def __init__(
        self,
        pool: Pool,
        job: Job,
        workers: int,
        reporter: Reporter,
        *,
        max_attempts: int = 3,
        cancel_grace: float = 2.0,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.pool = pool
        self.job = job
        self.n_workers = workers
        self.reporter = reporter
        self.max_attempts = max_attempts
        self.cancel_grace = cancel_grace
        self.start_timeout = start_timeout
        self.queue: collections.deque[Task] = collections.deque(job.tasks)
        self.by_id = {t.id: t for t in job.tasks}
        self.remaining = len(job.tasks)
        self.source = job.source  # None once exhausted, failed, or no longer wanted
        self.failed = 0
        self.active: list[Worker] = []
        self.selector = selectors.PollSelector()  # no syscall to set up or close, unlike epoll
        self.start_failures = 0
        self.started_at = time.monotonic()
        self.interrupted = False  # a KeyboardInterrupt cancelled the run (callers read it)
        self.closing = False  # the run is over (or failed): nothing new is started or retried
        self.deaths: dict[str, str] = {}  # worker name -> how it died, for the tasks it strands
        self.gang_started = False
        self.given_up = False
        self.lost_workers = 0
        self.replacing = 0  # workers being started in the background
        self.failed_replacements = 0
        self.replacements: queue.SimpleQueue[_Started] = queue.SimpleQueue()

    # -- workers ----------------------------------------------------------------------------
    def _add(self, workers: list[Worker]) -> None:
        for worker in workers:
            self.active.append(worker)
            self.selector.register(worker.channel, selectors.EVENT_READ, worker)
            exit_fd = self.pool.backend.exit_fd(worker)
            if exit_fd is not None:  # the process itself, not only its socket (issue 16, 4)
                self.selector.register(exit_fd, selectors.EVENT_READ, _Exited(worker))

    def _unregister(self, worker: Worker) -> None:
        for key in list(self.selector.get_map().values()):
            if key.data is worker or (type(key.data) is _Exited and key.data.worker is worker):
                self.selector.unregister(key.fileobj)

    def _lose(self, worker: Worker, reason: str) -> None:
        """A worker died or broke its channel: retry its tasks elsewhere, up to the limit.

        Attempts count runs, not dispatches. A worker runs its tasks in the order sent, so of
        those it never answered only the first had started: that one is charged an attempt.
        The others are not, and every one of them is retried alone (`Task.suspect`), so a
        poison task is found by itself and takes none of its chunk-mates with it.
        """
        if worker in self.active:
            self._drain(worker)  # what it sent before it died counts: those tasks are done
            if worker not in self.active:
                return  # lost while draining (its channel broke): that call did the rest
            self.active.remove(worker)
            self._unregister(worker)
        if not worker.ready:
            self.start_failures += 1
        detail = reason if reason else self.pool.backend.describe_exit(worker)
        self.deaths[worker.name] = detail
        self.pool.discard(worker, force=True)
        unanswered = list(worker.inflight.values())  # in the order sent
        worker.inflight.clear()
        self.lost_workers += 1
        retried = 0
        for n, task in enumerate(unanswered):
            if n == 0:
                task.attempts += 1
            task.suspect = True
            if self.interrupted or self.closing:
                self._finish(task, messages.CANCELLED, f"cancelled; worker {worker.name} {detail}")
            elif task.attempts >= self.max_attempts:
                self._finish(
                    task,
                    messages.LOST,
                    f"worker {worker.name} lost ({detail}) after {task.attempts} attempts",
                )
            else:
                task.status = "pending"
                retried += 1
        self.queue.extendleft(t for t in reversed(unanswered) if t.status == "pending")
        if self.interrupted or self.closing:
            return
        given_up = len(unanswered) - retried
        self.reporter.note(
            f"worker {worker.name} lost ({detail}); {retried} of its tasks retried alone"
            + (f", {given_up} given up" if given_up else "")
        )
        if self.start_failures > self.n_workers + 2:
            name = self.pool.backend.name
            if detail == KEY_MISMATCH:
                self._give_up(f"workers of backend {name!r} cannot be trusted: {detail}")
            else:
                self._give_up(
                    f"workers of backend {name!r} exit before saying hello ({detail}); see "
                    "their stderr (the kernel log)"
                )

    def _replace(self) -> None:
        """Start replacements for lost workers in the background; take in those that are up.

        Why a thread: a pod takes seconds to start, and the healthy workers keep working
        meanwhile. A replacement that cannot start is said in one line, and the run goes on
        with the workers it has; it fails only when no worker at all remains.
        """
        while True:
            try:
                started = self.replacements.get_nowait()
            except queue.Empty:
                break
            self.replacing -= started.count
            if started.error is None:
                self._add(started.workers)
                continue
            self.reporter.note(
                f"could not start {started.count} replacement worker(s): {started.error}; "
                f"carrying on with {len(self.active)}"
            )
            if not self.active and not self.replacing:
                self._give_up(f"no worker left: a replacement could not start: {started.error}")
                return
            self.failed_replacements += started.count
        missing = self.n_workers - len(self.active) - self.replacing - self.failed_replacements
        more = self.remaining or self.source is not None
        if missing <= 0 or not more or self.interrupted or self.closing or self.given_up:
            return
        if self.job.pins is not None:
            return  # a session's ranks are rebuilt by the session (replay), not replaced here
        self.replacing += missing
        threading.Thread(
            target=_start_replacements,
            args=(self.pool, missing, self.replacements),
            name="kjupyter-replace",
            daemon=True,
        ).start()

    def _give_up(self, why: str) -> None:
        """No worker can run what is left: end it as lost with `why`, keeping every result."""
        self.given_up = True
        self.source = None
        self.reporter.note(why)
        while self.queue:
            self._finish(self.queue.popleft(), messages.LOST, why)
        for worker in list(self.active):
            for task in worker.inflight.values():
                self._finish(task, messages.LOST, why)

    # -- sending ----------------------------------------------------------------------------
    def _dispatch(self) -> None:
        job = self.job
        if job.pins is not None:
            self._dispatch_pinned(job.pins)
            return
        if job.gang and not self.gang_started:
            # Ranks of a cell run side by side (they may talk to each other): start them
            # together, once every worker is up, one rank per worker.
            if sum(w.ready for w in self.active) < self.n_workers:
                return
            self.gang_started = True
            if job.program.get("rendezvous"):  # MASTER_ADDR etc., agreed before any rank runs
                rank0 = next(w for w in self.active if w.ready)
                job.program = rendezvous.for_run(job.program, rank0, self.pool.backend)
        for worker in self.active:
            if not worker.ready:
                continue
            while len(worker.inflight) < job.chunksize * job.window:
                if not self.queue and not self._pull(job.chunksize):
                    return
                if self.queue[0].suspect:  # retried after a death: runs alone
                    if worker.inflight:
                        break
                    chunk = [self.queue.popleft()]
                else:  # suspects only ever join at the front: none is left in the queue
                    take = min(job.chunksize, len(self.queue))
                    chunk = [self.queue.popleft() for _ in range(take)]
                try:
                    self._send(worker, chunk)
                except (OSError, ChannelClosed):
                    self.queue.extendleft(reversed(chunk))  # never sent: not charged, not lost
                    self._lose(worker, "")
                    return
                if chunk and chunk[0].suspect:
                    break

    def _pull(self, count: int) -> bool:
        """Make tasks of up to `count` more items of a streamed map; False when none came.

        Items are pulled only when a worker has room for them: the look-ahead is what is in
        flight, so an endless iterator runs instead of being read into a list first.
        """
        if self.source is None or self.interrupted or self.closing or self.given_up:
            return False
        pulled = 0
        while pulled < count:
            try:
                item = next(self.source)
            except StopIteration:
                self.source = None
                break
            except Exception as err:
                self.source = None
                self.reporter.note(
                    f"the items stopped after {len(self.job.tasks)}: {type(err).__name__}: "
                    f"{err}; the map ends with them"
                )
                break
            task = Task(new_task_ids(1)[0], len(self.job.tasks), item)
            self.job.tasks.append(task)
            self.by_id[task.id] = task
            self.queue.append(task)
            self.remaining += 1
            pulled += 1
        self.reporter.total = len(self.job.tasks)
        return pulled > 0

    def _dispatch_pinned(self, pins: dict[int, Worker]) -> None:
        """A session's tasks: each runs on its own rank's worker, or is lost with it."""
        for task in list(self.queue):
            worker = pins[task.id]
            if worker not in self.active:
                self.queue.remove(task)
                why = self.deaths.get(worker.name, "")
                self._finish(task, messages.LOST, f"worker {worker.name} lost ({why})")
        if not all(pins[t.id].ready for t in self.queue):
            return  # the ranks of a cell start together, once their workers said hello
        while self.queue:
            task = self.queue.popleft()
            try:
                self._send(pins[task.id], [task])
            except (OSError, ChannelClosed):
                self.queue.appendleft(task)  # never sent: lost with its worker, next turn
                self._lose(pins[task.id], "")
                return

    def _send(self, worker: Worker, chunk: list[Task]) -> None:
        """Pack, send, then record: a chunk counts as in flight only once it has left.

        Why this order: an error while packing (an unpicklable item) or sending must not leave
        tasks marked in flight, or blobs marked cached, on a worker that stays in the pool.
        """
        args = self._pack(chunk)
        if not chunk:
            return
        puts, attachments, fresh = [], [], []
        for key, blob in self.job.blobs.items():
            if key in worker.cached:
                worker.cached.move_to_end(key)
                continue
            puts.append((key, len(blob.parts)))
            attachments.extend(blob.parts)
            fresh.append((key, blob.size))
        drops = self._evict(worker, sum(size for _, size in fresh))
        attachments.extend(args)
        run = (self.job.program, [t.id for t in chunk], len(args))
        now = time.time()  # before the send: the worker may start the task before it returns
        try:
            worker.channel.send(messages.work(drops, puts, [run]), attachments)
        except BaseException:
            worker.channel.broken = True  # whatever was written, this channel is done
            raise
        worker.cached.update(fresh)
        for task in chunk:
            task.status = "running"
            task.worker, task.host = worker.name, worker.host
            if task.submitted != task.submitted:  # NaN: first time out
                task.submitted = now
            worker.inflight[task.id] = task

    def _pack(self, chunk: list[Task]) -> list[Any]:
        """The chunk's arguments as one blob; items that cannot be pickled fail as their rows.

        `chunk` is trimmed in place to the tasks that can be sent.
        """
        try:
            return wire.pack_value([t.arg for t in chunk])
        except Exception:
            pass  # find which items, one by one (rare: only after a failure)
        good = []
        for task in chunk:
            try:
                wire.pack_value(task.arg)
            except Exception as err:
                self._finish(
                    task,
                    messages.ERROR,
                    f"{self.job.label} {task.index} cannot be pickled: {type(err).__name__}: {err}",
                )
            else:
                good.append(task)
        chunk[:] = good
        return wire.pack_value([t.arg for t in good]) if good else []

    def _evict(self, worker: Worker, adding: int) -> list[str]:
        """Keys to drop so the worker's cache stays within budget after `adding` bytes."""
        drops = []
        total = sum(worker.cached.values()) + adding
        for key in list(worker.cached):
            if total <= CACHE_BUDGET:
                break
            if key in self.job.blobs:
                continue
            total -= worker.cached.pop(key)
            drops.append(key)
        return drops

    # -- receiving --------------------------------------------------------------------------
    def _drain(self, worker: Worker) -> None:
        """Read every whole frame a lost worker sent before it went (its last results).

        The process exit (pidfd) or the pod watch can be seen before the frames it wrote; a
        result left unread would be run again, and its attempt charged to the wrong task.
        """
        channel = worker.channel
        while not channel.broken and worker in self.active:
            if not channel.pending() and not select.select([channel], [], [], 0)[0]:
                return
            try:
                raw, atts = channel.recv(timeout=0.5)
                msg = messages.parse(raw)
            except Exception:  # end of stream, or a partial frame: nothing more to take
                return
            if type(msg) is messages.Done:
                self._results(worker, msg.rows, atts)
                if msg.columns is not None:
                    with contextlib.suppress(ProtocolError, ValueError, TypeError):
                        self._columns(worker, msg.columns)  # a lost worker's last word
            elif type(msg) is messages.Out:
                task = self.by_id.get(msg.task_id)
                if task is not None:
                    task.add_output(msg.stream, msg.text)

    def _receive(self, worker: Worker) -> None:
        try:
            raw, atts = worker.channel.recv()
            msg = messages.parse(raw)
        except AuthenticationError:
            self._lose(worker, KEY_MISMATCH)
            return
        except (ChannelClosed, ProtocolError, OSError):
            self._lose(worker, "")
            return
        if type(msg) is messages.Done:
            self._results(worker, msg.rows, atts)
            if msg.columns is not None:
                try:
                    self._columns(worker, msg.columns)
                except (ProtocolError, ValueError, TypeError) as err:
                    self._lose(worker, f"sent a malformed result batch: {err}")
        elif type(msg) is messages.Out:
            task = self.by_id.get(msg.task_id)
            if task is not None:
                task.add_output(msg.stream, msg.text)
                self.reporter.output(task, msg.stream, msg.text)
        elif type(msg) is messages.Hello:
            info = msg.info  # its protocol was checked in the channel's greeting
            worker.info = info
            worker.host = info.get("host", worker.host)
            worker.ready = True

    def _results(self, worker: Worker, results: list[tuple[Any, ...]], atts: list[Any]) -> None:
        """Record a batch of results: the hottest loop of a big map, kept flat on purpose."""
        pos = 0
        inflight = worker.inflight
        half_lines = self.reporter.partial  # output lines still waiting for their end
        cancelled = messages.CANCELLED
        for task_id, status, nparts, error, tb, started, finished, inline in results:
            task = inflight.pop(task_id, None)
            value = inline  # nparts 0: a plain value (int, str...) in the message itself
            if nparts:
                parts = atts[pos : pos + nparts]
                pos += nparts
                if task is not None and status == messages.OK:
                    try:
                        value = wire.unpack_value(parts)
                    except Exception as err:
                        status = messages.ERROR
                        error = (
                            f"result could not be loaded in the kernel: {type(err).__name__}: {err}"
                        )
            if task is None or task.status in FINAL:
                continue  # a result of a task already given up on
            if status != cancelled or finished != started:
                task.attempts += 1  # it ran (a task cancelled before it started did not)
            task.value, task.status, task.started, task.finished = value, status, started, finished
            if error or tb:
                task.error, task.traceback = error, tb
            if status != messages.OK:
                self.failed += 1
            self.remaining -= 1
            if half_lines:
                self.reporter.task_done(task)

    def _columns(self, worker: Worker, columns: tuple[Any, ...]) -> None:
        """Record a batch's plain successful results, sent as columns (ids, times, values)."""
        ids, started_bytes, finished_bytes, values = columns
        started, finished = array.array("d"), array.array("d")
        started.frombytes(started_bytes)
        finished.frombytes(finished_bytes)
        if not (len(ids) == len(values) == len(started) == len(finished)):
            raise ProtocolError("a result batch's columns differ in length")
        inflight = worker.inflight
        half_lines = self.reporter.partial
        ok = messages.OK
        done = 0
        for task_id, value, start, end in zip(ids, values, started, finished, strict=True):
            task = inflight.pop(task_id, None)
            if task is None or task.status in FINAL:
                continue  # a result of a task already given up on
            task.attempts += 1
            task.value, task.status, task.started, task.finished = value, ok, start, end
            done += 1
            if half_lines:
                self.reporter.task_done(task)
        self.remaining -= done

    def _finish(self, task: Task, status: str, error: str) -> None:
        if task.status in FINAL:
            return
        task.status, task.error = status, error
        self.reporter.task_done(task)
        if status != messages.OK:
            self.failed += 1
        self.remaining -= 1

    def _report(self) -> None:
        self.reporter.progress(len(self.job.tasks) - self.remaining, self.failed)
        self.reporter.tick()

    # -- the loop ---------------------------------------------------------------------------
    def _step(self, timeout: float) -> None:
        ready: list[Any] = [w for w in self.active if w.channel.pending()]
        if not ready:
            ready = self._spin(min(SPIN, timeout))
        if not ready:
            ready = [key.data for key, _ in self.selector.select(timeout)]
        losses = self.lost_workers
        self._handle(ready)
        while self.lost_workers != losses and self.active:
            # A death is often not alone (a node lost, a kernel paused past the dead-man
            # switch): find every dead worker now, before retries are sent to any of them.
            losses = self.lost_workers
            self._handle([key.data for key, _ in self.selector.select(0)])

    def _handle(self, ready: list[Any]) -> None:
        # Channels first: a process that exited wrote its last results before it ended.
        for worker in ready:
            if type(worker) is not _Exited and worker in self.active:
                self._receive(worker)
        for exited in ready:
            if type(exited) is _Exited and exited.worker in self.active:
                self._lose(exited.worker, "")

    def _spin(self, seconds: float) -> list[Worker]:
        """Poll the channels for up to `seconds`: an answer due soon skips a sleep and a wake-up."""
        end = time.perf_counter() + seconds
        while True:
            ready = [key.data for key, _ in self.selector.select(0)]
            if ready or time.perf_counter() >= end:
                return ready

    def execute(self) -> list[Task]:
        """Run every task; on KeyboardInterrupt cancel and return what finished.

        A Ctrl-C that lands while a frame is read or written is raised once the frame is
        whole (`interrupts`): a torn channel would lose the worker, and a session's rank
        its namespace.
        """
        with interrupts.between_frames():
            return self._execute()

    def _execute(self) -> list[Task]:
        try:
            pinned = self.job.pins
            if pinned is None:
                self._add(self.pool.acquire(self.n_workers))
            else:
                self._add(list(dict.fromkeys(pinned.values())))
            deadline = time.monotonic() + self.start_timeout
            while self.remaining or self.source is not None:
                self._dispatch()
                self._step(TICK)
                interrupts.raise_if_pending()
                self._replace()
                self._report()
                # The start timeout counts from the last moment a worker was ready, not from
                # the run's start: a worker lost late in a long run gets its replacement.
                if any(w.ready for w in self.active):
                    deadline = time.monotonic() + self.start_timeout
                elif time.monotonic() > deadline:
                    self._give_up(
                        f"no worker of backend {self.pool.backend.name!r} said hello within "
                        f"{self.start_timeout:.0f} s"
                    )
        except KeyboardInterrupt:
            self.interrupted = True
            self.source = None
            self._cancel()
        except BaseException as err:
            self.closing = True
            self.source = None
            self._abandon(f"{type(err).__name__}: {err}")
            raise
        finally:
            with contextlib.suppress(Exception):
                self.closing = True  # take in (and report) replacements done by now
                self._replace()
            for worker in list(self.active):
                if worker.inflight:  # never hand the pool a worker still busy with our tasks
                    self._lose(worker, "dropped: still running tasks of a finished run")
            self.selector.close()
            self.reporter.progress(len(self.job.tasks) - self.remaining, self.failed)
        return self.job.tasks

    def _abandon(self, why: str) -> None:
        """After an unexpected error: end every task and drop the workers still running ours.

        Why drop them: a worker left with tasks in flight would wedge the next run (it looks
        busy for ever) or run our stale work first. A fresh worker costs less than a hang.
        """
        for worker in list(self.active):
            if worker.inflight or worker.channel.broken:
                self._lose(worker, f"dropped after an error in the kernel: {why}")
        for task in self.job.tasks:
            if task.status in ("pending", "running"):
                self._finish(task, messages.CANCELLED, f"cancelled: the run failed: {why}")

    def _cancel(self) -> None:
        """Cancel queued and running tasks; kill workers that do not stop in time."""
        while self.queue:
            self._finish(self.queue.popleft(), messages.CANCELLED, "cancelled before it started")
        for worker in list(self.active):
            if worker.channel.broken:
                self._lose(worker, "interrupted mid-frame")
            elif worker.inflight:
                try:  # by task id: a cancel must never reach a task of a later run
                    worker.channel.send(messages.cancel(list(worker.inflight)))
                except (OSError, ChannelClosed):
                    self._lose(worker, "")
        deadline = time.monotonic() + self.cancel_grace
        try:
            while any(w.inflight for w in self.active) and time.monotonic() < deadline:
                self._step(min(TICK, max(0.0, deadline - time.monotonic())))
                interrupts.raise_if_pending()
        except KeyboardInterrupt:
            pass  # a second interrupt: stop waiting, kill what still runs
        for worker in list(self.active):
            if worker.inflight or worker.channel.broken:
                self._lose(worker, "killed: did not stop when cancelled")
        for task in self.job.tasks:
            if task.status in ("pending", "running"):
                self._finish(task, messages.CANCELLED, "cancelled")


@dataclass(eq=False)
class _Exited:
    """Selector data for a worker's exit watch (a pidfd): readable once its process ended."""

    worker: Worker


@dataclass
class _Started:
    """What a background replacement brought: workers, or the error that stopped it."""

    count: int
    workers: list[Worker] = field(default_factory=list)
    error: str | None = None


def _start_replacements(pool: Pool, count: int, done: queue.SimpleQueue[_Started]) -> None:
    try:
        done.put(_Started(count, pool.spawn(count)))
    except Exception as err:  # whatever the backend raises, the engine reports it
        done.put(_Started(count, error=f"{type(err).__name__}: {err}"))
