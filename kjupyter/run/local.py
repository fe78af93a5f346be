"""The embedded backend: worker processes on this machine, one socketpair each.

Workers are started with `python -m kjupyter.worker --fd N` in a session of their own (a
Ctrl-C in a terminal reaches the kernel, which cancels, not the workers directly). A worker
reads end-of-stream when the kernel process dies, for whatever reason, and exits: that is the
local dead-man switch, so no heartbeat is needed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys

from kjupyter.run import backends
from kjupyter.run.backends import Backend, Session, Worker
from kjupyter.run.channel import StreamChannel

STOP_WAIT = 2.0  # s a worker gets to exit after goodbye before it is killed


class LocalBackend(Backend):
    """Worker processes on this machine."""

    name = "local"

    def __init__(self, python: str | None = None) -> None:
        self.python = python or sys.executable
        self.host = socket.gethostname()
        self.default_workers = max(1, os.cpu_count() or 1)

    def start(self, count: int, session: Session) -> list[Worker]:
        env = dict(os.environ, KJUPYTER_SECRET=session.secret.hex())
        env.pop("KJUPYTER_SECRET_FILE", None)
        workers = []
        for _ in range(count):
            parent, child = socket.socketpair()
            cmd = [self.python, "-m", "kjupyter.worker", "--fd", str(child.fileno())]
            proc = subprocess.Popen(
                [*cmd, "--session", session.id],
                pass_fds=(child.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            child.close()
            # The socketpair is private to us and our child: the OS vouches for the peer, so
            # the kernel skips re-checking worker frames (the worker still checks ours).
            channel = StreamChannel(parent, session.secret, "kernel", verify_inbound=False)
            workers.append(Worker(f"local-{proc.pid}", channel, host=self.host, handle=proc))
        return workers

    def stop(self, worker: Worker, *, force: bool = False) -> None:
        proc: subprocess.Popen = worker.handle
        worker.channel.close()
        if not force:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_WAIT)
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def describe_exit(self, worker: Worker) -> str:
        proc: subprocess.Popen = worker.handle
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(1.0)
        code = proc.returncode
        if code is None:
            return "connection lost, process still running"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"


backends.register("local", LocalBackend)
