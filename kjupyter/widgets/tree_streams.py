"""The tree's detail pane fed by a stream: a pod's log followed (`logs -f`) and a command run
in a container (`exec`).

Each runs in a daemon thread, so the kernel stays free while a log grows or a command works;
the widget is told what arrived at most every `FLUSH` s and once at the end, so a chatty pod
does not flood the browser. A followed log stops at once on `stop` (its HTTP stream is shut,
as the tree's watches are); a command runs to its end or `EXEC_SECONDS`. This module knows
nothing of traits: it hands text and a last status line to a callback.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from kjupyter.errors import BadArgument, KjupyterError

FLUSH = 0.2  # s between updates of the pane while text arrives
KEEP = 100_000  # characters of a followed log kept in the pane (the oldest go first)
TAIL = 500  # lines of the log shown before following, as the pane shows without following
EXEC_SECONDS = 120.0  # a command from the exec box gets this long, then is stopped waiting


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
        """Run `work(self)` in a daemon thread; what it returns is the last status line."""
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop at once: the pane is told no more, and the call ends as soon as it can."""
        self.stopped.set()
        self._shut()

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


def run_command(cluster: Any, path: str, options: dict[str, Any]) -> Callable[[Stream], str]:
    """The work of running the exec box's command in the container picked (stdout as it comes,
    then stderr); a blank command is refused at once."""
    command = str(options.get("command") or "").strip()
    if not command:
        raise BadArgument("exec needs a command, such as: ls /")
    container = str(options.get("container") or "") or None

    def work(stream: Stream) -> str:
        result = cluster.exec(path, command, container=container, timeout=EXEC_SECONDS, out=stream)
        if result.stderr:
            stream.write(result.stderr)
        where = f"{result.pod}/{result.container}" if result.container else result.pod
        if result.exit_code:
            stream.failed = True
        return f"exit code {result.exit_code} in {where}"

    return work
