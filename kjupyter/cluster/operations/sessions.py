"""Cells run inside a container: a persistent Python (`--python`) or a shell per cell.

The Python session runs a small driver with the container's `python3` on a TTY: the TTY lets
an interrupt reach the remote code as a real SIGINT (we write ^C), which `exec` without a
TTY cannot do. The driver switches echo, canonical input and output translation off, reads
one base64 line per cell (so no byte of the cell is ever a terminal control character), runs
it in one namespace kept across cells (the last expression's repr printed, as IPython does)
and ends each cell's output with a marker carrying the cell's number.
"""

from __future__ import annotations

import base64
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from kjupyter.cluster.operations import execution
from kjupyter.errors import ApiError

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster
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
    except KeyboardInterrupt:
        print("KeyboardInterrupt", file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush(); sys.stderr.flush()
    sys.stdout.write("\x1ekjupyter-cell-done " + number.decode() + "\n"); sys.stdout.flush()
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
        buffered = self._read_until(READY, timeout, sys.stdout, echo=False)
        if buffered is None:
            self.close()
            raise ApiError(f"{self.where}: the container's Python did not start")

    def run(self, cell: str, out: TextIO | None = None) -> None:
        """Run one cell there, streaming its output to `out`; ^C interrupts it remotely."""
        out = out or sys.stdout
        if not self.python:
            code = self._run_shell(cell, out)
            if code:
                out.write(f"[exit code {code}]\n")
            return None
        if self._client is None or not self._client.is_open():
            self._start()
        self._cells += 1
        marker = f"{MARK}{self._cells}\n"
        payload = base64.b64encode(cell.encode()).decode()
        self._client.write_stdin(f"{self._cells} {payload}\n")
        try:
            self._read_until(marker, None, out)
        except KeyboardInterrupt:
            self._client.write_stdin("\x03")
            self._read_until(marker, 10.0, out)
            raise
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
        self, marker: str, timeout: float | None, out: TextIO, echo: bool = True
    ) -> str | None:
        """Stream stdout to `out` until `marker`; None when the session ends or time is up."""
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
            if marker in pending:
                before = pending.split(marker, 1)[0]
                if echo and before:
                    out.write(before)
                    out.flush()
                return before
            # show everything but a tail that may be the start of the marker
            cut = pending.rfind(marker[0])
            if cut < 0 or not marker.startswith(pending[cut:]):
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
