"""A warm fork server: local workers forked from a process that has imported their code.

    python -m kjupyter.worker --fork-server FD     FD: a SOCK_SEQPACKET socketpair end

Why: a spawned worker pays the interpreter's start and the worker's imports (~0.1 s here)
before its hello; a fork of a process that already did both answers in a few milliseconds.
The kernel cannot fork itself safely (threads, ZeroMQ), but this process can: it is single
threaded, imports only the worker's modules (and cloudpickle), and does nothing but fork.

Control messages (`wire.dumps_message` pickles of builtins, one per packet):
    kernel → server  ("fork", request_id, secret_env, env, cwd, session) + the worker's
                     socketpair end as SCM_RIGHTS; ("kill", pid): end that worker's group.
    server → kernel  ("ready", pid); ("forked", request_id, pid | None, error);
                     ("exit", pid, returncode) once a forked worker ended and its group with it.
A forked child becomes exactly what `python -m kjupyter.worker --fd N --session ID` would be:
a session (and process group) of its own, default signal dispositions, the environment and
working directory the kernel has now, no descriptor but its channel and stdio. The server
reaps its children and ends each one's process group while the dead leader still holds the
group id (as the local backend does for spawned workers). It exits when the kernel does
(end of stream on its socket); the workers see their own channels close and exit too.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any

from kjupyter.run import wire

MAX_PACKET = 1 << 20  # a fork request carries an environment: far below this

WorkerMain = Callable[..., int]


def preload() -> None:
    """Import what a worker imports before its hello, and what its first task needs."""
    import cloudpickle  # noqa: F401  (every function and closure travels through it)

    import kjupyter.worker.session  # noqa: F401


def send(ctrl: socket.socket, msg: Any) -> None:
    ctrl.sendmsg([wire.dumps_message(msg)])


def serve(fd: int, worker_main: WorkerMain) -> int:
    """Fork workers on request until the kernel goes away; `worker_main` is the worker's main."""
    ctrl = socket.socket(fileno=fd)
    ctrl.set_inheritable(False)
    kernel_pid = os.getppid()
    preload()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    children: set[int] = set()
    try:
        send(ctrl, ("ready", os.getpid()))
    except OSError:
        return 0  # the kernel left before this server was up (a script that ended): no work
    while True:
        watched: list[socket.socket | int] = [ctrl, wake_r]
        ready = select.select(watched, [], [])[0]
        if wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(wake_r, 4096)
        _reap(ctrl, children)
        if ctrl not in ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(ctrl, MAX_PACKET, 1)
        except OSError:
            data, fds = b"", []
        if not data:
            return 0  # the kernel is gone; its workers see their own channels close
        msg = wire.loads_message(data)
        if msg[0] == "fork":
            _, request, env, cwd, session = msg
            if len(fds) != 1:
                send(ctrl, ("forked", request, None, "no socket came with the request"))
                continue
            try:
                pid = os.fork()
            except OSError as err:
                os.close(fds[0])
                send(ctrl, ("forked", request, None, f"fork failed: {err}"))
                continue
            if pid == 0:
                _become_worker(
                    worker_main,
                    fds[0],
                    env,
                    cwd,
                    session,
                    kernel_pid,
                    (ctrl.fileno(), wake_r, wake_w),
                )
            os.close(fds[0])  # only the worker holds its end: its dead-man switch depends on it
            children.add(pid)
            send(ctrl, ("forked", request, pid, ""))
        elif msg[0] == "kill":
            for extra in fds:
                os.close(extra)
            if msg[1] in children:  # not yet reaped: the group id is surely still its own
                with contextlib.suppress(OSError):
                    os.killpg(msg[1], signal.SIGKILL)


def _reap(ctrl: socket.socket, children: set[int]) -> None:
    """Report every child that ended, after killing what is left of its process group.

    `WNOWAIT` first: while the dead leader is unreaped its pid (the group id) cannot be reused,
    so the group kill cannot hit a stranger.
    """
    while children:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None:
            return
        pid = info.si_pid
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        children.discard(pid)
        with contextlib.suppress(OSError):
            send(ctrl, ("exit", pid, os.waitstatus_to_exitcode(status)))


def _become_worker(
    worker_main: WorkerMain,
    fd: int,
    env: dict[str, str],
    cwd: str,
    session: str,
    kernel_pid: int,
    server_fds: tuple[int, ...],
) -> None:
    """In the forked child: shed the server's state, then run the worker's main. Never returns."""
    code: Any = 1
    try:
        os.setsid()  # a session and process group of its own, as start_new_session gives
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for server_fd in server_fds:
            os.close(server_fd)
        os.environ.clear()
        os.environ.update(env)
        if os.getcwd() != cwd:
            if sys.path and sys.path[0] == os.getcwd():  # `python -m` put the cwd first
                sys.path[0] = cwd
            os.chdir(cwd)
        args = ["--fd", str(fd), "--session", session]
        sys.argv = [sys.argv[0], *args]
        code = worker_main(args, parent_pid=kernel_pid)
    except SystemExit as stop:
        code = stop.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 0 if code is None else 1)
