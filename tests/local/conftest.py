"""Fixtures for the embedded backend: real worker processes, and a guard against leaks.

Every test ends by stopping all pools; the autouse guard then fails the test if any
`kjupyter.worker` process it started is still alive.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kjupyter.run import pool


def _processes() -> dict[int, tuple[bytes, str, int]]:
    """pid -> (cmdline, state, parent pid) of every process we may read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        found[int(entry.name)] = (cmdline, state, int(parent))
    return found


def fork_server_pids() -> set[int]:
    """Our live fork servers (`python -m kjupyter.worker --fork-server`): one per test run."""
    me = os.getpid()
    return {
        pid
        for pid, (cmdline, state, parent) in _processes().items()
        if b"--fork-server" in cmdline and state != "Z" and parent == me
    }


def worker_pids() -> set[int]:
    """Live (non-zombie) `python -m kjupyter.worker` processes this test run started.

    Only ours, spawned or forked by our fork server: other test runs share the machine, and
    their workers are theirs. The fork server itself is not a worker (it lives as long as
    the test process, as it lives as long as a kernel).
    """
    me = os.getpid()
    procs = _processes()
    servers = {
        pid
        for pid, (cmdline, _, parent) in procs.items()
        if b"--fork-server" in cmdline and parent == me
    }
    return {
        pid
        for pid, (cmdline, state, parent) in procs.items()
        if b"kjupyter.worker" in cmdline
        and b"--fork-server" not in cmdline
        and state != "Z"
        and (parent == me or parent in servers)
    }


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    """Poll `condition()` until it is truthy (a wait for a fact, not a sleep for a guess)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def ready(server, what: str = "the fork server to be ready"):
    """`server` (a fork server just started or found), once it has said ready."""
    assert server is not None, "no fork server was started"
    wait_for(lambda: server.pid is not None, what=what)
    return server


def dies_once_at(item: int, marker: str):
    """A task function that returns its item, except that the worker running `item` dies
    (os._exit) the first time: `marker` is created then, so the retry lives."""

    def work(x):
        import os

        if x == item and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return x

    return work


@pytest.fixture(autouse=True)
def no_leaked_workers() -> Iterator[None]:
    before = worker_pids()
    yield
    pool.shutdown_all()
    leaked = lambda: worker_pids() - before  # noqa: E731
    try:
        wait_for(lambda: not leaked(), timeout=10.0, what="worker processes to exit")
    except AssertionError:
        pids = leaked()
        for pid in pids:
            os.kill(pid, 9)
        pytest.fail(f"worker processes left behind: {sorted(pids)}")
    assert len(fork_server_pids()) <= 1, "more than one fork server runs for this process"


@pytest.fixture
def ip():
    """A real IPython shell with `%load_ext kjupyter` (unloaded after the test).

    One shell class for the whole run: every test folder uses InteractiveShell.instance(),
    and mixing it with globalipapp's TerminalInteractiveShell raises MultipleInstanceError.
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kjupyter")
    yield shell
    shell.run_line_magic("unload_ext", "kjupyter")
