"""Issue 12, Deliver 1: on a private socketpair the first work goes out with the key proof,
before the worker's hello; a worker that refuses the proof has run none of it."""

from __future__ import annotations

import os
import socket
import threading

import pytest

import kjupyter
from kjupyter.run import backends, engine, wire
from kjupyter.run.channel import StreamChannel
from kjupyter.run.local import LocalBackend

pytestmark = pytest.mark.timeout(120)


class ForeignPlainBackend(LocalBackend):
    """Local workers given another session secret, on plain frames (the kernel trusts the
    socketpair, as the local backend does): they refuse the kernel's proof."""

    name = "foreign-plain"

    def worker_secret(self, session):
        return os.urandom(32)


SECRET = b"s" * 32

backends.register("foreign-plain", ForeignPlainBackend)


@pytest.fixture
def first_sends(monkeypatch):
    """Whether each worker had said hello when the engine first sent it work."""
    seen: dict[str, bool] = {}
    original = engine.Engine._send

    def send(self, worker, chunks):
        seen.setdefault(worker.name, worker.ready)
        return original(self, worker, chunks)

    monkeypatch.setattr(engine.Engine, "_send", send)
    return seen


def test_a_local_worker_gets_its_first_work_with_the_proof(first_sends):
    assert kjupyter.map(abs, [-1, -2], workers=2, values=True, quiet=True) == [1, 2]
    assert first_sends and not any(first_sends.values())


@pytest.mark.parametrize("private", [True, False], ids=["plain", "signed"])
def test_only_a_plain_keyed_channel_takes_work_before_the_hello(private):
    # Plain frames are agreed only on a socketpair the kernel made, with a worker that was
    # told its parent is the kernel; anything else (pods, listeners) waits for the hello.
    ours, theirs = socket.socketpair()
    kernel = StreamChannel(ours, SECRET, "kernel", verify_inbound=not private)
    worker = StreamChannel(theirs, SECRET, "worker", sign_outbound=not private, private=private)
    shaking = threading.Thread(target=worker.handshake)
    shaking.start()
    one = backends.Worker("w", kernel, host="here")
    assert not engine._sendable(one)  # not keyed yet
    kernel.handshake()
    shaking.join()
    assert engine._sendable(one) is private
    kernel.close()
    worker.close()


def test_work_sent_to_a_worker_that_refuses_the_proof_is_not_charged(first_sends):
    frame = kjupyter.map(abs, [1, 2], workers=1, backend="foreign-plain", quiet=True)
    assert set(frame["status"]) == {"lost"}
    assert "key mismatch" in frame.loc[0, "error"]
    assert list(frame["attempts"]) == [0, 0]  # it read nothing: nothing ran
    assert first_sends and not any(first_sends.values())  # it was sent work all the same


@pytest.mark.parametrize("said", [wire.REFUSAL, b""], ids=["refused", "closed"])
def test_a_refusal_is_seen_after_the_worker_is_gone_and_a_send_failed(said):
    # The race of the test above, made certain: the worker refused the proof and exited
    # before the kernel's work was written; the kernel must still call it a key mismatch.
    ours, theirs = socket.socketpair()
    kernel = StreamChannel(ours, SECRET, "kernel", verify_inbound=False)
    theirs.sendall(said)
    theirs.close()
    with pytest.raises(OSError):
        kernel.sock.sendall(b"work" * 1000)
    assert kernel.refused() is bool(said)
    kernel.close()
