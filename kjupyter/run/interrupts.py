"""Ctrl-C between frames, never inside one.

A KeyboardInterrupt raised while the kernel is halfway through reading or writing a frame
tears the channel: the worker is lost, and with it a session rank's namespace (it is then
rebuilt by replay, where the user asked only to stop a cell). So while a run executes, the
engine installs `between_frames()`: a Ctrl-C that lands inside a frame (`FRAME`) is noted,
and the engine raises it at its next safe point (`raise_if_pending`). Outside a frame it is
raised at once, as before. A second Ctrl-C inside the same frame is raised at once too: a
peer stalled mid-frame must not hold the kernel.

Signals reach only the main thread, so only the main thread's frames count (threads that
send to ranks side by side keep their own depth, which the handler never reads).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal.signal without its enums (below)
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

_SIGINT = int(signal.SIGINT)
_local = threading.local()  # depth: frames in progress; pending: a Ctrl-C noted inside one


class _Frame:
    """`with FRAME:` around one frame's I/O (cheap: no generator, no allocation)."""

    def __enter__(self) -> None:
        _local.depth = getattr(_local, "depth", 0) + 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _local.depth -= 1


FRAME = _Frame()


def raise_if_pending() -> None:
    """At a safe point of the engine: raise the Ctrl-C that landed inside a frame, if any."""
    if getattr(_local, "pending", False):
        _local.pending = False
        raise KeyboardInterrupt


@contextlib.contextmanager
def between_frames() -> Iterator[None]:
    """While this runs (on the main thread), a Ctrl-C inside a frame waits for its end.

    One noted as the block ends is raised then. Elsewhere (another thread, or SIGINT not
    handled by Python: ignored or default), nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # _signal, not signal: the wrappers turn every handler and number into an enum on the
    # way (~8 of this block's ~11 us, on every run's round trip of ~150 us)
    previous = _signal.getsignal(_SIGINT)
    if not callable(previous):
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> Any:
        if getattr(_local, "depth", 0) and not getattr(_local, "pending", False):
            _local.pending = True  # raised by the engine once this frame is whole
            return None
        _local.pending = False
        return previous(signum, frame)

    _signal.signal(_SIGINT, handler)
    try:
        yield
    except BaseException:
        _local.pending = False  # already leaving: the noted Ctrl-C goes with it
        raise
    finally:
        _signal.signal(_SIGINT, previous)
    raise_if_pending()  # noted as the run ended: a Ctrl-C is never swallowed
