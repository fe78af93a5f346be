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
from kjupyter.run.tasks import (
    CANCELLED,
    CODES,
    ERROR,
    FINAL_CODES,
    LOST,
    NOWHERE,
    OK,
    PENDING,
    RUNNING,
    Job,
    TaskTable,
    new_task_ids,
)

CACHE_BUDGET = 1 << 30  # bytes of blobs a worker keeps for us before the oldest are dropped
TICK = 0.1  # s between progress refreshes while waiting
START_TIMEOUT = 60.0  # s a run waits for its first worker to say hello
KEY_MISMATCH = (
    "frames fail the signature check: the worker holds another session secret than this "
    "kernel (a key mismatch); start workers with this kernel's secret"
)
SPIN = 0.0002  # s the loop polls for results before it sleeps (see StreamChannel.spin)
# Tasks in flight above which the loop does not spin: answers are not due within SPIN, and a
# spinning kernel takes a core from the workers it waits for (2 cores here: a 100,000-task
# map ran ~25% slower spinning).
SPIN_TASKS = 64


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a run makes and records its tasks.

    Why: a map of 100,000 items allocates ~300,000 objects that live until the run ends; with
    the collector on, CPython walks them again and again (a fifth of the kernel's time on a
    trivial map, measured), and a collection in the middle of a round trip is its tail.
    The task table holds no cycles; a collection runs once the run is over, as usual.
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
        self.table: TaskTable = job.tasks
        self.queue = RowQueue(range(len(job.tasks)))
        self.slots: dict[Worker, int] = {}  # worker -> its slot in the table (`ran_on`)
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
            self.slots[worker] = self.table.add_worker(worker.name, worker.host)
            worker.inflight.clear()  # what an earlier run's rows were (its engine dropped it)
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

        Attempts count runs, not dispatches. A worker runs its chunks in the order sent and
        sends a chunk's results before it starts the next, so only the first chunk it still
        owes can have been running: of its unanswered tasks the first is charged an attempt,
        and each is retried as a chunk of its own (`TaskTable.suspect`), so a poison task is
        found by itself and takes none of its chunk-mates with it. The chunks after it never
        started: they go back to the queue as they were, uncharged and not suspect.
        """
        if not reason and not worker.ready and worker.channel.refused():
            reason = KEY_MISMATCH  # seen by a failed send or its exit before its refusal
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
        table = self.table
        running, unstarted = self._owed_split(worker)
        if not worker.ready and running:
            # Sent before its hello (`_sendable`): a worker reads nothing before it says
            # hello, so none of it ran. Queued again as it was, uncharged, not suspect.
            unstarted = [range(row, row + 1) for row in running] + unstarted
            running = []
        worker.inflight.clear()
        self.lost_workers += 1
        retried = []
        for n, row in enumerate(running):
            table.inflight_on[row] = NOWHERE
            if n == 0:
                table.add_attempt([row])
            table.suspect[row] = 1
            if self.interrupted or self.closing:
                self._finish(row, CANCELLED, f"cancelled; worker {worker.name} {detail}")
            elif table.attempts[row] >= self.max_attempts:
                self._finish(
                    row,
                    LOST,
                    f"worker {worker.name} lost ({detail}) after {table.attempts[row]} attempts",
                )
            elif table.status[row] not in FINAL_CODES:
                table.status[row] = PENDING
                retried.append(row)
        resent = 0
        for rows in reversed(unstarted):
            lo, hi = rows.start, rows.stop
            table.inflight_on[lo:hi] = array.array("i", (NOWHERE,)) * len(rows)
            if table.status.count(RUNNING, lo, hi) != len(rows):  # some were given up on
                for row in reversed(rows):
                    if table.status[row] not in FINAL_CODES:
                        self._unstarted(range(row, row + 1), worker.name, detail)
                        resent += 1
                continue
            self._unstarted(rows, worker.name, detail)
            resent += len(rows)
        self.queue.push_front(retried)
        given_up = len(running) - len(retried)
        if self.interrupted or self.closing:
            return
        self.reporter.note(
            f"worker {worker.name} lost ({detail}); {len(retried)} of its tasks retried alone"
            + (f", {resent} not yet started sent again" if resent else "")
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

    def _unstarted(self, rows: range, worker: str, detail: str) -> None:
        """Rows a lost worker never started: queued again as they were, or cancelled."""
        if self.interrupted or self.closing:
            for row in rows:
                self._finish(row, CANCELLED, f"cancelled; worker {worker} {detail}")
            return
        self.table.mark(rows, PENDING)
        self.queue.push_front(rows)

    def _replace(self) -> None:
        """Start replacements for lost workers in the background; take in those that are up.

        Why a thread: a pod takes seconds to start, and the healthy workers keep working
        meanwhile. A replacement that cannot start is said in one line, and the run goes on
        with the workers it has; it fails only when no worker at all remains.
        """
        if not self.replacing and len(self.active) >= self.n_workers:
            return  # the common case, at every turn of the loop: nobody to replace
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
        for row in self.queue.pop_all():
            self._finish(row, LOST, why)
        for worker in list(self.active):
            for row in self._owed(worker):
                self._finish(row, LOST, why)

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
        room = job.chunksize * job.window
        # Refill a worker once half its window is free, not at every answer: a frame wakes
        # the worker (the sender pays ~50-150 us here), and half a window still keeps it busy.
        refill = room - max(job.chunksize, room // 2)
        for worker in self.active:
            if len(worker.inflight) > refill:
                continue
            while (worker.ready or _sendable(worker)) and len(worker.inflight) < room:
                chunks = self._take(len(worker.inflight), room)
                if not chunks:
                    if not self.queue:
                        return  # nothing left to send
                    break  # a retried task waits for a worker with nothing in flight
                try:
                    self._send(worker, chunks)
                except (OSError, ChannelClosed):
                    for chunk in reversed(chunks):
                        self.queue.push_front(chunk)  # never sent: not charged, not lost
                    self._lose(worker, "")
                    return

    def _take(self, taken: int, room: int) -> list[range]:
        """Chunks for a worker with `taken` of `room` tasks in flight, to go in one frame
        (a send wakes the worker: ~50 us here). A retried task is a chunk of its own; a
        stream is pulled only when nothing is taken yet (a pull may block: what was taken
        goes first)."""
        chunks: list[range] = []
        suspect, size = self.table.suspect, self.job.chunksize
        while taken < room:
            if not self.queue and (chunks or not self._pull(size)):
                break
            # a retried task is a chunk of its own (its results go before the next chunk
            # starts, so a death after it is not charged to it); suspects only ever join at
            # the front, one range each: a chunk is never a mix of suspects and others
            chunks.append(self.queue.take(1 if suspect[self.queue.first()] else size))
            taken += len(chunks[-1])
        return chunks

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
            self.queue.append(self.table.append(new_task_ids(1)[0], item))
            self.remaining += 1
            pulled += 1
        self.reporter.total = len(self.job.tasks)
        return pulled > 0

    def _dispatch_pinned(self, pins: dict[int, Worker]) -> None:
        """A session's tasks: each runs on its own rank's worker, or is lost with it."""
        ids = self.table.ids
        waiting = self.queue.pop_all()
        for row in waiting:
            worker = pins[ids[row]]
            if worker not in self.active:
                why = self.deaths.get(worker.name, "")
                self._finish(row, LOST, f"worker {worker.name} lost ({why})")
        waiting = [row for row in waiting if self.table.status[row] == PENDING]
        if not all(pins[ids[row]].ready for row in waiting):
            self.queue.push_front(waiting)
            return  # the ranks of a cell start together, once their workers said hello
        for n, row in enumerate(waiting):
            try:
                self._send(pins[ids[row]], [[row]])
            except (OSError, ChannelClosed):
                self.queue.push_front(waiting[n:])  # never sent: lost with its worker, next turn
                self._lose(pins[ids[row]], "")
                return

    def _send(self, worker: Worker, chunks: list[range] | list[list[int]]) -> None:
        """Pack, send, then record: a chunk counts as in flight only once it has left.

        Why this order: an error while packing (an unpicklable item) or sending must not leave
        tasks marked in flight, or blobs marked cached, on a worker that stays in the pool.
        Each chunk is a run of its own in one frame.
        """
        packed = [self._pack(rows) for rows in chunks]
        packed = [(rows, args) for rows, args in packed if rows]
        if not packed:
            return
        table = self.table
        puts, attachments, fresh = [], [], []
        for key, blob in self.job.blobs.items():
            if key in worker.cached:
                worker.cached.move_to_end(key)
                continue
            puts.append((key, len(blob.parts)))
            attachments.extend(blob.parts)
            fresh.append((key, blob.size))
        drops = self._evict(worker, sum(size for _, size in fresh))
        runs = []
        for rows, args in packed:
            attachments.extend(args)
            if type(rows) is range:
                ids = messages.id_block(table.ids[rows.start : rows.stop])
            else:
                ids = [table.ids[row] for row in rows]
            runs.append((self.job.program, ids, len(args)))
        now = time.time()  # before the send: the worker may start the task before it returns
        try:
            worker.channel.send(messages.work(drops, puts, runs), attachments)
        except BaseException:
            worker.channel.broken = True  # whatever was written, this channel is done
            raise
        worker.cached.update(fresh)
        for rows, _ in packed:
            self._sent(worker, rows, now)

    def _sent(self, worker: Worker, rows: range | list[int], now: float) -> None:
        """Record `rows` as in flight on `worker` (sent at `now`)."""
        table = self.table
        slot = self.slots[worker]
        table.mark(rows, RUNNING)
        if type(rows) is range and not table.suspect[rows.start]:
            # a fresh chunk (retried tasks travel alone): every row goes out for the first time
            lo, hi = rows.start, rows.stop
            here = array.array("i", (slot,)) * (hi - lo)
            table.ran_on[lo:hi] = here
            table.inflight_on[lo:hi] = here
            if table.submitted[lo] != table.submitted[lo]:  # NaN: never sent before
                table.submitted[lo:hi] = array.array("d", (now,)) * (hi - lo)
        else:
            for row in rows:
                table.ran_on[row] = table.inflight_on[row] = slot
                if table.submitted[row] != table.submitted[row]:
                    table.submitted[row] = now
        worker.inflight.add(rows)

    def _pack(self, rows: range | list[int]) -> tuple[range | list[int], list[Any]]:
        """The rows that can be sent, and their arguments as one blob; an item that cannot be
        pickled fails as its own row."""
        args = self.table.args
        try:
            if type(rows) is range:
                return rows, wire.pack_value(args[rows.start : rows.stop])
            return rows, wire.pack_value([args[row] for row in rows])
        except Exception:
            pass  # find which items, one by one (rare: only after a failure)
        good = []
        for row in rows:
            try:
                wire.pack_value(args[row])
            except Exception as err:
                self._finish(
                    row,
                    ERROR,
                    f"{self.job.label} {self.table.label(row)} cannot be pickled: "
                    f"{type(err).__name__}: {err}",
                )
            else:
                good.append(row)
        return good, (wire.pack_value([args[row] for row in good]) if good else [])

    def _owed_split(self, worker: Worker) -> tuple[list[int], list[range]]:
        """What `worker` owes: the unanswered rows of the first chunk it still owes (the one
        that may have been running), and the chunks after it (never started), as ranges of
        consecutive rows still owed."""
        slot = self.slots.get(worker, NOWHERE)
        owed = self.table.inflight_on
        running: list[int] = []
        unstarted: list[range] = []
        for chunk in worker.inflight.chunks:
            if not running:
                running = [row for row in chunk if owed[row] == slot]
                continue
            if type(chunk) is range and owed[chunk.start : chunk.stop].count(slot) == len(chunk):
                unstarted.append(chunk)  # the common case: a whole chunk, in C
                continue
            unstarted.extend(range(row, row + 1) for row in chunk if owed[row] == slot)
        return running, unstarted

    def _owed(self, worker: Worker) -> list[int]:
        """The rows `worker` was sent and has not answered, in the order sent."""
        slot = self.slots.get(worker, NOWHERE)
        owed = self.table.inflight_on
        return [row for chunk in worker.inflight.chunks for row in chunk if owed[row] == slot]

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
                with contextlib.suppress(ProtocolError, ValueError, TypeError):
                    self._done(worker, msg, atts)  # a lost worker's last word
            elif type(msg) is messages.Out:
                self._output(msg, echo=False)

    def _receive(self, worker: Worker) -> None:
        try:
            if not worker.channel.keyed:
                # Its opening is here: prove the key and go back to the loop. Waiting here for
                # the hello as well would hold up every other worker's handshake behind this
                # one's start (two forked workers said hello 1.5 ms apart, one after the other).
                worker.channel.handshake()
                return
            raw, atts = worker.channel.recv()
            msg = messages.parse(raw)
        except AuthenticationError:
            self._lose(worker, KEY_MISMATCH)
            return
        except (ChannelClosed, ProtocolError, OSError):
            self._lose(worker, "")
            return
        if type(msg) is messages.Done:
            try:
                self._done(worker, msg, atts)
            except (ProtocolError, ValueError, TypeError) as err:
                self._lose(worker, f"sent a malformed result batch: {err}")
        elif type(msg) is messages.Out:
            self._output(msg, echo=True)
        elif type(msg) is messages.Hello:
            info = msg.info  # its protocol was checked in the channel's greeting
            worker.info = info
            worker.host = info.get("host", worker.host)
            if worker in self.slots:
                self.table.worker_hosts[self.slots[worker]] = worker.host
            worker.ready = True

    def _output(self, msg: messages.Out, echo: bool) -> None:
        row = self.table.row_of(msg.task_id)
        if row is not None:
            self.table.add_output(row, msg.stream, msg.text)
            if echo:
                self.reporter.output(self.table[row], msg.stream, msg.text)

    def _done(self, worker: Worker, msg: messages.Done, atts: list[Any]) -> None:
        """Record a batch of results, then forget the chunks it answered."""
        slot = self.slots[worker]
        self._results(worker, slot, msg.rows, atts)
        if msg.columns is not None:
            self._columns(worker, slot, msg.columns)
        chunks = worker.inflight.chunks
        while chunks and not self._owes(slot, chunks[0]):
            chunks.popleft()

    def _owes(self, slot: int, rows: range | list[int]) -> bool:
        """Whether the worker in `slot` still owes an answer for any of `rows` (rows of a
        chunk it holds are owed by it or by nobody)."""
        owed = self.table.inflight_on
        if type(rows) is range:
            lo, hi = rows.start, rows.stop
            if owed[hi - 1] == slot:
                return True  # answers come in order: the last row is answered last
            # an array compared with one of its own type is a C loop; `slot in` a slice
            # compares item by item in Python objects (~300 us for 6,250 rows, measured)
            return owed[lo:hi] != array.array("i", (NOWHERE,)) * (hi - lo)
        return any(owed[row] == slot for row in rows)

    def _results(
        self, worker: Worker, slot: int, results: list[tuple[Any, ...]], atts: list[Any]
    ) -> None:
        """Record results sent one row each (failures, values that travel as pickles)."""
        table = self.table
        pos = 0
        half_lines = self.reporter.partial  # output lines still waiting for their end
        for task_id, status, nparts, error, tb, started, finished, inline in results:
            found = table.row_of(task_id)
            row = NOWHERE if found is None else found
            mine = found is not None and table.inflight_on[row] == slot
            if mine:
                table.inflight_on[row] = NOWHERE
                worker.inflight.count -= 1
            value = inline  # nparts 0: a plain value (int, str...) in the message itself
            if nparts:
                parts = atts[pos : pos + nparts]
                pos += nparts
                if mine and status == messages.OK:
                    try:
                        value = wire.unpack_value(parts)
                    except Exception as err:
                        status = messages.ERROR
                        error = (
                            f"result could not be loaded in the kernel: {type(err).__name__}: {err}"
                        )
            if not mine or table.status[row] in FINAL_CODES:
                continue  # a result of a task already given up on
            code = CODES.get(status, ERROR)
            if code != CANCELLED or finished != started:
                table.add_attempt([row])  # it ran (a task cancelled before it started did not)
            table.values[row], table.status[row] = value, code
            table.started[row], table.finished[row] = started, finished
            if error or tb:
                table.set_error(row, error, tb)
            if code != OK:
                self.failed += 1
            self.remaining -= 1
            if half_lines:
                self.reporter.task_done(table[row])

    def _columns(self, worker: Worker, slot: int, columns: tuple[Any, ...]) -> None:
        """Record a batch's plain successful results, sent as columns (ids, times, values).

        The hot path of a big map: a batch of one chunk's consecutive rows, all still owed by
        this worker, is recorded by slice assignments, whatever its length.
        """
        block, started_bytes, finished_bytes, values = columns
        ids = messages.ids_of(block)
        started, finished = array.array("d"), array.array("d")
        started.frombytes(started_bytes)
        finished.frombytes(finished_bytes)
        if type(values) is not list:
            raise ProtocolError("a result batch's values must be a list")
        if not (len(ids) == len(values) == len(started) == len(finished)):
            raise ProtocolError("a result batch's columns differ in length")
        table = self.table
        rows = table.rows_of(ids)
        n = len(rows)
        if type(rows) is range and n:
            lo, hi = rows.start, rows.stop
            if (
                table.inflight_on[lo:hi] == array.array("i", (slot,)) * n
                and table.status.count(RUNNING, lo, hi) == n
            ):
                table.inflight_on[lo:hi] = array.array("i", (NOWHERE,)) * n
                worker.inflight.count -= n
                chunks = worker.inflight.chunks
                if chunks and chunks[0] == rows:  # the whole oldest chunk: no scan for it
                    chunks.popleft()
                table.add_attempt(rows)
                table.mark(rows, OK)
                table.values[lo:hi] = values
                table.started[lo:hi] = started
                table.finished[lo:hi] = finished
                self.remaining -= n
                if self.reporter.partial:
                    for row in rows:
                        self.reporter.task_done(table[row])
                return
        half_lines = self.reporter.partial
        done = 0
        for row, value, start, end in zip(rows, values, started, finished, strict=True):
            if table.inflight_on[row] != slot:
                continue  # not (or no longer) this worker's to answer
            table.inflight_on[row] = NOWHERE
            worker.inflight.count -= 1
            if table.status[row] in FINAL_CODES:
                continue  # a result of a task already given up on
            table.add_attempt([row])
            table.values[row], table.status[row] = value, OK
            table.started[row], table.finished[row] = start, end
            done += 1
            if half_lines:
                self.reporter.task_done(table[row])
        self.remaining -= done

    def _finish(self, row: int, code: int, error: str) -> None:
        table = self.table
        if table.status[row] in FINAL_CODES:
            return
        table.status[row] = code
        table.set_error(row, error, table.tracebacks.get(row, ""))
        if self.reporter.partial:
            self.reporter.task_done(table[row])
        if code != OK:
            self.failed += 1
        self.remaining -= 1

    def _report(self) -> None:
        self.reporter.progress(len(self.job.tasks) - self.remaining, self.failed)
        self.reporter.tick()

    # -- the loop ---------------------------------------------------------------------------
    def _step(self, timeout: float) -> None:
        ready: list[Any] = [w for w in self.active if w.channel.pending()]
        if not ready and sum(len(w.inflight) for w in self.active) <= SPIN_TASKS:
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

    def execute(self) -> TaskTable:
        """Run every task; on KeyboardInterrupt cancel and return what finished.

        A Ctrl-C that lands while a frame is read or written is raised once the frame is
        whole (`interrupts`): a torn channel would lose the worker, and a session's rank
        its namespace.
        """
        with interrupts.between_frames():
            return self._execute()

    def _execute(self) -> TaskTable:
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
        return self.table

    def _abandon(self, why: str) -> None:
        """After an unexpected error: end every task and drop the workers still running ours.

        Why drop them: a worker left with tasks in flight would wedge the next run (it looks
        busy for ever) or run our stale work first. A fresh worker costs less than a hang.
        """
        for worker in list(self.active):
            if worker.inflight or worker.channel.broken:
                self._lose(worker, f"dropped after an error in the kernel: {why}")
        for row in self._unfinished():
            self._finish(row, CANCELLED, f"cancelled: the run failed: {why}")

    def _cancel(self) -> None:
        """Cancel queued and running tasks; kill workers that do not stop in time."""
        for row in self.queue.pop_all():
            self._finish(row, CANCELLED, "cancelled before it started")
        for worker in list(self.active):
            if worker.channel.broken:
                self._lose(worker, "interrupted mid-frame")
            elif worker.inflight:
                try:  # by task id: a cancel must never reach a task of a later run
                    ids = self.table.ids
                    worker.channel.send(messages.cancel([ids[r] for r in self._owed(worker)]))
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
        for row in self._unfinished():
            self._finish(row, CANCELLED, "cancelled")

    def _unfinished(self) -> list[int]:
        status = self.table.status
        return [row for row in range(len(status)) if status[row] in (PENDING, RUNNING)]


class RowQueue:
    """The rows waiting to be sent, as ranges: taking a chunk of a map's rows is one slice.

    Rows retried after a worker's death go back to the front one range each, so a chunk
    taken from the front is never a mix of fresh and retried rows.
    """

    def __init__(self, rows: range) -> None:
        self.parts: collections.deque[range] = collections.deque([rows] if rows else [])
        self.size = len(rows)

    def __len__(self) -> int:
        return self.size

    def first(self) -> int:
        return self.parts[0][0]

    def take(self, count: int) -> range:
        """Up to `count` rows from the front, consecutive."""
        part = self.parts[0]
        if len(part) <= count:
            self.parts.popleft()
            chunk = part
        else:
            chunk, self.parts[0] = part[:count], part[count:]
        self.size -= len(chunk)
        return chunk

    def append(self, row: int) -> None:
        last = self.parts[-1] if self.parts else None
        if last is not None and last.stop == row and last.step == 1:
            self.parts[-1] = range(last.start, row + 1)
        else:
            self.parts.append(range(row, row + 1))
        self.size += 1

    def push_front(self, rows: range | list[int]) -> None:
        """Put rows back at the front, in their order (a range stays one part)."""
        if type(rows) is range:
            if rows:
                self.parts.appendleft(rows)
        else:
            self.parts.extendleft(range(row, row + 1) for row in reversed(rows))
        self.size += len(rows)

    def pop_all(self) -> list[int]:
        """Every row left, in order; the queue is empty after (at the call, not as iterated)."""
        parts, self.parts, self.size = self.parts, collections.deque(), 0
        return [row for part in parts for row in part]


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


def _sendable(worker: Worker) -> bool:
    """Whether work may go to `worker` before its hello: on a private socketpair with our
    own child (plain frames, agreed in the handshake), once the key proof is sent.

    Why: a forked worker's hello and the first work frame crossed one after the other, a
    wake-up each way on a cold start's path (issue 12, Deliver 1); sent together with the
    proof, the work waits in the socket for the worker, which reads nothing before it has
    checked the proof and said hello. A worker that then refuses the proof or dies has run
    none of it (`_lose` queues it again uncharged). Anywhere else (signed or sealed
    channels: pods, listeners) the worker's signed hello is what the kernel waits for.
    """
    return worker.channel.plain and worker.channel.keyed


def _start_replacements(pool: Pool, count: int, done: queue.SimpleQueue[_Started]) -> None:
    try:
        done.put(_Started(count, pool.spawn(count)))
    except Exception as err:  # whatever the backend raises, the engine reports it
        done.put(_Started(count, error=f"{type(err).__name__}: {err}"))
