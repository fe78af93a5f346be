"""The embedded backend: worker processes on this machine, one socketpair each.

Workers are forked by the kernel's warm fork server (`kjupyter.run.forkserver`) when it runs,
else started with `python -m kjupyter.worker --fd N`; either way they are the same process, in
a session of their own (a Ctrl-C in a terminal reaches the kernel, which cancels, not the
workers directly). The first start without a fork server spawns and starts one for later. A worker
reads end-of-stream when the kernel process dies, for whatever reason, and exits: that is the
local dead-man switch, so no heartbeat is needed.

The kernel watches each worker as a process (a pidfd, see `exit_fd`), not only its socket: a
child a task forked inherits the socket and would hide the worker's death for as long as it
lives. Stopping a worker ends its whole process group, so what its tasks started ends with it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass

from kjupyter.errors import BackendError
from kjupyter.run import backends, forkserver
from kjupyter.run.backends import Backend, Session, Worker
from kjupyter.run.channel import StreamChannel

STOP_WAIT = 2.0  # s a worker gets to exit after goodbye before it is killed


@dataclass
class LocalProcess:
    """What the backend keeps per worker (the engine sees it as `Worker.handle`)."""

    proc: subprocess.Popen | forkserver.ForkedProcess
    pidfd: int | None  # readable once the process ended; None where pidfd_open is missing


class LocalBackend(Backend):
    """Worker processes on this machine."""

    name = "local"
    #: check the signatures of workers' frames (the socketpair makes it needless; tests set it)
    verify_workers = False

    def __init__(self, python: str | None = None, **unknown: object) -> None:
        if unknown:
            names = ", ".join(repr(k) for k in sorted(unknown))
            raise BackendError(
                f"backend 'local' has no option {names}; its only option is python= (options "
                "such as cpu, memory or image are for backend='kubernetes')"
            )
        self.python = python or sys.executable
        self.host = socket.gethostname()
        self.default_workers = max(1, os.cpu_count() or 1)

    def worker_secret(self, session: Session) -> bytes:
        """The secret handed to workers: the session's (a test gives another)."""
        return session.secret

    def start(self, count: int, session: Session) -> list[Worker]:
        env = dict(os.environ, KJUPYTER_SECRET=self.worker_secret(session).hex())
        env.pop("KJUPYTER_SECRET_FILE", None)
        server = forkserver.current()
        if server is not None and not server.serves(self.python, env):
            server = None
        pairs = [socket.socketpair() for _ in range(count)]
        # Each channel's opening goes out before its worker exists: the worker answers it as
        # soon as it runs, instead of waiting for the kernel to hear back from the fork server.
        channels = [self._channel(parent, session) for parent, _ in pairs]
        requests = self._request_forks(server, [child for _, child in pairs], env, session)
        workers: list[Worker] = []
        for n, request in enumerate(requests):
            try:
                forked = self._forked(server, request) if server and request else None
                if forked is None and request:
                    # A late answer might still fork a worker onto this pair: take a new one.
                    for sock in pairs[n]:
                        sock.close()
                    pairs[n] = socket.socketpair()
                    channels[n] = self._channel(pairs[n][0], session)
                child = pairs[n][1]
                proc: subprocess.Popen | forkserver.ForkedProcess = (
                    forked if forked is not None else self._spawn(child, env, session)
                )
            except BaseException:
                for sock in (s for pair in pairs[len(workers) :] for s in pair):
                    sock.close()
                for started in workers:  # all or none: the caller gets no half-started list
                    self.stop(started, force=True)
                raise
            child.close()
            handle = LocalProcess(proc, _pidfd(proc.pid))
            workers.append(Worker(f"local-{proc.pid}", channels[n], host=self.host, handle=handle))
        if forkserver.current() is None and self.python == sys.executable:
            forkserver.warm_up(self.python)  # after the spawns: later starts fork
        return workers

    def _channel(self, parent: socket.socket, session: Session) -> StreamChannel:
        """The kernel's end of a worker's socketpair (its opening is sent at once).

        The socketpair is private to us and our child: the OS vouches for the peer, so the
        kernel skips re-checking worker frames (the worker still checks ours).
        """
        return StreamChannel(parent, session.secret, "kernel", verify_inbound=self.verify_workers)

    def _spawn(
        self, child: socket.socket, env: dict[str, str], session: Session
    ) -> subprocess.Popen:
        cmd = [self.python, "-m", "kjupyter.worker", "--fd", str(child.fileno())]
        return subprocess.Popen(
            [*cmd, "--session", session.id],
            pass_fds=(child.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @staticmethod
    def _request_forks(
        server: forkserver.ForkServer | None,
        children: list[socket.socket],
        env: dict[str, str],
        session: Session,
    ) -> list[int | None]:
        """Fork requests for every worker at once (their starts overlap); None: spawn it."""
        requests: list[int | None] = []
        for child in children:
            try:
                requests.append(server.request(child, env, session.id) if server else None)
            except forkserver.ServerUnavailable:
                server = None
                requests.append(None)
        return requests

    @staticmethod
    def _forked(server: forkserver.ForkServer, request: int) -> forkserver.ForkedProcess | None:
        """The worker the warm server forked, or None (gone, or refused): then spawn."""
        try:
            return server.answer(request)
        except forkserver.ServerUnavailable:
            return None

    def stop(self, worker: Worker, *, force: bool = False) -> None:
        handle: LocalProcess = worker.handle
        proc = handle.proc
        worker.channel.close()
        if not force:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_WAIT)
        # The worker leads its own process group (start_new_session): end the processes its
        # tasks started with it. Done before reaping the worker, while the group surely exists
        # (a forked worker is reaped by the fork server, which does the same).
        if isinstance(proc, forkserver.ForkedProcess):
            proc.kill_group()
        else:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if handle.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(handle.pidfd)
            handle.pidfd = None

    def exit_fd(self, worker: Worker) -> int | None:
        handle: LocalProcess = worker.handle
        return handle.pidfd

    def describe_exit(self, worker: Worker) -> str:
        proc = worker.handle.proc
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(1.0)
        code = proc.returncode
        if code is None and isinstance(proc, forkserver.ForkedProcess) and proc.exited:
            return "exited (its exit code was lost with the fork server)"
        if code is None:
            return "connection lost, process still running"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"


def warm_up() -> None:
    """Start the fork server in the background when local workers are this kernel's default.

    Called at `%load_ext kjupyter`: by the first run it has imported the worker, and workers
    start by fork in milliseconds instead of an interpreter's start (issue 12, Deliver 1).
    """
    if backends.default_name() == "local":
        forkserver.warm_up()
        # and the kernel's own side of a run (engine, capture, cloudpickle: ~50 ms), off the
        # caller's thread: the extension loads as fast as before
        threading.Thread(target=_import_engine, name="kjupyter-warm-up", daemon=True).start()


def _import_engine() -> None:
    with contextlib.suppress(Exception):  # a failed import is raised again at first use
        importlib.import_module("kjupyter.run.api")
        importlib.import_module("cloudpickle")


def _pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (Linux 5.3+), or None: the engine then relies on the socket alone."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


backends.register("local", LocalBackend)
