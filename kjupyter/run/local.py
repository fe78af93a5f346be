"""The embedded backend: worker processes on this machine, one socketpair each.

Workers are started with `python -m kjupyter.worker --fd N` in a session of their own (a
Ctrl-C in a terminal reaches the kernel, which cancels, not the workers directly). A worker
reads end-of-stream when the kernel process dies, for whatever reason, and exits: that is the
local dead-man switch, so no heartbeat is needed.

The kernel watches each worker as a process (a pidfd, see `exit_fd`), not only its socket: a
child a task forked inherits the socket and would hide the worker's death for as long as it
lives. Stopping a worker ends its whole process group, so what its tasks started ends with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass

from kjupyter.errors import BackendError
from kjupyter.run import backends
from kjupyter.run.backends import Backend, Session, Worker
from kjupyter.run.channel import StreamChannel

STOP_WAIT = 2.0  # s a worker gets to exit after goodbye before it is killed


@dataclass
class LocalProcess:
    """What the backend keeps per worker (the engine sees it as `Worker.handle`)."""

    proc: subprocess.Popen
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
        workers: list[Worker] = []
        for _ in range(count):
            parent, child = socket.socketpair()
            cmd = [self.python, "-m", "kjupyter.worker", "--fd", str(child.fileno())]
            try:
                proc = subprocess.Popen(
                    [*cmd, "--session", session.id],
                    pass_fds=(child.fileno(),),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except BaseException:
                parent.close()
                child.close()
                for started in workers:  # all or none: the caller gets no half-started list
                    self.stop(started, force=True)
                raise
            child.close()
            # The socketpair is private to us and our child: the OS vouches for the peer, so
            # the kernel skips re-checking worker frames (the worker still checks ours).
            channel = StreamChannel(
                parent, session.secret, "kernel", verify_inbound=self.verify_workers
            )
            handle = LocalProcess(proc, _pidfd(proc.pid))
            workers.append(Worker(f"local-{proc.pid}", channel, host=self.host, handle=handle))
        return workers

    def stop(self, worker: Worker, *, force: bool = False) -> None:
        handle: LocalProcess = worker.handle
        proc = handle.proc
        worker.channel.close()
        if not force:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_WAIT)
        # The worker leads its own process group (start_new_session): end the processes its
        # tasks started with it. Done before reaping the worker, while the group surely exists.
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
        if code is None:
            return "connection lost, process still running"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"


def _pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (Linux 5.3+), or None: the engine then relies on the socket alone."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


backends.register("local", LocalBackend)
