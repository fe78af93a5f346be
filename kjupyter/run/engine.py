"""The engine: sends tasks to workers, pipelines, gathers, retries, cancels.

It runs in the caller's thread as a select loop over the workers' channels: no thread hand-off
sits between a result arriving and the caller seeing it, and a KeyboardInterrupt (a kernel
interrupt) lands here, where it turns into cancellation. Backends only start and stop workers.
"""

from __future__ import annotations

import collections
import selectors
import time
from typing import Any

from kjupyter.errors import BackendError, ChannelClosed, ProtocolError
from kjupyter.run import messages, wire
from kjupyter.run.backends import Worker
from kjupyter.run.pool import Pool
from kjupyter.run.progress import Reporter
from kjupyter.run.tasks import Job, Task

CACHE_BUDGET = 1 << 30  # bytes of blobs a worker keeps for us before the oldest are dropped
TICK = 0.1  # s between progress refreshes while waiting
START_TIMEOUT = 60.0  # s a run waits for its first worker to say hello
FINAL = frozenset((messages.OK, messages.ERROR, messages.CANCELLED, messages.LOST))
SPIN = 0.0002  # s the loop polls for results before it sleeps (see StreamChannel.spin)


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
    ) -> None:
        self.pool = pool
        self.job = job
        self.n_workers = workers
        self.reporter = reporter
        self.max_attempts = max_attempts
        self.cancel_grace = cancel_grace
        self.queue: collections.deque[Task] = collections.deque(job.tasks)
        self.by_id = {t.id: t for t in job.tasks}
        self.remaining = len(job.tasks)
        self.failed = 0
        self.active: list[Worker] = []
        self.selector = selectors.PollSelector()  # no syscall to set up or close, unlike epoll
        self.start_failures = 0
        self.started_at = time.monotonic()
        self.interrupted = False
        self.gang_started = False

    # -- workers ----------------------------------------------------------------------------
    def _add(self, workers: list[Worker]) -> None:
        for worker in workers:
            self.active.append(worker)
            self.selector.register(worker.channel, selectors.EVENT_READ, worker)

    def _lose(self, worker: Worker, reason: str) -> None:
        """A worker died or broke its channel: retry its tasks elsewhere, up to the limit."""
        if worker in self.active:
            self.active.remove(worker)
            self.selector.unregister(worker.channel)
        if not worker.ready:
            self.start_failures += 1
        detail = reason if reason else self.pool.backend.describe_exit(worker)
        self.pool.discard(worker, force=True)
        for task in sorted(worker.inflight.values(), key=lambda t: t.index, reverse=True):
            if task.attempts < self.max_attempts and not self.interrupted:
                task.status = "pending"
                self.queue.appendleft(task)
            elif self.interrupted:
                self._finish(task, messages.CANCELLED, f"cancelled; worker {worker.name} {detail}")
            else:
                self._finish(
                    task,
                    messages.LOST,
                    f"worker {worker.name} lost ({detail}) after {task.attempts} attempts",
                )
        worker.inflight.clear()
        if self.interrupted:
            return
        if self.start_failures > self.n_workers + 2:
            raise BackendError(
                f"workers of backend {self.pool.backend.name!r} exit before saying hello "
                f"({detail}); see their stderr (the kernel log)"
            )
        if self.remaining and len(self.active) < self.n_workers:
            self._add(self.pool.spawn(1))

    # -- sending ----------------------------------------------------------------------------
    def _dispatch(self) -> None:
        job = self.job
        if job.gang and not self.gang_started:
            # Ranks of a cell run side by side (they may talk to each other): start them
            # together, once every worker is up, one rank per worker.
            if sum(w.ready for w in self.active) < self.n_workers:
                return
            self.gang_started = True
        for worker in self.active:
            if not self.queue:
                return
            if not worker.ready:
                continue
            while self.queue and len(worker.inflight) < job.chunksize * job.window:
                chunk = [self.queue.popleft() for _ in range(min(job.chunksize, len(self.queue)))]
                try:
                    self._send(worker, chunk)
                except (OSError, ChannelClosed):
                    self._lose(worker, "")
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
        try:
            worker.channel.send(("work", drops, puts, [run]), attachments)
        except BaseException:
            worker.channel.broken = True  # whatever was written, this channel is done
            raise
        worker.cached.update(fresh)
        now = time.time()
        for task in chunk:
            task.attempts += 1
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
    def _receive(self, worker: Worker) -> None:
        try:
            msg, atts = worker.channel.recv()
        except (ChannelClosed, ProtocolError, OSError):
            self._lose(worker, "")
            return
        kind = msg[0]
        if kind == "done":
            self._results(worker, msg[1], atts)
        elif kind == "out":
            task = self.by_id.get(msg[1])
            if task is not None:
                task.add_output(msg[2], msg[3])
                self.reporter.output(task, msg[2], msg[3])
        elif kind == "hello":
            info = msg[1]
            if info.get("protocol") != messages.PROTOCOL:
                raise BackendError(
                    f"worker {worker.name} speaks protocol {info.get('protocol')}, this kernel "
                    f"{messages.PROTOCOL}: run the same kjupyter version on both sides "
                    f"(worker has {info.get('kjupyter')})"
                )
            worker.info = info
            worker.host = info.get("host", worker.host)
            worker.ready = True

    def _results(self, worker: Worker, results: list[tuple[Any, ...]], atts: list[Any]) -> None:
        """Record a batch of results: the hottest loop of a big map, kept flat on purpose."""
        pos = 0
        inflight = worker.inflight
        half_lines = self.reporter.partial  # output lines still waiting for their end
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
            task.value, task.status, task.started, task.finished = value, status, started, finished
            if error or tb:
                task.error, task.traceback = error, tb
            if status != messages.OK:
                self.failed += 1
            self.remaining -= 1
            if half_lines:
                self.reporter.task_done(task)

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
        ready = [w for w in self.active if w.channel.pending()]
        if not ready:
            ready = self._spin(min(SPIN, timeout))
        if not ready:
            ready = [key.data for key, _ in self.selector.select(timeout)]
        for worker in ready:
            if worker in self.active:
                self._receive(worker)

    def _spin(self, seconds: float) -> list[Worker]:
        """Poll the channels for up to `seconds`: an answer due soon skips a sleep and a wake-up."""
        end = time.perf_counter() + seconds
        while True:
            ready = [key.data for key, _ in self.selector.select(0)]
            if ready or time.perf_counter() >= end:
                return ready

    def execute(self) -> list[Task]:
        """Run every task; on KeyboardInterrupt cancel and return what finished."""
        try:
            self._add(self.pool.acquire(self.n_workers))
            deadline = time.monotonic() + START_TIMEOUT
            while self.remaining:
                self._dispatch()
                self._step(TICK)
                self._report()
                if not any(w.ready for w in self.active) and time.monotonic() > deadline:
                    raise BackendError(
                        f"no worker of backend {self.pool.backend.name!r} said hello within "
                        f"{START_TIMEOUT:.0f} s"
                    )
        except KeyboardInterrupt:
            self.interrupted = True
            self._cancel()
        except BaseException as err:
            self.interrupted = True
            self._abandon(f"{type(err).__name__}: {err}")
            raise
        finally:
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
                try:
                    worker.channel.send(("cancel", None))
                except (OSError, ChannelClosed):
                    self._lose(worker, "")
        deadline = time.monotonic() + self.cancel_grace
        try:
            while any(w.inflight for w in self.active) and time.monotonic() < deadline:
                self._step(min(TICK, max(0.0, deadline - time.monotonic())))
        except KeyboardInterrupt:
            pass  # a second interrupt: stop waiting, kill what still runs
        for worker in list(self.active):
            if worker.inflight or worker.channel.broken:
                self._lose(worker, "killed: did not stop when cancelled")
        for task in self.job.tasks:
            if task.status in ("pending", "running"):
                self._finish(task, messages.CANCELLED, "cancelled")
