"""The tree's detail pane fed by a stream: a pod's log followed (`logs -f`) and a command run
in a container (`exec`).

Each runs in a daemon thread, so the kernel stays free while a log grows or a command works;
the widget is told what arrived at most every `FLUSH` s and once at the end, so a chatty pod
does not flood the browser. A followed log stops at once on `stop` (its HTTP stream is shut,
as the tree's watches are). A command has no time limit, since the user can stop it: closing
its exec stream would not end it (without a TTY there is no hangup; seen on this cluster's
containerd: `sleep 600` outlived its closed stream), so `stop` signals its process in the pod,
SIGINT then SIGKILL, as `kubectl exec`'s user would with Ctrl-C. This module knows nothing of
traits: it hands text and a last status line to a callback.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from kjupyter.cluster.operations.execution import command_words
from kjupyter.errors import ApiError, BadArgument, KjupyterError

FLUSH = 0.2  # s between updates of the pane while text arrives
KEEP = 100_000  # characters of a followed log kept in the pane (the oldest go first)
TAIL = 500  # lines of the log shown before following, as the pane shows without following
STOP_WAIT = 5.0  # s a stopped command has to end after SIGINT, before SIGKILL

# The exec box's command runs under a shell that says its PID first (on stdout, marked), then
# becomes the command, so `stop` can signal it from a second exec.
PID_MARK = "\x1ekjupyter-exec-pid "
WRAPPER = ["sh", "-c", 'printf "\\036kjupyter-exec-pid %s\\n" "$$"; exec "$@"', "sh"]


class Stopped(KeyboardInterrupt):
    """Raised into the streaming call by `write` once stopped: the cluster's follow and exec
    end on a KeyboardInterrupt as on Ctrl-C (the log closes, the command is signalled)."""


class Stream:
    """Text that a background call writes (`write`, its `out`), shown through `show`.

    `show(text, ended)` gets the text so far; `ended` is None while the call goes, then its
    last status line (or its error, one line, with `failed` set).
    """

    def __init__(self, show: Callable[[str, str | None], None]) -> None:
        self.show = show
        self.text = ""
        self.failed = False
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._response: Any = None
        self._thread: threading.Thread | None = None
        self._on_stop: Callable[[], None] | None = None
        self.given_up = False

    # -- the file the streaming call writes to --------------------------------------------
    def write(self, text: str) -> int:
        if self.stopped.is_set():
            raise Stopped
        with self._lock:
            self.text = (self.text + text)[-KEEP:]
            if self._timer is None:
                self._timer = threading.Timer(FLUSH, self._flush)
                self._timer.daemon = True
                self._timer.start()
        return len(text)

    def flush(self) -> None:
        """Nothing to do: `write` schedules the pane's update."""

    def opened(self, response: Any) -> None:
        """The log's HTTP response, as the follow opens it: `stop` shuts it from outside."""
        self._response = response
        if self.stopped.is_set():
            self._shut()

    # -- running and stopping ---------------------------------------------------------------
    def start(self, work: Callable[[Stream], str], name: str) -> None:
        """Run `work(self)` in a daemon thread; what it returns is the last status line.

        A work with a `stop(stream)` method (a `Command`) is stopped by it, in a thread of its
        own, and the stream reports its end only once the work has really ended.
        """
        stopper = getattr(work, "stop", None)
        if stopper is not None:
            self._on_stop = lambda: stopper(self)
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    @property
    def ends_later(self) -> bool:
        """True when `stop` only begins the end (a command signalled in its pod)."""
        return self._on_stop is not None

    def stop(self) -> None:
        """Stop: the pane is told no more partial text, and the call ends as soon as it can."""
        first = not self.stopped.is_set()
        self.stopped.set()
        self._shut()
        if first and self._on_stop is not None:
            threading.Thread(target=self._on_stop, name="kj-stop", daemon=True).start()

    def give_up(self, why: str) -> None:
        """The stop failed: end the stream with `why` (failed), whatever the call does next."""
        with self._lock:
            if self.given_up:
                return
            self.given_up, self.failed = True, True
            text = self.text
        self.show(text, why)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, work: Callable[[Stream], str]) -> None:
        try:
            ended = work(self)
        except KeyboardInterrupt:  # our Stopped, or exec's Interrupted that it became
            ended = "stopped"
        except KjupyterError as err:
            ended, self.failed = str(err), True
        except Exception as err:
            if self.stopped.is_set():  # the shut stream broke the read: that was the stop
                ended = "stopped"
            else:
                ended, self.failed = f"{type(err).__name__}: {err}".split("\n", 1)[0], True
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            text = self.text
            if self.given_up:  # the pane heard its last word already
                return
        self.show(text, ended)

    def _flush(self) -> None:
        with self._lock:
            self._timer = None
            text = self.text
        if not self.stopped.is_set():
            self.show(text, None)

    def _shut(self) -> None:
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # already closed by the server
                response.shutdown()


