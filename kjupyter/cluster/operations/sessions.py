"""Cells run inside a container: a persistent Python (`--python`) or a shell per cell.

The Python session runs a small driver with the container's `python3` on a TTY: the TTY lets
an interrupt reach the remote code as a real SIGINT (we write ^C), which `exec` without a
TTY cannot do. The driver switches echo, canonical input and output translation off, reads
one base64 line per cell (so no byte of the cell is ever a terminal control character), runs
it in one namespace kept across cells (the last expression's repr printed, as IPython does)
and ends each cell's output with a marker carrying the cell's number (and `!` when the cell
raised, so that the notebook's cell fails too: nbclient and papermill runs stop there).

What goes wrong is one line (`CommandFailed`): an error in the cell, an interpreter that
exited (the next cell starts a new one), a container that is gone (pod deleted), an interrupt.
"""

from __future__ import annotations

import base64
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from kjupyter.cluster.operations import execution
from kjupyter.errors import ApiError, CommandFailed, KjupyterError, NotFound

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster
    from kjupyter.cluster.paths import Location

MARK = "\x1ekjupyter-cell-done "
READY = "\x1ekjupyter-ready\n"
DRIVER = r"""
import ast, base64, sys, termios, traceback
try:
    a = termios.tcgetattr(0)
    a[3] &= ~(termios.ECHO | termios.ICANON)
    a[1] &= ~termios.OPOST
    termios.tcsetattr(0, termios.TCSANOW, a)
except Exception:
    pass
ns = {"__name__": "__main__"}
sys.stdout.write("\x1ekjupyter-ready\n"); sys.stdout.flush()
while True:
    try:
        line = sys.stdin.buffer.readline()
    except KeyboardInterrupt:
        continue
    if not line:
        break
    number, _, payload = line.strip().partition(b" ")
    try:
        tree = ast.parse(base64.b64decode(payload).decode(), "<cell>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
            if value is not None:
                print(repr(value))
        status = ""
    except KeyboardInterrupt:
        print("KeyboardInterrupt", file=sys.stderr)
        status = "!"
    except BaseException:
        traceback.print_exc()
        status = "!"
    sys.stdout.flush(); sys.stderr.flush()
    sys.stdout.write("\x1ekjupyter-cell-done " + number.decode() + status + "\n")
    sys.stdout.flush()
"""


class ContainerSession:
    """Where `%k8s enter` sends cells: one pod's container, Python or shell."""

    def __init__(
        self,
        cluster: Cluster,
        location: Location,
        *,
        container: str | None = None,
        python: bool = True,
        python_command: str = "python3",
    ) -> None:
        self.cluster = cluster
        self.location = location
        self.container = container
        self.python = python
        self._client: Any = None
        self._cells = 0
        self._python_command = python_command
        if python:
            self._start()

    @property
    def where(self) -> str:
        target = self.location.path + (f" (container {self.container})" if self.container else "")
        return f"{'python' if self.python else 'sh'} in {target}"

    def _start(self, timeout: float = 30.0) -> None:
        self._client = execution.open_exec(
            self.cluster,
            self.location,
            [self._python_command, "-u", "-c", DRIVER],
            container=self.container,
            stdin=True,
            tty=True,
        )
        buffered = self._read_until((READY,), timeout, sys.stdout, echo=False)
        if buffered is None:
            self.close()
            raise ApiError(f"{self.where}: the container's Python did not start")

    def run(self, cell: str, out: TextIO | None = None) -> None:
        """Run one cell there, streaming its output to `out`; ^C interrupts it remotely.

        Raises `CommandFailed` when the cell raised or exited non-zero, the interpreter
        exited, or the container is gone; `KeyboardInterrupt` once the remote cell stopped.
        """
        out = out or sys.stdout
        try:
            if not self.python:
                code = self._run_shell(cell, out)
                if code:
                    raise CommandFailed(f"{self.where}: the cell exited with code {code}", code)
                return None
            self._run_python(cell, out)
        except (KjupyterError, KeyboardInterrupt):
            raise
        except Exception as err:  # the websocket broke: the pod went away, or its node
            raise self._gone(err) from None
        return None

    def _gone(self, err: BaseException | None = None) -> CommandFailed:
        reason = f" ({type(err).__name__})" if err is not None else ""
        return CommandFailed(f"{self.where}: the container is gone{reason}; %k8s exit")

    def _run_python(self, cell: str, out: TextIO) -> None:
        if self._client is None or not self._client.is_open():
            try:
                self._start()
            except NotFound:
                raise self._gone() from None
        self._cells += 1
        done, failed = f"{MARK}{self._cells}\n", f"{MARK}{self._cells}!\n"
        payload = base64.b64encode(cell.encode()).decode()
        self._client.write_stdin(f"{self._cells} {payload}\n")
        try:
            found = self._read_until((done, failed), None, out)
        except KeyboardInterrupt:
            self._client.write_stdin("\x03")
            self._read_until((done, failed), 10.0, out)
            raise
        if found is None:
            self.close()
            raise CommandFailed(
                f"{self.where}: the container's python exited, and its variables with it; "
                "the next cell starts a new one (or %k8s exit)"
            )
        if found == failed:
            raise CommandFailed(f"{self.where}: the cell raised (its traceback is above)")
        return None

    def _run_shell(self, cell: str, out: TextIO) -> int:
        client = execution.open_exec(
            self.cluster,
            self.location,
            ["sh", "-c", cell],
            container=self.container,
            stdin=True,
            tty=True,
        )
        try:
            while client.is_open():
                try:
                    client.update(timeout=0.2)
                except KeyboardInterrupt:
                    client.write_stdin("\x03")
                    raise
                text = client.read_channel(execution.STDOUT)
                if text:
                    out.write(text.replace("\r\n", "\n"))
                    out.flush()
            return execution.exit_code(client)
        finally:
            client.close()

    def _read_until(
        self, markers: tuple[str, ...], timeout: float | None, out: TextIO, echo: bool = True
    ) -> str | None:
        """Stream stdout to `out` until one of `markers`; return it (None: ended, or time up)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = ""
        while True:
            if deadline is not None and time.monotonic() > deadline:
                return None
            if not self._client.is_open():
                if echo and pending:
                    out.write(pending)
                return None
            self._client.update(timeout=0.2)
            pending += self._client.read_channel(execution.STDOUT)
            found = [(pending.index(m), m) for m in markers if m in pending]
            if found:
                at, marker = min(found)
                if echo and at:
                    out.write(pending[:at])
                    out.flush()
                return marker
            # show everything but a tail that may be the start of a marker (they share [0])
            cut = pending.rfind(markers[0][0])
            if cut < 0 or not any(m.startswith(pending[cut:]) for m in markers):
                cut = len(pending)
            if echo and cut:
                out.write(pending[:cut])
                out.flush()
                pending = pending[cut:]

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None
