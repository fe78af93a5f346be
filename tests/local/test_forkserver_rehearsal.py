"""Issue 12, Deliver 1: the fork server and its spares rehearse a worker's start before a
request comes (`kjupyter.worker.rehearsal`); the rehearsal leaves nothing a worker could see."""

from __future__ import annotations

import gc
import os
import signal
import threading

import pytest

import kjupyter
from kjupyter.run import forkserver
from kjupyter.run.channel import StreamChannel
from kjupyter.worker import __main__ as worker_main
from kjupyter.worker import rehearsal

from .conftest import ready

pytestmark = pytest.mark.timeout(120)


def _seen() -> dict:
    gc.collect()  # what earlier tests left for the collector is not the rehearsal's
    return {
        "fds": sorted(os.listdir("/proc/self/fd")),
        "signals": {s: signal.getsignal(s) for s in signal.Signals if s not in (9, 19)},
        "environ": dict(os.environ),
        "threads": sorted(t.name for t in threading.enumerate()),
        "channels": sum(type(o) is StreamChannel for o in gc.get_objects()),
    }


def test_a_rehearsal_leaves_no_descriptor_channel_thread_or_signal_behind():
    before = _seen()
    worker_main.rehearse(2)
    assert _seen() == before


def test_the_rehearsal_runs_a_real_handshake_hello_and_frame():
    # It must not fail quietly (the server suppresses its errors): run its steps bare.
    rehearsal._one()


def test_a_forked_worker_has_nothing_frozen_out_of_its_collector():
    # The server freezes its heap before forking (gc.freeze); a worker unfreezes it, as a
    # spawned worker has nothing frozen.
    server = ready(forkserver.warm_up())

    def probe(_: object) -> tuple[int, int, bool]:
        import gc
        import os

        return os.getppid(), gc.get_freeze_count(), gc.isenabled()

    parent, frozen, enabled = kjupyter.map(probe, [0], workers=1, values=True, quiet=True)[0]
    assert parent == server.pid
    assert (frozen, enabled) == (0, True)


def test_a_forked_worker_has_the_kernels_environment_not_the_servers(monkeypatch):
    # The worker changes only what differs from the server's environment: what the kernel
    # unset, set or changed since the server started must all show.
    forkserver.shutdown()
    monkeypatch.setenv("KJUPYTER_TEST_GONE", "the server has it")
    monkeypatch.setenv("KJUPYTER_TEST_CHANGED", "before")
    server = ready(forkserver.warm_up())
    monkeypatch.delenv("KJUPYTER_TEST_GONE")
    monkeypatch.setenv("KJUPYTER_TEST_CHANGED", "after")
    monkeypatch.setenv("KJUPYTER_TEST_NEW", "new")

    def probe(_: object) -> tuple[int, dict[str, str]]:
        import os

        return os.getppid(), {k: v for k, v in os.environ.items() if k.startswith("KJUPYTER_")}

    parent, seen = kjupyter.map(probe, [0], workers=1, values=True, quiet=True)[0]
    assert parent == server.pid
    assert seen == {
        k: v for k, v in os.environ.items() if k.startswith("KJUPYTER_") and k != "KJUPYTER_SECRET"
    }
    assert seen["KJUPYTER_TEST_CHANGED"] == "after" and "KJUPYTER_TEST_GONE" not in seen
