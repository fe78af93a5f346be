"""Issue 12, Deliver 1: local workers forked by the warm fork server, indistinguishable from
spawned ones, and spawned again when the server is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

import kjupyter
from kjupyter.run import forkserver, pool

from .conftest import ready, wait_for

pytestmark = pytest.mark.timeout(120)


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def server() -> forkserver.ForkServer:
    """A warm fork server that has said ready (what `%load_ext kjupyter` starts)."""
    return ready(forkserver.warm_up())


def fingerprint_probe():
    """A task that reports what it can see of its process, minus what differs by nature.

    Made in a function so that it travels by value: the test moves the working directory,
    where a worker could no longer import this module by name."""

    def fingerprint(_: object) -> dict:
        """What a task can see of the process it runs in, minus what differs by nature (pids)."""
        import contextlib
        import gc
        import os
        import signal
        import sys
        import threading

        from kjupyter.run.channel import StreamChannel

        def handler(sig: signal.Signals) -> str:
            h = signal.getsignal(sig)
            return getattr(h, "__qualname__", repr(h))

        fds = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own descriptor is gone
                fds.append(os.readlink(f"/proc/self/fd/{fd}").split(":")[0])
        channels = [o for o in gc.get_objects() if type(o) is StreamChannel]
        return {
            "fds": sorted(fds),
            "signals": {s.name: handler(s) for s in signal.Signals if s not in (9, 19)},
            "wakeup_fd": signal.set_wakeup_fd(-1),
            "leads_session": os.getsid(0) == os.getpid() == os.getpgid(0),
            "argv": [sys.argv[1], sys.argv[3:]],
            "path0": sys.path[0],
            "cwd": os.getcwd(),
            "environ": dict(os.environ),
            "threads": sorted(t.name for t in threading.enumerate()),
            "channels": [(c.role, c._sign, c._verify) for c in channels],
        }

    return fingerprint


def test_workers_are_forked_by_the_warm_server(server):
    parents = kjupyter.map(lambda _: os.getppid(), range(2), workers=2, values=True, quiet=True)
    assert parents == [server.pid, server.pid]


def test_a_forked_worker_is_indistinguishable_from_a_spawned_one(server, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # moved since the server started: the worker follows
    monkeypatch.setenv("KJUPYTER_TEST_MARK", "set after the server started")
    forked = kjupyter.map(fingerprint_probe(), [0], workers=1, values=True, quiet=True)[0]
    pool.shutdown_all()
    monkeypatch.setenv("KJUPYTER_FORK_SERVER", "0")
    forkserver.shutdown()
    spawned = kjupyter.map(fingerprint_probe(), [0], workers=1, values=True, quiet=True)[0]
    assert forked["cwd"] == str(tmp_path)
    assert forked["environ"]["KJUPYTER_TEST_MARK"] == "set after the server started"
    assert "KJUPYTER_SECRET" not in forked["environ"]
    assert forked["leads_session"]
    assert forked["signals"]["SIGCHLD"] == repr(signal.SIG_DFL)
    # the kernel is its socket's peer: plain frames both ways (neither signed nor checked)
    assert forked["channels"] == [("worker", False, False)]
    spawned["environ"].pop("KJUPYTER_FORK_SERVER")
    assert forked == spawned


def test_an_interrupt_cancels_a_task_on_a_forked_worker(server, tmp_path):
    started = tmp_path / "started"
    main = threading.main_thread().ident

    def interrupt() -> None:
        wait_for(started.exists, what="the task to start")
        signal.pthread_kill(main, signal.SIGINT)

    def slow(_):
        import time

        open(started, "w").close()
        time.sleep(60)

    watcher = threading.Thread(target=interrupt, daemon=True)
    watcher.start()
    frame = kjupyter.map(slow, [0], workers=1, quiet=True)
    watcher.join()
    assert frame.loc[0, "status"] == "cancelled"
    # the worker stopped its task and serves the next run
    assert kjupyter.map(os.getppid, [], workers=1, values=True, quiet=True) == []
    assert kjupyter.map(lambda _: os.getppid(), [0], workers=1, values=True) == [server.pid]


def test_a_forked_worker_killed_mid_run_is_replaced_and_said_how(server, tmp_path, capsys):
    marker = str(tmp_path / "killed")

    def die_once(x):
        import os
        import signal

        if x == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getppid()

    frame = kjupyter.map(die_once, range(3), workers=1, chunksize=1)
    assert list(frame["status"]) == ["ok"] * 3
    assert frame.loc[1, "attempts"] == 2
    assert set(frame["value"]) == {server.pid}  # the replacement was forked too
    assert "killed by signal 9" in capsys.readouterr().err


KERNEL = """
import sys, time, kjupyter
from kjupyter.run import forkserver

