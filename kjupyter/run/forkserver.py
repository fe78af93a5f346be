"""The kernel's side of the warm fork server (`kjupyter.worker.forkserver`).

One server per kernel, started in the background by `warm_up` (at `%load_ext kjupyter`, or
the local backend's first start) as `python -m kjupyter.worker --fork-server FD`. `request`
hands it a worker's socketpair end, `answer` gives the `ForkedProcess`; whenever the server cannot
serve (not started, dead, another interpreter or PYTHON* environment than the one it was
started with), the caller spawns instead. A reader thread takes the server's replies and the
exit codes of the workers it reaped.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading

from kjupyter.run import wire

FORK_WAIT = 10.0  # s a fork request waits for its answer (a fresh server is still importing)
EXIT_WAIT = 1.0  # s the exit code of a process seen ended may take to be reported


class ServerUnavailable(Exception):
    """The fork server cannot fork this worker: spawn it instead."""


def _startup_env(env: dict[str, str]) -> dict[str, str]:
    """The variables that shape an interpreter's start-up: a server forks only for its own."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


class ForkServer:
    """A running fork server and the workers it forked for this kernel."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.startup = _startup_env(dict(os.environ))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [python, "-m", "kjupyter.worker", "--fork-server", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.ctrl = ours
        self.pid: int | None = None  # known once it said ready
        self.alive = True
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._next = 0
        self._replies: dict[int, tuple[int | None, str]] = {}
        self._exits: dict[int, int] = {}
        threading.Thread(target=self._read, name="kjupyter-forkserver", daemon=True).start()

    def serves(self, python: str, env: dict[str, str]) -> bool:
        """Whether a worker for `python` with `env` can be forked here rather than spawned."""
        return self.alive and python == self.python and _startup_env(env) == self.startup

    def request(self, sock: socket.socket, env: dict[str, str], session: str) -> int:
        """Ask for a worker serving `sock` (a socketpair end the caller keeps open until it has
        the `answer`); requests are answered in order, so several forks overlap their starts."""
        with self._cond:
            if not self.alive:
                raise ServerUnavailable("the fork server is gone")
            self._next += 1
            request = self._next
        msg = ("fork", request, env, os.getcwd(), session)
        try:
            with self._send_lock:
                socket.send_fds(self.ctrl, [wire.dumps_message(msg)], [sock.fileno()])
        except OSError as err:
            self._gone()
            raise ServerUnavailable(f"the fork server is gone: {err}") from err
        return request

    def answer(self, request: int) -> ForkedProcess:
        """The worker forked for `request`."""
        answered = lambda: request in self._replies or not self.alive  # noqa: E731
        with self._cond:
            if not self._cond.wait_for(answered, FORK_WAIT):
                raise ServerUnavailable(f"the fork server did not answer within {FORK_WAIT} s")
            if request not in self._replies:
                raise ServerUnavailable("the fork server is gone")
            pid, error = self._replies.pop(request)
        if pid is None:
            raise ServerUnavailable(error)
        return ForkedProcess(self, pid)

    def kill_group(self, pid: int) -> bool:
        """Ask the server to end `pid`'s process group (it knows whether the pid is still its
        child, so a reused pid is never hit); False when the server is gone."""
        try:
            with self._send_lock:
                self.ctrl.sendmsg([wire.dumps_message(("kill", pid))])
        except OSError:
            self._gone()
            return False
        return True

    def exit_code(self, pid: int, timeout: float) -> int | None:
        """`pid`'s exit code, waiting up to `timeout` s for its report; None if none came."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or not self.alive, timeout)
            return self._exits.get(pid)

    def close(self) -> None:
        """Stop the server (its workers keep running: each ends with its own channel)."""
        self._gone()
        with contextlib.suppress(OSError):
            self.ctrl.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(2.0)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _gone(self) -> None:
        with self._cond:
            self.alive = False
            self._cond.notify_all()

    def _read(self) -> None:
        try:
            while True:
                data = self.ctrl.recv(wire.SCRATCH)
                if not data:
                    return
                msg = wire.loads_message(data)
                with self._cond:
                    if msg[0] == "ready":
                        self.pid = msg[1]
                    elif msg[0] == "forked":
                        self._replies[msg[1]] = (msg[2], msg[3])
                    elif msg[0] == "exit":
                        self._exits[msg[1]] = msg[2]
                    self._cond.notify_all()
        except Exception:  # a broken server: every waiter learns it below
            pass
        finally:
            self._gone()
            with contextlib.suppress(OSError):
                self.ctrl.close()
            with contextlib.suppress(Exception):
                self.proc.wait(5.0)  # reap it: it ended, or ends once its socket closed


class ForkedProcess:
    """A worker the fork server forked: the part of `subprocess.Popen` the local backend uses.

    It is not our child, so its exit is watched through a pidfd and its code comes from the
    server, which reaps it.
    """

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None
        self.exited = False  # seen ended (its code may be unknown: the server died first)
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except OSError:
            self._pidfd = None  # it already ended and was reaped

    def poll(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if not self.exited:
            if self._pidfd is not None and not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout or 0)
            self.exited = True
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        if self.returncode is None:
            self.returncode = self.server.exit_code(self.pid, EXIT_WAIT)
        return self.returncode

    def kill_group(self) -> None:
        """End the worker and what its tasks started (its process group)."""
        if self.exited or self.server.kill_group(self.pid):
            return
        with contextlib.suppress(OSError):  # no server: only while it surely still runs
            if self.poll() is None and not self.exited:
                os.killpg(self.pid, signal.SIGKILL)

    def kill(self) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)


_SERVER: ForkServer | None = None
_LOCK = threading.Lock()


def warm_up(python: str | None = None) -> ForkServer | None:
    """Start this kernel's fork server unless one runs (cheap: one Popen; it imports on its own).

    Returns the server, or None where it cannot run (no fork, no pidfd, no SCM_RIGHTS).
    """
    global _SERVER
    python = python or sys.executable
    if not supported():
        return None
    with _LOCK:
        if _SERVER is not None and _SERVER.alive:
            return _SERVER
        try:
            _SERVER = ForkServer(python)
        except OSError:
            _SERVER = None
        return _SERVER


def current() -> ForkServer | None:
    """The running fork server, if any (never starts one)."""
    server = _SERVER
    return server if server is not None and server.alive else None


def shutdown() -> None:
    """Stop the fork server (tests; a kernel's own just ends with it)."""
    global _SERVER
    with _LOCK:
        server, _SERVER = _SERVER, None
    if server is not None:
        server.close()


def supported() -> bool:
    """Whether this platform can run it; KJUPYTER_FORK_SERVER=0 turns it off (spawn only)."""
    return (
        hasattr(os, "fork")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
        and hasattr(socket, "SOCK_SEQPACKET")
        and os.environ.get("KJUPYTER_FORK_SERVER", "1") != "0"
    )
