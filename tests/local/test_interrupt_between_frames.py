"""A Ctrl-C that lands while the kernel reads a frame is raised once the frame is whole.

Raised inside the read it tore the channel, and the engine lost the worker: an interrupted
session cell had a rank rebuilt by replay (tests/local/test_sessions_rebuild.py's interrupt
test failed about one run in fifteen on a loaded machine: "interrupted mid-frame").
"""

from __future__ import annotations

import os
import signal
import socket
import threading

import pytest

from kjupyter.run import interrupts
from kjupyter.run.channel import StreamChannel
from tests.local.test_channel_contract import SECRET, handshaken


class FirstWriteSplit:
    """A worker socket whose first frame goes out in two writes; between them, once the
    kernel has read the first part (it is then inside the frame), SIGINT to the main thread."""

    def __init__(self, sock: socket.socket, kernel_sock: socket.socket) -> None:
        self.sock, self.kernel_sock, self.split = sock, kernel_sock, True

    def sendall(self, data: bytes) -> None:
        if not self.split:
            self.sock.sendall(data)
            return
        self.split = False
        view = memoryview(data)
        self.sock.sendall(view[:1000])
        while self._unread():
            pass  # the kernel's read takes it within microseconds; nothing else to wait on
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        self.sock.sendall(view[1000:])

    def _unread(self) -> bool:
        try:
            return bool(self.kernel_sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except BlockingIOError:
            return False

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


def test_a_ctrl_c_inside_a_frame_waits_for_its_end_and_the_channel_stays_whole():
    a, b = socket.socketpair()
    kernel = StreamChannel(a, SECRET, "kernel", encrypt=True)
    worker = StreamChannel(b, SECRET, "worker", encrypt=True)
    handshaken(kernel, worker, 10)
    payload = os.urandom(1 << 20)
    worker.sock = FirstWriteSplit(b, a)  # type: ignore[assignment]
    sender = threading.Thread(target=worker.send, args=(("done", 1), [payload]))
    received = []
    sender.start()
    with pytest.raises(KeyboardInterrupt), interrupts.between_frames():
        msg, attachments = kernel.recv(timeout=30)
        received.append((msg, bytes(attachments[0])))
        interrupts.raise_if_pending()
    sender.join()
    assert received == [(("done", 1), payload)]  # the whole frame, then the Ctrl-C
    assert not kernel.broken
    worker.send(("ping",))
    assert kernel.recv(timeout=30)[0] == ("ping",)  # and the channel goes on
    kernel.close()
    worker.close()


def test_outside_a_frame_a_ctrl_c_is_raised_at_once():
    with pytest.raises(KeyboardInterrupt), interrupts.between_frames():
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        raise AssertionError("the Ctrl-C was not raised")  # (its handler runs before this)
