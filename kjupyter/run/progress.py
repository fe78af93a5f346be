"""What the user sees while a run goes: live task output, a progress bar, a summary line.

Output is echoed as it arrives, each line prefixed by the task's rank or item number. The bar
appears only for runs longer than `DELAY` (a quick run shows nothing but its summary): an
ipywidgets bar inside a Jupyter kernel, a text bar on a terminal, nothing on a pipe.

Pods that start (worker pods, a unit's pods) get one live line (`PodStartLine`): counts per
phase, redrawn in place, never a scroll of lines; the time they took is kept (`starts_since`)
so a run's summary can say how much of it went into starting pods.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kjupyter.run.tasks import TaskTable

DELAY = 0.5  # s before a progress bar appears
REFRESH = 0.2  # s between text bar redraws
CELL_LIMIT = 100_000  # characters of one task's output echoed into the cell; results keep all


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets render), without importing IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Reporter:
    """Echo task output and show progress for one run."""

    def __init__(
        self,
        total: int,
        backend: str,
        *,
        stream: bool = True,
        progress: bool = True,
        notes: bool = True,
        tasks: TaskTable | Sequence[Any] | None = None,
        label: str = "task",
        of: str = "",
    ) -> None:
        self.tasks = tasks  # the run's Task objects, for views that show them one by one
        self.views: list[TaskView] = []
        if tasks is not None:
            while WAITING_VIEWS:  # each waiting view follows one run, the next one to start
                view = WAITING_VIEWS.pop(0)
                begin = getattr(view, "begin", None)
                if begin is not None:  # what it follows: "rank", "session 'default'"
                    begin(label, of)
                self.views.append(view)
        self._viewed = 0.0
        self.total = total
        self.show_notes = notes
        self.notes: list[str] = []  # what happened to workers, in order (kept when quiet)
        self.backend = backend
        self.stream = stream
        self.show_progress = progress
        self.start = time.monotonic()
        self.done = 0
        self.failed = 0
        self._bar: Any = None
        self._text = False
        self._drawn = 0.0
        self.partial: dict[tuple[int, str], str] = {}  # (index, stream) -> an unended line
        self.echoed: dict[int, int] = {}  # index -> characters of its output echoed so far

    def output(self, task: Any, stream: str, text: str) -> None:
        """Echo a task's output, whole lines only, each prefixed by its rank or item number.

        At most `CELL_LIMIT` characters per task reach the cell (100 MB echoed in full would
        choke the notebook); the task's stdout and stderr columns keep all of it.
        """
        if not self.stream:
            return
        shown = self.echoed.get(task.index, 0)
        if shown >= CELL_LIMIT:
            return
        key = (task.index, stream)
        text = self.partial.pop(key, "") + text
        complete, _, rest = text.rpartition("\n")
        room = CELL_LIMIT - shown
        if len(text) >= room:
            self._cut(task.index, stream, text[:room])
            return
        if rest:
            self.partial[key] = rest
        if complete:
            self.echoed[task.index] = shown + len(complete) + 1
            self._write(task.index, stream, complete + "\n")

    def _cut(self, index: int, stream: str, head: str) -> None:
        """Echo `head`, the last of a task's output the cell gets, and say where the rest is."""
        self.echoed[index] = CELL_LIMIT
        for name in ("stdout", "stderr"):
            self.partial.pop((index, name), None)
        whole = head.rpartition("\n")[0]
        if whole:
            self._write(index, stream, whole + "\n")
        self._write(
            index,
            stream,
            f"... output cut here in the cell after {CELL_LIMIT:,} characters; all of it is in "
            f"the results ({stream} column)\n",
        )

    def task_done(self, task: Any) -> None:
        """Echo what is left of a finished task's last line."""
        if not self.partial:  # nearly always: no half line is waiting
            return
        for stream in ("stdout", "stderr"):
            rest = self.partial.pop((task.index, stream), "")
            if rest and self.stream:
                self._write(task.index, stream, rest + "\n")

    def _write(self, index: int, stream: str, text: str) -> None:
        prefix = f"[{index}] "
        out = "".join(prefix + line for line in text.splitlines(keepends=True))
        target = sys.stdout if stream == "stdout" else sys.stderr
        target.write(out)
        target.flush()

    def note(self, line: str) -> None:
        """Say, as it happens, one thing that went wrong beside the tasks (a worker died)."""
        self.notes.append(line)
        if self.show_notes:
            sys.stderr.write(f"kjupyter: {line}\n")
            sys.stderr.flush()

    def track(self, tasks: list[Any]) -> None:
        """Let the views follow `tasks` too: one engine job of a session step (a rank run
        again after its rebuild replaces its row, as the results keep its last attempt)."""
        if self.tasks is None or not self.views:
            return
        by_index = {task.index: task for task in self.tasks}
        by_index.update((task.index, task) for task in tasks)
        self.tasks = sorted(by_index.values(), key=lambda task: task.index)

    def progress(self, done: int, failed: int) -> None:
        self.done, self.failed = done, failed

    def tick(self) -> None:
        """Draw the bar if the run has lasted long enough (and the task views, 5 times a second)."""
        if self.views and time.monotonic() - self._viewed >= REFRESH:
            self._show(final=False)
        if not self.show_progress or time.monotonic() - self.start < DELAY:
            return
        if self._bar is None and not self._text:
            self._open()
        self._draw()

    def _open(self) -> None:
        if in_kernel():
            import ipywidgets
            from IPython.display import display

            self._bar = ipywidgets.IntProgress(value=self.done, max=self.total)
            self._label = ipywidgets.Label()
            display(ipywidgets.HBox([self._bar, self._label]))
        elif sys.stderr.isatty():
            self._text = True
        else:
            self.show_progress = False

    def _draw(self, final: bool = False) -> None:
        label = f"{self.done}/{self.total} tasks, {self.failed} failed ({self.backend})"
        if self._bar is not None:
            self._bar.max = max(1, self.total)  # grows as a streamed map pulls items
            self._bar.value = self.done
            self._bar.bar_style = "danger" if self.failed else ("success" if final else "")
            self._label.value = label
        elif self._text:
            now = time.monotonic()
            if not final and now - self._drawn < REFRESH:
                return
            self._drawn = now
            width = 30
            filled = int(width * self.done / max(1, self.total))
            bar = "#" * filled + "." * (width - filled)
            sys.stderr.write(f"\r[{bar}] {label}" + ("\n" if final else ""))
            sys.stderr.flush()

    def _show(self, final: bool) -> None:
        self._viewed = time.monotonic()
        for view in self.views:
            try:
                view.update(list(self.tasks or ()), final)
            except Exception as err:  # a view must not end a run
                self.views.remove(view)
                self.note(f"task view stopped: {type(err).__name__}: {err}")

    def finish(self, summary: str, quiet: bool = False) -> None:
        """Close the bar and print the summary line."""
        if self.views:
            self._show(final=True)
        if self._bar is not None or self._text:
            self._draw(final=True)
        if not quiet:
            print(summary)


