"""Output that interrupts the test once a remote command has written what it waits for.

It stands in for a notebook user pressing Ctrl-C at a known point: the SIGINT lands in the
test's own process, as the kernel's interrupt does, with no sleep to guess the moment.
"""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable


class InterruptOnce(io.StringIO):
    """Sends SIGINT to this process once `seen(everything written so far)` is true."""

    def __init__(self, seen: Callable[[str], bool]) -> None:
        super().__init__()
        self.seen = seen
        self.sent = False

    def write(self, text: str) -> int:
        written = super().write(text)
        if not self.sent and self.seen(self.getvalue()):
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return written


def when_written(marker: str) -> InterruptOnce:
    """Interrupt once `marker` appears in the output."""
    return InterruptOnce(lambda text: marker in text)
