"""One kernel connection on the worker: the executing main thread and a reader thread.

Whoever holds `read_lock` reads the channel. While no task runs, that is the main thread
itself: a frame goes from the socket to execution without a thread hand-off (on this kind of
VM a hand-off costs ~50-100 us, a third of a trivial task's round trip). While user code runs
on the main thread, the reader thread holds the lock: it drains the channel (so the kernel
never blocks sending to a busy worker), queues work, and handles cancel, heartbeat and
goodbye at once; a cancel reaches the running code as SIGINT. When the main thread runs out
of work it sends its results first, then wakes the reader to hand the lock back, so that
hand-back is off the round trip's path. Results are batched: sent when the queue runs dry,
every few milliseconds, or when they grow large.
"""

from __future__ import annotations

import array
import collections
import contextlib
import enum
import importlib
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kjupyter.errors import AuthenticationError, ChannelClosed, ProtocolError
from kjupyter.run import messages, rendezvous, wire
from kjupyter.run.channel import IdleTimeout, StreamChannel
from kjupyter.run.distributions import installed_versions
from kjupyter.version import __version__
from kjupyter.worker import execute, namespaces

RESULT_DELAY = 0.005  # s: longest a finished result waits to share a frame with others
RESULT_BYTES = 256 * 1024  # send at once when pending results grow past this
OUTPUT_DELAY = 0.05  # s: output is sent at most this often per stream
LOST_GRACE = 2.0  # s: a task still running this long after its kernel left ends the process
TAKE_OVER = 0.005  # s a task runs before the reader thread starts reading beside it
ASLEEP_AFTER = 1.0  # s without tasks after which the reader stops looking every TAKE_OVER
IDLE_SPIN = 0.0005  # s the main thread polls for the next frame before it sleeps (channel.spin)
# Not after a session's (px) step: the kernel waits for every rank, and on a machine with as
# many cores as ranks the ranks that answered first, spinning, kept the last one off a core
# (2 ranks on 2 cores: a px round trip of 1.06 ms with the spin, 0.27 ms without).


_FORKS = [0]  # forks of this process so far, counted in each child
os.register_at_fork(after_in_child=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))


class State(enum.IntEnum):
    """Where a session is; it only moves forward (a later state never gives way to an earlier)."""

    SERVING = 0  # reading frames and running work
    STOPPING = 1  # goodbye read (or serving ended): queued work finishes, nothing more is read
    LOST = 2  # the kernel is gone: everything is dropped
    EXPIRED = 3  # lost by the dead-man switch: no word from the kernel for idle_timeout s


@dataclass
class Run:
    """A batch of tasks sharing one program: task ids and their argument blob."""

    program: dict[str, Any]
    task_ids: range | list[int]
    args: list[memoryview]