class TaskView(Protocol):
    """What follows a run task by task (the live task table): `update(tasks, final)` is
    called from the run's thread about 5 times a second and once at the end. A view may
    also have `begin(label, of)`, called once as it starts following: what a row is
    ("task", "rank") and what they belong to ("session 'default'", or "")."""

    def update(self, tasks: list[Any], final: bool) -> None: ...


#: views waiting for the next run of this process (`follow_next_run`)
WAITING_VIEWS: list[TaskView] = []


def follow_next_run(view: TaskView) -> None:
    """Let `view` follow the next `run`, `map` or session `px` that starts (one per call)."""
    WAITING_VIEWS.append(view)


#: (monotonic end, seconds, pods) of recent pod starts, for the summary of the run they served
_STARTS: collections.deque[tuple[float, float, int]] = collections.deque(maxlen=64)
PROBLEM_CHARS = 160  # of Kubernetes' reason shown on the live line


class LiveLine:
    """One line of text redrawn in place while something waits.

    In a kernel it is a display output updated by id (it renders in Lab, Notebook and Voila
    and stays as the cell's last word); on a terminal a carriage-return line on stderr; on
    a pipe nothing. `write`, when given, receives every version of the line instead (scripts
    and tests). Only the main thread draws: background work (a replacement worker) would
    otherwise draw into whatever cell runs then.
    """

    def __init__(self, write: Callable[[str], None] | None = None, delay: float = 0.0) -> None:
        self.write = write
        self.delay = delay
        self.began = time.monotonic()
        self.text = ""
        self._handle: Any = None
        self._mode = "sink" if write is not None else ""
        if write is None and threading.current_thread() is not threading.main_thread():
            self._mode = "off"

    def update(self, text: str) -> None:
        if text == self.text or self._mode == "off":
            return
        self.text = text
        if self._mode == "sink":
            assert self.write is not None
            self.write(text)
            return
        if time.monotonic() - self.began < self.delay:
            return
        if not self._mode:
            self._open()
        self._draw(text)

    def close(self, text: str | None = None) -> None:
        """Leave `text` (or the last line) as the final state of the line."""
        if text is not None:
            self.update(text)
        if self._mode == "tty":
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._mode = "off"

    def _open(self) -> None:
        if in_kernel():
            from IPython.display import display

            self._mode = "kernel"
            self._handle = display({"text/plain": self.text}, raw=True, display_id=True)
        elif sys.stderr.isatty():
            self._mode = "tty"
        else:
            self._mode = "off"

    def _draw(self, text: str) -> None:
        if self._mode == "kernel":
            self._handle.update({"text/plain": text}, raw=True)
        elif self._mode == "tty":
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()


