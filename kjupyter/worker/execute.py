"""Running one task's user code: a cell per rank or a function per item, output captured.

Nothing here talks to the channel; the session passes in the resolved objects and an output
sink, and gets back (status, value, error, traceback).
"""

from __future__ import annotations

import ast
import builtins
import linecache
import os
import traceback
from collections.abc import Callable
from typing import Any

from kjupyter.run import rendezvous
from kjupyter.run.messages import CANCELLED, ERROR

_WORKER_DIR = __file__.rsplit("/", 1)[0] + "/"


class CompiledCell:
    """A cell compiled once per worker: its body, and its last expression if it ends in one."""

    def __init__(self, code: str, filename: str) -> None:
        tree = ast.parse(code, filename, "exec")
        last = None
        final = tree.body[-1] if tree.body else None
        if isinstance(final, ast.Expr):
            tree.body.pop()
            last = ast.Expression(final.value)
        self.body = compile(tree, filename, "exec")
        self.last = compile(last, filename, "eval") if last is not None else None
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)

    def __call__(self, namespace: dict[str, Any]) -> Any:
        exec(self.body, namespace)
        return eval(self.last, namespace) if self.last is not None else None


def cell_namespace(
    objects: dict[str, Any], rank: int, world_size: int, env: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A fresh global namespace for one rank: captured names, RANK and WORLD_SIZE; `env` is
    a run's rendezvous environment (`kjupyter.run.rendezvous`)."""
    os.environ["RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = str(world_size)
    rendezvous.apply(env, rank)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    namespace.update(objects)
    namespace["RANK"] = rank
    namespace["WORLD_SIZE"] = world_size
    return namespace


def remote_traceback(exc: BaseException) -> str:
    """The traceback of a user error, without the worker's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_WORKER_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def error_line(exc: BaseException) -> str:
    """`Type: message`, the one line shown in the results table."""
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def failure(exc: BaseException, cancelled: Callable[[], bool]) -> tuple[str, Any, str, str]:
    """(status, value, error line, traceback) of user code that raised `exc`: a
    KeyboardInterrupt is a cancel when the kernel asked for one (`cancelled()`)."""
    if isinstance(exc, KeyboardInterrupt) and cancelled():
        return CANCELLED, None, "cancelled", ""
    return ERROR, None, error_line(exc), remote_traceback(exc)