server = forkserver.warm_up()
while server.pid is None:
    time.sleep(0.01)

def start_sleeper(_):
    import os, subprocess
    return os.getpid(), os.getppid(), subprocess.Popen(["sleep", "600"]).pid

worker, parent, sleeper = kjupyter.map(start_sleeper, [0], workers=1, values=True, quiet=True)[0]
print(server.pid, worker, parent, sleeper, flush=True)
sys.stdin.read()  # stay up until the test kills us
"""


def test_nothing_outlives_a_killed_kernel():
    kernel = subprocess.Popen(
        [sys.executable, "-c", KERNEL], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        server, worker, parent, sleeper = map(int, kernel.stdout.readline().split())
        assert parent == server and all(alive(p) for p in (server, worker, sleeper))
    finally:
        kernel.kill()  # no atexit, no goodbye: the server and the worker see their sockets close
        kernel.wait()
    for pid, what in ((server, "fork server"), (worker, "worker"), (sleeper, "task's child")):
        wait_for(lambda pid=pid: not alive(pid), what=f"the {what} to end with the kernel")


def test_workers_still_start_by_spawn_when_the_fork_server_is_killed(server):
    os.kill(server.pid, signal.SIGKILL)
    wait_for(lambda: not server.alive, what="the kernel to see the fork server gone")
    parents = kjupyter.map(lambda _: os.getppid(), range(2), workers=2, values=True, quiet=True)
    assert parents == [os.getpid()] * 2  # spawned by the kernel itself
    fresh = ready(forkserver.current(), "the new fork server to be ready")
    assert fresh is not server  # a new server was started for the next start
    pool.shutdown_all()
    assert kjupyter.map(lambda _: os.getppid(), [0], workers=1, values=True) == [fresh.pid]


def test_loading_the_extension_starts_the_fork_server(ip):
    forkserver.shutdown()
    ip.run_line_magic("unload_ext", "kjupyter")
    ip.run_line_magic("load_ext", "kjupyter")
    server = ready(forkserver.current())
    assert kjupyter.map(lambda _: os.getppid(), [0], workers=1, values=True) == [server.pid]


def test_a_script_that_ends_at_once_leaves_no_traceback_from_its_fork_server():
    # The script ends while its fork server still imports: the server's "ready" finds no one
    # listening. It used to die of the BrokenPipeError, with its traceback in the script's
    # stderr (seen at the end of bench runs); it now just ends.
    script = "from kjupyter.run import forkserver\nprint(forkserver.warm_up() is not None)\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )  # the server shares the script's stderr: run() returns once the server is gone too
    assert done.returncode == 0 and done.stdout == "True\n"
    assert "Traceback" not in done.stderr, done.stderr


def spares_of(pid: int) -> set[int]:
    """The server's children that wait for a request: one thread (a worker runs three)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z" and int(fields[17]) == 1:
                found.add(int(entry))
    return found


def test_spare_workers_wait_forked_ahead_and_end_with_their_server(server):
    # Workers are forked ahead of requests (off a pool's first run) and handed a request.
    pool.shutdown_all()  # no warm worker: the map's two come from the server
    wait_for(lambda: len(spares_of(server.pid)) >= 2, what="the server's spare workers")
    spares = spares_of(server.pid)
    pids = kjupyter.map(lambda _: os.getpid(), range(2), workers=2, values=True, quiet=True)
    assert set(pids) <= spares  # the two workers are spares forked before the request
    wait_for(lambda: len(spares_of(server.pid)) >= 2, what="new spares")
    waiting = spares_of(server.pid)
    assert not waiting & set(pids)
    pool.shutdown_all()
    os.kill(server.pid, signal.SIGKILL)  # no goodbye: the spares see their handoff close
    for pid in waiting:
        wait_for(lambda pid=pid: not alive(pid), what=f"spare {pid} to end with its server")
