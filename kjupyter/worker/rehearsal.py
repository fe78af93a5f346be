"""A worker's start-up steps, rehearsed against itself in the fork server before it forks.

Why: a forked worker that runs a step for the first time pays for it on the path of a cold
start: imports done inside functions, caches filled on first use (hmac's digest, struct
formats, argparse's), bytecode that specialises only after a few calls. Done here a few
times, in the server, every child finds them done. The rehearsal is the worker's own code
over a socketpair of its own, with the kernel's side written by hand (this process knows
the worker's nonce, so the proof can be sent before the worker's opening is read): no
thread, nothing left behind (its sockets are closed and its objects collected), no signal
or descriptor of the server's touched.

The task it runs is its own (a closure of this module, pickled by value as a notebook's
function is): no user code and no pickle of the kernel's ever reaches the server.
"""

from __future__ import annotations

import gc
import os
import socket
import threading
from collections.abc import Callable

from kjupyter.run import channel, messages, wire
from kjupyter.run.channel import StreamChannel
from kjupyter.worker import forkserver
from kjupyter.worker import session as worker_session


def rehearse(rounds: int) -> None:
    """Run a worker's start (environment, handshake, hello, first frame) `rounds` times,
    then collect."""
    for _ in range(rounds):
        environ = dict(os.environ)  # a worker takes the kernel's environment: the same steps
        forkserver.take_environment({**environ, "KJUPYTER_REHEARSAL": "1"})
        forkserver.take_environment(environ)
        _one()
    _threads()
    gc.collect()  # a session holds cycles: no channel of the rehearsal outlives it


def _threads() -> None:
    """Two threads alive at once, then joined, as a worker's reader and flusher will be.

    Why: a thread's first run faults in its stack and its malloc arena (~70 page faults for
    the two, measured, between a worker's hello and its first task); glibc keeps both for
    the next threads of this process, so the worker's own threads start in memory already touched.
    """
    go = threading.Event()

    def run() -> None:
        go.wait()
        _ = [bytearray(256) for _ in range(256)]  # touches this thread's arena

    threads = [threading.Thread(target=run, name="kjupyter-rehearsal") for _ in range(2)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join()


def _task() -> Callable[[int], int]:
    offset = 1

    def rehearsed(x: int) -> int:  # a closure: cloudpickle sends it by value
        return x + offset

    return rehearsed


def _one() -> None:
    secret = os.urandom(32)
    kernel, ours = socket.socketpair()
    try:
        worker = StreamChannel(
            ours, secret, "worker", sign_outbound=False, handshake_timeout=None, private=True
        )
        opening = channel.GREETING + channel.PLAIN + os.urandom(channel.NONCE_SIZE)
        # the worker answers a kernel's offer of plain frames with plain, keeping its nonce
        answer = channel.GREETING + channel.PLAIN + worker._opening[-channel.NONCE_SIZE :]
        kernel.sendall(opening)
        kernel.sendall(channel.kernel_proof(channel.derive_key(secret, opening, answer)))
        worker.handshake()
        served = worker_session.Session(worker, None, leads_group=True)
        try:
            worker.send(messages.hello(worker_session.worker_info()))
            # a first task, as a map sends it: a function pickled by value, its items apart
            fn, items = wire.pack_value(_task()), wire.pack_value([0])
            program = {"kind": "call", "fn": "rehearsal"}
            work = messages.work([], [("rehearsal", len(fn))], [(program, (0, 1), len(items))])
            for buffer in wire.encode_frame([wire.dumps_message(work), *fn, *items], None, 0):
                kernel.sendall(buffer)
            msg, atts = worker.recv()
            served.handle(msg, atts)
            served.execute(served.queue.popleft())  # its result goes into `kernel`, unread
        finally:
            served._wake_main.close()
            served._wake_reader.close()
        worker.close()
    finally:
        kernel.close()
        ours.close()