class PodStartLine:
    """The live line of pods that start: `starting 4 worker pods: 1 created, ... · 2.1 s`.

    Fed the pods as last seen (`update`, e.g. from `PodWatcher.wait_started`); the first
    reason a pod shows for not starting (Unschedulable with the scheduler's message,
    ErrImageNeverPull, CrashLoopBackOff) is on the line as soon as it is seen.
    """

    def __init__(
        self, total: int, noun: str = "worker pod", of: str = "", line: LiveLine | None = None
    ) -> None:
        self.total = total
        self.what = noun + "s" * (total != 1) + (f" of {of}" if of else "")
        self.line = line if line is not None else LiveLine(delay=DELAY)
        self.began = time.monotonic()

    def update(
        self, pods: list[dict[str, Any]], problem: str = "", ready: int | None = None
    ) -> None:
        """Redraw from the pods as last seen (`ready`: how many passed readiness, if asked)."""
        from kjupyter.run.k8s import watcher

        counts = watcher.start_counts(pods)
        if not problem:
            problem = next((r for r in map(_reason, pods) if r), "")
        self.line.update(self.text(counts, problem, ready))

    def text(self, counts: dict[str, int], problem: str = "", ready: int | None = None) -> str:
        seconds = time.monotonic() - self.began
        parts = ", ".join(f"{n} {phase}" for phase, n in counts.items())
        if ready is not None:
            parts += f" ({ready} ready)"
        text = f"starting {self.total} {self.what}: {parts} · {seconds:.1f} s"
        if problem:
            short = problem if len(problem) <= PROBLEM_CHARS else problem[:PROBLEM_CHARS] + "..."
            text += f" · {short}"
        return text

    def finish(self, ok: bool, problem: str = "") -> float:
        """End the line (started, or why not); the seconds it took are kept when `ok`."""
        seconds = time.monotonic() - self.began
        if ok:
            _STARTS.append((time.monotonic(), seconds, self.total))
            self.line.close(f"started {self.total} {self.what} in {seconds:.1f} s")
        else:
            self.line.close(f"{self.what} did not start after {seconds:.1f} s: {problem}")
        return seconds


def _reason(pod: dict[str, Any]) -> str:
    from kjupyter.run.k8s import watcher

    return watcher.problem(pod)[0] if pod else ""


def starts_since(began: float) -> tuple[int, float]:
    """(pods, seconds) of the pod starts that ended after `began` (monotonic)."""
    recent = [(seconds, pods) for end, seconds, pods in list(_STARTS) if end >= began]
    return sum(p for _, p in recent), sum(s for s, _ in recent)
