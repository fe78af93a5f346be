"""Issue 16, defect 6: the dead-man switch counts from the last frame the kernel sent.

The worker runs in a process of its own on a socketpair, the test playing the kernel. Its
clock is the real one plus a skew that a task moves forward: "an hour passed while this task
ran, and the kernel said nothing". No real waiting, so no timing in the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from kjupyter.errors import ChannelClosed
from kjupyter.run import capture, messages, wire
from kjupyter.run.channel import StreamChannel

pytestmark = pytest.mark.timeout(120)

WORKER = """
import os, socket, sys, time
from kjupyter.run.channel import StreamChannel
from kjupyter.worker.session import Session
SKEW = [0.0]
def clock():
    return time.monotonic() + SKEW[0]
sock = socket.socket(fileno=int(sys.argv[1]))
channel = StreamChannel(sock, bytes.fromhex(os.environ["TEST_SECRET"]), "worker")
session = Session(channel, 60.0, clock=clock)
session.serve()
print("expired" if session.idle_expired else "ended", flush=True)
os._exit(0)
"""


def an_hour_passes(x):
    import __main__

    __main__.SKEW[0] += 3600.0  # the kernel was silent all that time
    return x


def test_silence_during_a_task_counts_towards_the_dead_man_switch():
    secret = os.urandom(32)
    kernel_end, worker_end = socket.socketpair()
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(worker_end.fileno())],
        pass_fds=(worker_end.fileno(),),
        env=dict(os.environ, TEST_SECRET=secret.hex()),
        stdout=subprocess.PIPE,
        text=True,
    )
    worker_end.close()
    channel = StreamChannel(kernel_end, secret, "kernel")
    try:
        assert channel.recv(timeout=60)[0][0] == "hello"
        blob = capture.capture_callable(an_hour_passes)
        args = wire.pack_value([1])
        run = ({"kind": "call", "fn": blob.key}, [1], len(args))
        channel.send(("work", [], [(blob.key, len(blob.parts))], [run]), [*blob.parts, *args])
        msg, _ = channel.recv(timeout=60)
        assert msg[0] == "done" and messages.result_rows(msg)[0][1] == "ok"
        # An hour without a frame from us: the worker must be gone, not serve this.
        args = wire.pack_value([2])
        run = ({"kind": "call", "fn": blob.key}, [2], len(args))
        with pytest.raises((ChannelClosed, OSError)):
            channel.send(("work", [], [], [run]), args)
            channel.recv(timeout=60)
        assert proc.stdout.read().strip() == "expired"
    finally:
        channel.close()
        proc.kill()
        proc.wait()