class OutputSink:
    """Stands in for sys.stdout / sys.stderr: forwards a task's output to the kernel."""

    def __init__(self, session: Session, name: str) -> None:
        self.session = session
        self.name = name
        self.task_id: int | None = None  # the task whose output `pending` holds
        self.pending: list[str] = []
        self._lock = threading.Lock()
        self._last = 0.0
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        if not text:
            return 0
        task_id = self.session.current  # the task running now
        if task_id is None:  # between tasks (a result's pickling, a stray thread)
            real = sys.__stdout__ if self.name == "stdout" else sys.__stderr__
            return real.write(text) if real is not None else len(text)
        if self.pending and self.task_id != task_id:
            self.flush()  # an earlier task's output (from a thread it left running) first
        with self._lock:
            self.task_id = task_id
            self.pending.append(str(text))
            due = "\n" in text and time.monotonic() - self._last >= OUTPUT_DELAY
        self.session.output_pending = True  # the task loop flushes once the task ends
        if due:
            self.flush()
        else:
            self.session.flush_soon.set()
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self.pending:  # the common case, lock-free (a racing write is flushed later)
            return
        with self._lock:
            if not self.pending or self.task_id is None:
                return
            text = "".join(self.pending)
            self.pending.clear()
            self._last = time.monotonic()
            task_id = self.task_id
        # If the kernel is gone, the reader thread ends the session; nothing to do here.
        with contextlib.suppress(OSError, ChannelClosed):
            self.session.channel.send(messages.out(task_id, self.name, text))

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("task output is captured; it has no file descriptor")

    @property
    def closed(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def worker_info() -> dict[str, Any]:
    """What the kernel learns in the hello: who and where this worker is."""
    return {
        "protocol": messages.PROTOCOL,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "python": sys.version.split()[0],
        "kjupyter": __version__,
        "packages": installed_versions(),
    }


def end_process_group() -> None:
    """Kill this process's group, this process last: what tasks started ends with the worker.

    Only for a worker that leads its group (a local worker, started in a session of its own)
    and has lost its kernel: nobody else is left to clean up after it.
    """
    if os.getpgid(0) != os.getpid():
        return
    for stream in (sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    os.killpg(0, signal.SIGKILL)


class Session:
    """Serve one kernel over `channel` until it says goodbye, goes away, or falls silent."""

    def __init__(
        self,
        channel: StreamChannel,
        idle_timeout: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        leads_group: bool = False,
    ) -> None:
        self.channel = channel
        self.idle_timeout = idle_timeout
        self.clock = clock  # the dead-man switch's clock (tests skew it)
        # a local worker leads a process group of its own: losing the kernel ends all of it
        self.leads_group = leads_group
        self.last_frame = clock()  # when the kernel last said anything
        self.queue: collections.deque[Run] = collections.deque()
        self.cond = threading.Condition()
        self.state = State.SERVING
        self.raw: dict[str, list[memoryview]] = {}
        self.objects: dict[str, Any] = {}
        self.compiled: dict[str, execute.CompiledCell] = {}
        self.namespaces = namespaces.Namespaces()  # of sessions: live across tasks
        self.cancelled: set[int] = set()
        self.pid = os.getpid()
        self.forks = _FORKS[0]  # changes in a child forked later (cheaper than os.getpid())
        self.cancel_all = False
        self.current: int | None = None  # the task whose user code runs now, if any
        self.interrupted: int | None = None  # the task a cancel's SIGINT was raised in
        self.output_pending = False  # a task wrote output not yet flushed (a hint)
        self.flush_soon = threading.Event()
        self.finished = threading.Event()
        self.stdout = OutputSink(self, "stdout")
        self.stderr = OutputSink(self, "stderr")
        self._results: list[tuple[Any, ...]] = []
        self._parts: list[wire.Buffer] = []
        # Plain successful results, kept as the columns a batch carries (see messages:
        # "done"): building them at each send from a tuple per task cost more than the tasks
        # (~0.4 us a task, measured). The task loop appends to each without a lock, values
        # last; a sender takes the first len(values) rows of all four and deletes them in
        # place, so the lists are never replaced (the loop holds their append methods).
        self._plain_ids: list[int] = []
        self._plain_started: list[float] = []
        self._plain_finished: list[float] = []
        self._plain_values: list[Any] = []
        self._bytes = 0
        self._last_send = 0.0
        self._results_lock = threading.Lock()  # the reader thread sends pending results too
        self.read_lock = threading.Lock()  # held by whichever thread reads the channel
        self.busy = False  # user code runs (or is about to): the reader may take over
        self.spin_when_idle = True  # False after a px step (see IDLE_SPIN)
        self.busy_since = 0.0  # monotonic time `busy` last became True
        self.reader_asleep = False  # the reader waits for a notify, not polling
        self.reader_active = False  # the reader holds `read_lock` and reads
        self._wake_main, self._wake_reader = socket.socketpair()  # ends the reader's turn
        self._wake_reader.setblocking(False)

    # -- state ------------------------------------------------------------------------------
    def _become(self, state: State) -> None:
        if state > self.state:
            self.state = state

    @property
    def stopping(self) -> bool:
        """Goodbye read, the kernel lost, or serving over: no frame is read any more."""
        return self.state is not State.SERVING

    reading_done = stopping

    @property
    def lost(self) -> bool:
        """The kernel is gone (or fell silent): drop everything."""
        return self.state >= State.LOST

    @property
    def idle_expired(self) -> bool:
        return self.state is State.EXPIRED

    # -- reading ----------------------------------------------------------------------------
    def _read_one(self) -> bool:
        """Read and handle one frame; False when nothing more will be read (goodbye, lost)."""
        left = self._silence_left()
        try:
            if left is not None and left <= 0:
                raise IdleTimeout("the kernel fell silent")
            msg, atts = self.channel.recv(timeout=left)
            self.last_frame = self.clock()
            return self.handle(msg, atts)
        except IdleTimeout:
            left = self._silence_left()
            if left is not None and left > 0:
                return True  # woken early (the clock moved less than the wait): read again
            self._expire()
        except AuthenticationError as err:
            print(f"kjupyter worker: {err}; closing the connection", file=sys.__stderr__)
            self.channel.abort()
            self._lose()
        except (ChannelClosed, ProtocolError, OSError) as err:
            if not isinstance(err, ChannelClosed):
                print(f"kjupyter worker: {err}; closing the connection", file=sys.__stderr__)
            self.channel.abort()
            self._lose()
        return False

    def _silence_left(self) -> float | None:
        """Seconds until the dead-man switch fires, counted from the kernel's last frame.

        Why from the last frame and not from when work ran out: a kernel paused while a task
        ran has been silent all that time already (issue 16: 77 s after a SIGSTOP, not 60).
        """
        if self.idle_timeout is None:
            return None
        return self.idle_timeout - (self.clock() - self.last_frame)

    def _expire(self) -> None:
        self._become(State.EXPIRED)
        print(
            f"kjupyter worker: no word from the kernel for {self.idle_timeout} s; exiting",
            file=sys.__stderr__,
        )
        self._lose()

    def read_loop(self) -> None:
        """The reader thread: takes over reading once user code has run for `TAKE_OVER` s.

        It is never woken just to be told a task started (a wake-up costs ~50 us here, on
        every task): while the session is active it looks every `TAKE_OVER` seconds, and
        only after `ASLEEP_AFTER` s without tasks does it sleep until notified.
        """
        try:
            while True:
                with self.cond:
                    while not self.reading_done:
                        if self.busy and time.monotonic() - self.busy_since >= TAKE_OVER:
                            break
                        if time.monotonic() - self.busy_since < ASLEEP_AFTER:
                            self.cond.wait(TAKE_OVER)
                        else:
                            self.reader_asleep = True
                            self.cond.wait()
                            self.reader_asleep = False
                    if self.reading_done:
                        return
                with self.read_lock:
                    self.reader_active = True
                    try:
                        self._read_while_busy()
                    finally:
                        self.reader_active = False
        finally:
            self._wake_reader.close()

    def _read_while_busy(self) -> None:
        # A task has run for TAKE_OVER s: what finished before it goes out now. Otherwise, if
        # this task never ends (the worker dies in it), the kernel would take a finished task
        # still in its batch for the one that was running, and charge it the attempt.
        self.send_results()
        watch: list[Any] = [self.channel, self._wake_reader]  # what select() takes: fileno()s
        while self.busy and not self.reading_done:
            if not self.channel.pending():
                left = self._silence_left()
                wait = None if left is None else max(0.0, left)
                # a tick: results of tasks that finish while this reader waits go out soon
                wait = RESULT_DELAY if wait is None else min(wait, RESULT_DELAY)
                ready = select.select(watch, [], [], wait)[0]
                if not ready:
                    self.send_results()
                    left = self._silence_left()
                    if left is None or left > 0:  # a results tick, not the kernel's silence
                        continue
                    self._expire()
                    return
                if self._wake_reader in ready:
                    with contextlib.suppress(OSError):
                        self._wake_reader.recv(4096)
                if self.channel not in ready:
                    continue
            self._read_one()

    def _read_idle(self) -> None:
        """The main thread, out of work: send what is finished, then read the next frame."""
        self.busy = False
        self.send_results()
        if self.reader_active:  # hand the lock back (the reader may wait in select)
            with contextlib.suppress(OSError):
                self._wake_main.send(b"!")
        with self.read_lock:
            if self.queue or self.stopping:
                return  # the reader queued work (or ended) while giving the lock back
            if self.spin_when_idle:
                self.channel.spin(IDLE_SPIN)
            self._read_one()

    def _set_busy(self) -> None:
        """Once per batch. Under the condition's lock: the reader decides to sleep under it,
        so a batch that starts while it is deciding cannot miss its wake-up (it did: the
        first batch of a fresh worker then ran with no reader beside it)."""
        if not self.busy:
            with self.cond:
                self.busy_since = time.monotonic()
                self.busy = True
                if self.reader_asleep:
                    self.cond.notify()

    def _lose(self) -> None:
        with self.cond:
            self._become(State.LOST)
            self.queue.clear()
            self.cancel_all = True
        self._interrupt()
        # No kernel will ever read what a stuck task produces: end the process if it hangs.
        timer = threading.Timer(LOST_GRACE, self._exit_if_stuck)
        timer.daemon = True
        timer.start()

    def _exit_if_stuck(self) -> None:
        if not self.finished.is_set():
            print("kjupyter worker: task ignores cancellation; exiting", file=sys.__stderr__)
            if self.leads_group:
                end_process_group()
            os._exit(1)

    def _interrupt(self) -> None:
        if self.current is not None:
            main = threading.main_thread().ident
            assert main is not None  # (the main thread has started)
            signal.pthread_kill(main, signal.SIGINT)

    def _on_terminate(self, signum: int, frame: Any) -> None:
        """SIGTERM (the worker's pod is being deleted): leave, from a thread of its own.

        Why a thread: the handler runs on the main thread between two of the task's steps,
        possibly inside `add_result` holding the results lock; the thread waits for it.
        Why at all: a pod's first process ignores SIGTERM unless it handles it, and would
        then die at SIGKILL with its finished results unsent.
        """
        threading.Thread(target=self._leave, name="kjupyter-leaving", daemon=True).start()

    def _leave(self) -> None:
        """Send what is finished and the output so far, then end the process (and its tasks).

        The kernel takes the first task it has no result for as the one that was running;
        that is right only once every finished result has reached it.
        """
        with contextlib.suppress(Exception):
            self.stdout.flush()
            self.stderr.flush()
            self.send_results()
        print("kjupyter worker: terminated (SIGTERM); results sent", file=sys.__stderr__)
        if self.leads_group:
            end_process_group()
        os._exit(128 + signal.SIGTERM)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        """SIGINT on the main thread: interrupt the running task only if it was cancelled.

        Why decide here and not where the cancel is read: between the reader's check and the
        signal's arrival the task may have ended and the next begun; the handler runs on the
        main thread, so the task it sees running is the one it would interrupt.
        """
        current = self.current
        if self._current_cancelled() and self.interrupted != current:
            self.interrupted = current  # once per task, like a first Ctrl-C
            raise KeyboardInterrupt

    def handle(self, raw: tuple[Any, ...], atts: list[memoryview]) -> bool:
        msg = messages.parse(raw)
        if type(msg) is messages.Work:
            pos = 0
            for key in msg.drops:
                self.raw.pop(key, None)
                self.objects.pop(key, None)
            for key, n in msg.puts:
                self.raw[key] = atts[pos : pos + n]
                pos += n
            batch = []
            for program, ids, n in msg.runs:
                batch.append(Run(program, messages.ids_of(ids), atts[pos : pos + n]))
                pos += n
            with self.cond:
                self.queue.extend(batch)
                self.cancel_all = False
        elif type(msg) is messages.Cancel:
            with self.cond:
                if msg.task_ids is None:
                    self.cancel_all = True
                    for run in self.queue:
                        self.cancelled.update(run.task_ids)
                else:
                    self.cancelled.update(msg.task_ids)
                current = self.current
            if current is not None and (self.cancel_all or current in self.cancelled):
                self._interrupt()
        elif type(msg) is messages.Bye:
            self._become(State.STOPPING)
            return False
        return True  # Ping: its arrival reset the dead-man switch

    # -- main thread ------------------------------------------------------------------------
    def serve(self) -> None:
        """Say hello, then run work until the session ends."""
        try:
            self.channel.send(messages.hello(worker_info()))
        except (OSError, ChannelClosed):
            return  # the kernel left before the hello (a pool closed at once): nothing to do
        reader = threading.Thread(target=self.read_loop, name="kjupyter-reader", daemon=True)
        flusher = threading.Thread(target=self.flush_loop, name="kjupyter-flusher", daemon=True)
        previous = signal.signal(signal.SIGINT, self._on_interrupt)
        previous_term = signal.signal(signal.SIGTERM, self._on_terminate)
        reader.start()
        flusher.start()
        try:
            self.main_loop()
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, previous_term)
            self.finished.set()
            self.flush_soon.set()
            with self.cond:
                self._become(State.STOPPING)  # serving is over: the reader ends too
                self.cond.notify()
            with contextlib.suppress(OSError):
                self._wake_main.send(b"!")
            self._wake_main.close()

    def main_loop(self) -> None:
        while not self.lost:
            with self.cond:
                run = self.queue.popleft() if self.queue else None
            if run is None:
                if self.stopping:
                    break
                self._read_idle()
                continue
            self._set_busy()
            self.execute(run)
        if not self.lost:
            self.send_results()

    def flush_loop(self) -> None:
        while not self.finished.is_set():
            self.flush_soon.wait()
            if self.finished.wait(OUTPUT_DELAY):
                return
            self.flush_soon.clear()
            self.stdout.flush()
            self.stderr.flush()

    def resolve(self, key: str) -> Any:
        """The object a blob key names, unpickled once per worker."""
        if key not in self.objects:
            self.objects[key] = wire.unpack_value(self.raw[key])
            del self.raw[key]
        return self.objects[key]

    def take(self, key: str) -> Any:
        """The object a blob key names, kept nowhere here after this (a pushed value).

        Why: a push's blob is sent once per worker (its key is fresh each push), and the
        namespace holds its value; kept in the cache too, a value pushed again would keep
        the old one's memory alive, so each push would land in fresh memory (first-touch
        page faults: ~45 ms per 100 MB here) instead of the buffer the last push freed.
        """
        if key in self.objects:
            return self.objects.pop(key)
        return wire.unpack_value(self.raw.pop(key))

    def prepare(self, program: dict[str, Any]) -> Any:
        """The callable that runs one argument of `program` (may raise: load errors)."""
        if program["kind"] == "call":
            fn = self.resolve(program["fn"])
            names = program.get("kwargs")
            if names is None:
                return fn
            world = program["world_size"]

            def call_rank(rank: int) -> Any:
                os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world)
                rendezvous.apply(program.get("env"), rank)
                given = {"rank": rank, "world_size": world}
                return fn(**{k: given[k] for k in names})

            return call_rank
        if program["kind"] == "px":
            return self.namespaces.prepare(program, self.resolve, self._compile, self.take)
        code = program["code"]
        cell = self.compiled.get(code)
        if cell is None:
            filename = f"<kjupyter-cell-{abs(hash(code)) % 10**8:08d}>"
            cell = self.compiled[code] = execute.CompiledCell(code, filename)
        objects = {name: self.resolve(key) for name, key in program["names"].items()}
        for name, module in program["modules"].items():
            objects[name] = importlib.import_module(module)
        world, env = program["world_size"], program.get("env")
        return lambda rank: cell(execute.cell_namespace(objects, rank, world, env))

    def _compile(self, code: str) -> execute.CompiledCell:
        """A session cell's code, compiled once per worker (as `prepare` does for run's)."""
        cell = self.compiled.get(code)
        if cell is None:
            filename = f"<kjupyter-cell-{abs(hash(code)) % 10**8:08d}>"
            cell = self.compiled[code] = execute.CompiledCell(code, filename)
        return cell

    def execute(self, run: Run) -> None:
        """Run a batch's tasks in order, each with its own output, status and times.

        The loop is the worker's hottest path (a map of 100,000 trivial items runs it
        100,000 times), so per task it reads the clock once (a task starts when the one
        before it ended), checks output and cancels with plain attribute reads, and appends a
        plain result to the four columns a batch carries (no lock: see `__init__`).
        """
        started = time.time()
        self.spin_when_idle = run.program["kind"] != "px"
        try:
            fn = self.prepare(run.program)
            args = wire.unpack_value(run.args)
        except BaseException as exc:
            err, tb = execute.error_line(exc), execute.remote_traceback(exc)
            err = f"could not load the task on the worker: {err}"
            for task_id in run.task_ids:
                self.add_result(task_id, messages.ERROR, None, err, tb, started, time.time())
            return
        last = len(run.task_ids) - 1
        saved = sys.stdout, sys.stderr
        stdout, stderr = self.stdout, self.stderr
        sys.stdout, sys.stderr = stdout, stderr  # once per batch, not per task
        cancelled, clock = self.cancelled, time.time
        add_id, add_started = self._plain_ids.append, self._plain_started.append
        add_finished, add_value = self._plain_finished.append, self._plain_values.append
        serving, forks, ok, scalars = State.SERVING, self.forks, messages.OK, wire.SCALARS
        inline = wire.INLINE_LIMIT
        # When the plain results are due to go (see RESULT_DELAY, RESULT_BYTES), kept in
        # locals: a send by the reader thread meanwhile only makes the next one early.
        due, plain_bytes = self._last_send + RESULT_DELAY, 0
        try:
            started = clock()
            for i, (task_id, arg) in enumerate(zip(run.task_ids, args, strict=False)):
                if self.state is not serving and self.lost:
                    return
                if self.cancel_all or task_id in cancelled:
                    self.add_result(
                        task_id, messages.CANCELLED, None, "cancelled", "", started, started,
                        i < last,
                    )  # fmt: skip
                    continue
                # `current` marks user code: a cancel's SIGINT is raised only while it is set
                # (`_on_interrupt`), and output written meanwhile is this task's
                try:
                    self.current = task_id
                    value = fn(arg)
                    self.current = None
                    status = ok
                except BaseException as exc:  # SystemExit too: user code must not end the worker
                    status, value, err, tb = execute.failure(exc, self._current_cancelled)
                    self.current = None
                finally:
                    if _FORKS[0] != forks and os.getpid() != self.pid:
                        # A copy made by a bare os.fork() in the task: it must not serve the
                        # kernel too (it would write into the worker's channel). Issue 16, 4.
                        os._exit(0)
                if self.output_pending:
                    self.output_pending = False
                    stdout.flush()
                    stderr.flush()
                end = clock()
                kind = type(value)
                if status is ok and (kind in scalars or (kind is str and len(value) <= inline)):
                    add_id(task_id)
                    add_started(started)
                    add_finished(end)
                    add_value(value)  # last: a sender takes as many rows as there are values
                    plain_bytes += len(value) if kind is str else 8
                    if end >= due or plain_bytes >= RESULT_BYTES:
                        self.send_results()
                        end = clock()  # the send is not the next task's time
                        due, plain_bytes = end + RESULT_DELAY, 0
                else:
                    if status is ok:
                        err = tb = ""
                    self.add_result(task_id, status, value, err, tb, started, end, i < last)
                started = end
            # A batch's results go as it ends, even with more work queued: held back, the
            # engine (which sends more only as results come) would let this worker run dry
            # (a 100,000-task map idled ~5 ms every two chunks), and a task that kills the
            # worker next would be charged to one that finished but was never reported.
            self.send_results()
        finally:
            sys.stdout, sys.stderr = saved

    def _current_cancelled(self) -> bool:
        """Whether the running task was cancelled (asked when user code was interrupted)."""
        return self.cancel_all or (self.current is not None and self.current in self.cancelled)

    def add_result(
        self,
        task_id: int,
        status: str,
        value: Any,
        err: str,
        tb: str,
        started: float,
        end: float,
        more: bool = False,
    ) -> None:
        """Queue one task's result; send the batch when it is due (see RESULT_DELAY)."""
        if status == messages.OK and not err and not tb and wire.is_plain(value):
            self._plain_ids.append(task_id)
            self._plain_started.append(started)
            self._plain_finished.append(end)
            self._plain_values.append(value)  # last (see __init__)
            self._bytes += len(value) if type(value) is str else 8
        elif wire.is_plain(value):  # a failed or cancelled task: a row of its own
            with self._results_lock:
                self._results.append((task_id, status, 0, err, tb, started, end, value))
                self._bytes += len(value) if type(value) is str else 8
        else:
            try:
                parts = wire.pack_value(value)
            except BaseException as exc:
                status, err = messages.ERROR, f"result cannot be pickled: {execute.error_line(exc)}"
                tb, parts = execute.remote_traceback(exc), wire.pack_value(None)
            with self._results_lock:  # a result and its parts go in the same batch
                self._results.append((task_id, status, len(parts), err, tb, started, end, None))
                self._parts.extend(parts)
                self._bytes += sum(len(p) for p in parts)
        idle = not more and not self.queue
        if idle or self._bytes >= RESULT_BYTES or time.time() - self._last_send >= RESULT_DELAY:
            self.send_results()

    def send_results(self) -> None:
        if not (self._results or self._plain_values) or self.lost:
            return
        with self._results_lock:
            results, parts = self._results, self._parts
            columns = None
            values = self._plain_values
            count = len(values)  # rows the loop adds after this count go in the next batch
            if count:
                ids, started, finished = (
                    self._plain_ids, self._plain_started, self._plain_finished
                )  # fmt: skip
                block = messages.id_block(ids[:count])
                begun, ended = array.array("d"), array.array("d")
                begun.fromlist(started[:count])  # in C: array("d", a_list) is ~4x slower
                ended.fromlist(finished[:count])
                columns = (block, begun.tobytes(), ended.tobytes(), values[:count])
                for column in (ids, started, finished, values):
                    del column[:count]  # in place: the loop holds their append methods
            self._results, self._parts, self._bytes = [], [], 0
            self._last_send = time.time()  # wall clock: the loop has it at hand (see execute)
        if not results and columns is None:
            return  # the other thread sent them first
        try:
            self.channel.send(messages.done(results, columns), parts)
        except (OSError, ChannelClosed):
            self._lose()
