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

Spares: the server keeps `SPARES` children forked ahead, each in its own session, its signals
reset and the server's descriptors closed, blocked on a handoff socket of its own. A request
goes to a spare (the worker's socket, environment, directory and session id, then the same
steps as a fresh fork from there on), and a new spare is forked once no request waits. Why: a
fork and the child's first steps took ~1 ms a worker, one after the other, on the path of a
pool's first run; handing over to a waiting child takes ~0.1 ms. A spare whose server ends
sees its handoff socket close and exits.

Rehearsals: before its first fork the server runs a worker's start-up steps a few times
against itself (`kjupyter.worker.rehearsal`: argparse, environment, handshake, hello, a
first task, two threads), then freezes its heap out of the collector's sight (`gc.freeze`);
each spare runs them once more before it waits, once no request came for `REHEARSAL_DELAY`
s (a pool's workers, handed over as the spare was forked, start in the meantime; a request
that comes sooner is served unrehearsed, as before). Why: a forked child pays a page fault
for every page it first writes, and the first run of a step fills caches and specialises
bytecode; that was most of a forked worker's start (~700 faults to its hello, measured,
~25 now). A worker unfreezes the heap as it starts: its collector sees what a spawned
worker's sees.
"""

from __future__ import annotations

import contextlib
import gc
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
SPARES = 2  # children forked ahead of requests (a local pool starts 2 workers by default)
# s a fresh spare waits for a request before it rehearses: forked as a pool's workers start,
# its rehearsal (~2 ms of CPU) would otherwise run beside them, on the same few cores
REHEARSAL_DELAY = 0.1
REHEARSALS = 8  # starts the server rehearses: CPython 3.11 specialises hot code after a few

WorkerMain = Callable[..., int]


def preload() -> None:
    """Import what a worker imports before its hello, and what its first task needs."""
    import cloudpickle  # noqa: F401  (every function and closure travels through it)

    import kjupyter.worker.session  # noqa: F401


def send(ctrl: socket.socket, msg: Any) -> None:
    ctrl.sendmsg([wire.dumps_message(msg)])


def serve(fd: int, worker_main: WorkerMain, rehearse: Callable[[int], None] | None = None) -> int:
    """Fork workers on request until the kernel goes away; `worker_main` is the worker's main,
    `rehearse` runs its start-up steps once here, before the first fork (see `rehearsal`)."""
    ctrl = socket.socket(fileno=fd)
    ctrl.set_inheritable(False)
    kernel_pid = os.getppid()
    preload()
    if rehearse is not None:
        with contextlib.suppress(Exception):  # only a warm-up: the workers do it again anyway
            rehearse(REHEARSALS)
    # What the server holds now lives as long as it: out of the collector's sight, so that a
    # child's collections neither walk it nor copy its pages (`gc.freeze`); a worker puts it
    # back in sight as it starts (`_become_worker`), as a spawned worker has it.
    gc.collect()
    gc.freeze()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    children: set[int] = set()
    spares: dict[int, socket.socket] = {}  # pid -> our end of its handoff socket
    server_fds = (ctrl.fileno(), wake_r, wake_w)
    wanted = SPARES  # 0 once a spare could not be forked: requests fork as they come
    try:
        send(ctrl, ("ready", os.getpid()))
    except OSError:
        return 0  # the kernel left before this server was up (a script that ended): no work
    while True:
        watched: list[socket.socket | int] = [ctrl, wake_r]
        # no request waiting: the time to fork spares (never on a request's path)
        timeout = 0.0 if len(spares) < wanted else None
        ready = select.select(watched, [], [], timeout)[0]
        if wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(wake_r, 4096)
        _reap(ctrl, children, spares)
        if not ready:
            if not _fork_spare(worker_main, rehearse, kernel_pid, server_fds, children, spares):
                wanted = 0
            continue
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
            spare = _hand_over(spares, fds[0], (env, cwd, session))
            if spare is not None:
                send(ctrl, ("forked", request, spare, ""))
                continue
            try:
                pid = os.fork()
            except OSError as err:
                os.close(fds[0])
                send(ctrl, ("forked", request, None, f"fork failed: {err}"))
                continue
            if pid == 0:
                for handoff in spares.values():  # the spares' handoffs are not this worker's
                    handoff.close()
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


def _fork_spare(
    worker_main: WorkerMain,
    rehearse: Callable[[int], None] | None,
    kernel_pid: int,
    server_fds: tuple[int, ...],
    children: set[int],
    spares: dict[int, socket.socket],
) -> bool:
    """Fork a child that waits for a request (see Spares in the module docstring); False if
    none could be forked."""
    try:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except OSError:
        return False
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        return False
    if pid == 0:
        ours.close()
        for other in spares.values():  # the other spares' handoffs are not this child's
            other.close()
        _wait_for_request(worker_main, rehearse, theirs, kernel_pid, server_fds)
    theirs.close()
    children.add(pid)
    spares[pid] = ours
    return True


def _hand_over(spares: dict[int, socket.socket], fd: int, request: tuple[Any, ...]) -> int | None:
    """Give a request to a waiting spare; its pid, or None when there is none left."""
    while spares:
        pid, handoff = spares.popitem()
        try:
            socket.send_fds(handoff, [wire.dumps_message(request)], [fd])
        except OSError:
            continue  # it died meanwhile (its exit is reaped and reported as any child's)
        finally:
            handoff.close()
        os.close(fd)  # only the worker holds its end: its dead-man switch depends on it
        return pid
    return None


def _wait_for_request(
    worker_main: WorkerMain,
    rehearse: Callable[[int], None] | None,
    handoff: socket.socket,
    kernel_pid: int,
    server_fds: tuple[int, ...],
) -> None:
    """In a spare: wait for a request, then become its worker. Never returns.

    Unless a request comes within `REHEARSAL_DELAY` s, the spare first rehearses a worker's
    start (see `rehearsal`): the pages a start writes are copied from the server's now, not
    after the request (a forked child pays a fault per page it first writes).
    """
    try:
        _shed_server(server_fds)
        if rehearse is not None and not select.select([handoff], [], [], REHEARSAL_DELAY)[0]:
            with contextlib.suppress(Exception):
                rehearse(1)
        data, fds, _, _ = socket.recv_fds(handoff, MAX_PACKET, 1)
        handoff.close()
        if not data or len(fds) != 1:
            os._exit(0)  # the server ended (no request will come)
        env, cwd, session = wire.loads_message(data)
    except BaseException:
        os._exit(0)
    _become_worker(worker_main, fds[0], env, cwd, session, kernel_pid, ())


def _shed_server(server_fds: tuple[int, ...]) -> None:
    """In a child: a session of its own, default signals, none of the server's descriptors."""
    os.setsid()  # a session and process group of its own, as start_new_session gives
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for server_fd in server_fds:
        with contextlib.suppress(OSError):
            os.close(server_fd)


def _reap(ctrl: socket.socket, children: set[int], spares: dict[int, socket.socket]) -> None:
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
        handoff = spares.pop(pid, None)
        if handoff is not None:  # a spare that ended before any request reached it
            handoff.close()
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
        gc.unfreeze()  # what the server froze (see `serve`): in this worker's sight again
        if server_fds:  # a fresh fork; a spare shed them as it was forked
            _shed_server(server_fds)
        take_environment(env)
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


def take_environment(env: dict[str, str]) -> None:
    """Make `os.environ` (and the C environment) exactly `env`, changing only what differs.

    Why not clear() and update(): the kernel's environment is the server's plus a few
    variables, and clearing walks every key in Python (quadratic in `MutableMapping.clear`):
    ~0.5 ms on a worker's path, for the same result.
    """
    for key in [k for k in os.environ if k not in env]:
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