def follow_logs(cluster: Any, path: str, options: dict[str, Any]) -> Callable[[Stream], str]:
    """The work of following the log at `path` (its last `TAIL` lines first), as `logs -f`."""
    container = str(options.get("container") or "") or None
    timestamps = bool(options.get("timestamps"))

    def work(stream: Stream) -> str:
        cluster.logs(
            path, tail=TAIL, container=container, timestamps=timestamps, follow=True, out=stream
        )
        return "stopped" if stream.stopped.is_set() else "the log ended (the container stopped)"

    return work


def run_command(cluster: Any, path: str, options: dict[str, Any]) -> Command:
    """The work of running the exec box's command in the container picked (stdout as it comes,
    then stderr); a blank command is refused at once."""
    command = str(options.get("command") or "").strip()
    if not command:
        raise BadArgument("exec needs a command, such as: ls /")
    command_words(command)  # a quote left open is refused now, not in the thread
    container = str(options.get("container") or "") or None
    return Command(cluster, path, command, container)


class Command:
    """A command from the exec box, run to its end (no time limit) unless `stop` signals it."""

    def __init__(self, cluster: Any, path: str, command: str, container: str | None) -> None:
        self.cluster, self.path, self.command, self.container = cluster, path, command, container
        self.pid: str | None = None  # the command's PID in its container, once it said it
        self.shell = True  # False: the container has no sh, so nothing can signal the command
        self._lock = threading.Lock()
        self._stopping: Stream | None = None
        self._signalled = False

    def __call__(self, stream: Stream) -> str:
        words = command_words(self.command)
        try:
            result = self.cluster.exec(
                self.path, [*WRAPPER, *words], container=self.container, out=PidReader(self, stream)
            )
        except ApiError as err:
            if self.pid is not None or '"sh"' not in str(err):
                raise
            self.shell = False  # no shell to say the PID: run it as given, unstoppable
            if stream.stopped.is_set():
                return "stopped"
            result = self.cluster.exec(self.path, words, container=self.container, out=stream)
        if stream.stopped.is_set():
            return "stopped"
        if result.stderr:
            stream.write(result.stderr)
        where = f"{result.pod}/{result.container}" if result.container else result.pod
        if result.exit_code:
            stream.failed = True
        return f"exit code {result.exit_code} in {where}"

    def said_pid(self, pid: str) -> None:
        with self._lock:
            self.pid = pid
            stream = self._stopping
        if stream is not None:  # stopped before the command said who it was (this is its thread)
            signal = threading.Thread(target=self._signal, args=(stream,), daemon=True)
            signal.start()

    def stop(self, stream: Stream) -> None:
        """Signal the command in its pod: SIGINT, then SIGKILL if it has not ended in
        `STOP_WAIT` s; `stream` ends once the command has (its thread returns)."""
        with self._lock:
            self._stopping = stream
            known = self.pid is not None
        if not self.shell:
            stream.give_up("stopped waiting: the container has no sh to signal the command with")
        elif known:
            self._signal(stream)

    def _signal(self, stream: Stream) -> None:
        """Signal the command's process group (an exec's process leads its own, so a shell's
        children go too: `sh -c 'a; sleep 600'` would leave the sleep behind), then itself."""
        with self._lock:
            if self._signalled:
                return
            self._signalled = True
            pid = self.pid
        for name in ("INT", "KILL"):  # dash's kill takes no `--`: -PID is the group
            kill = f"kill -{name} -{pid} 2>/dev/null; kill -{name} {pid} 2>/dev/null; true"
            try:
                self.cluster.exec(
                    self.path,
                    ["sh", "-c", kill],
                    container=self.container,
                )
            except KjupyterError as err:
                stream.give_up(f"could not stop the command: {err}")
                return
            stream.join(STOP_WAIT)
            if not stream.running:
                return
        stream.give_up(f"could not stop the command: pid {pid} outlived SIGKILL")


class PidReader:
    """The exec's `out`: takes the wrapper's PID line off the front, passes the rest on."""

    def __init__(self, command: Command, stream: Stream) -> None:
        self.command, self.stream = command, stream
        self._head: str | None = ""  # None once the PID line has gone by

    def write(self, text: str) -> int:
        if self._head is None:
            return self.stream.write(text)
        self._head += text
        if PID_MARK.startswith(self._head):
            return len(text)  # the mark's start: wait for the rest
        if self._head.startswith(PID_MARK) and "\n" in self._head:
            line, rest = self._head[len(PID_MARK) :].split("\n", 1)
            self._head = None
            self.command.said_pid(line.strip())
            if rest:
                self.stream.write(rest)
            return len(text)
        if self._head.startswith(PID_MARK):
            return len(text)  # the PID line is not whole yet
        head, self._head = self._head, None  # no mark: all of it is the command's
        self.stream.write(head)
        return len(text)

    def flush(self) -> None:
        """Nothing to do: the stream schedules the pane's update."""
