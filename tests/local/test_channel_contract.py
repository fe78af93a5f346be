"""One contract for every stream transport the channel runs over (DESIGN: transports).

The same checks run over a socketpair (local workers), TCP on loopback (pod IPs and
port-forward's local end) and a unix socket, each with sealed (encrypted) and signed-only
frames: round trips both ways, pipelining, concurrent senders, large attachments without loss,
end of stream, wrong keys, idle timeouts.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator

import pytest

from kjupyter.errors import AuthenticationError, ChannelClosed, ProtocolError
from kjupyter.run.channel import IdleTimeout, StreamChannel

SECRET = os.urandom(32)


def _socketpair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair()


def _tcp() -> tuple[socket.socket, socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
    return client, accepted


def _unix() -> tuple[socket.socket, socket.socket]:
    path = os.path.join(tempfile.mkdtemp(), "channel.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen(1)
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)
        accepted, _ = server.accept()
    os.unlink(path)
    return client, accepted


TRANSPORTS = {"socketpair": _socketpair, "tcp-loopback": _tcp, "unix-socket": _unix}


MODES = {"sealed": True, "signed": False}


@pytest.fixture(params=[(t, m) for t in sorted(TRANSPORTS) for m in MODES], ids="-".join)
def connect(request) -> Iterator:
    """`connect(kernel_secret, worker_secret)` → (kernel channel, worker channel), handshaken.

    The worker's handshake error, if any (a wrong key), is raised here.
    """
    opened: list[StreamChannel] = []
    transport, mode = request.param

    def make(kernel_secret: bytes = SECRET, worker_secret: bytes = SECRET):
        a, b = TRANSPORTS[transport]()
        sealed = MODES[mode]
        kernel = StreamChannel(a, kernel_secret, "kernel", encrypt=sealed)
        worker = StreamChannel(b, worker_secret, "worker", encrypt=sealed)
        opened.extend((kernel, worker))
        return handshaken(kernel, worker, 10)

    yield make
    for channel in opened:
        channel.close()


def handshaken(
    kernel: StreamChannel, worker: StreamChannel, timeout: float
) -> tuple[StreamChannel, StreamChannel]:
    """Both ends' handshakes, the worker's in a thread; its error (a wrong key) raised here."""
    failed: list[BaseException] = []

    def shake() -> None:
        try:
            worker.handshake(timeout)
        except BaseException as err:  # handed to the caller below
            failed.append(err)

    thread = threading.Thread(target=shake)
    thread.start()
    kernel.handshake(timeout)
    thread.join(timeout)
    if failed:
        raise failed[0]
    return kernel, worker


def transfer(sender: StreamChannel, receiver: StreamChannel, msg, parts=()):
    """Send from a thread (a large frame fills the socket buffer) and receive here."""
    thread = threading.Thread(target=sender.send, args=(msg, list(parts)))
    thread.start()
    try:
        return receiver.recv(timeout=10)
    finally:
        thread.join(10)


def test_messages_and_attachments_round_trip_both_ways(connect):
    kernel, worker = connect()
    big = os.urandom(8 * 1024 * 1024)
    msg, parts = transfer(kernel, worker, ("task", 1, {"x": [1, 2.5, None]}), [b"", b"s", big])
    assert msg == ("task", 1, {"x": [1, 2.5, None]})
    assert [bytes(p) for p in parts] == [b"", b"s", big]
    msg, parts = transfer(worker, kernel, ("done", 1), [memoryview(big)[:1000]])
    assert msg == ("done", 1) and bytes(parts[0]) == big[:1000]


def test_many_frames_in_flight_arrive_in_order(connect):
    kernel, worker = connect()
    received: list[int] = []

    def drain() -> None:
        for _ in range(2000):
            received.append(worker.recv(timeout=10)[0][1])

    reader = threading.Thread(target=drain)
    reader.start()
    for i in range(2000):  # sent without waiting for any answer (pipelining)
        kernel.send(("task", i))
    reader.join(30)
    assert received == list(range(2000))


def test_concurrent_senders_never_interleave_frames(connect):
    kernel, worker = connect()
    payload = {name: bytes([n]) * 300_000 for n, name in enumerate("abcd")}

    def send(name: str) -> None:
        for i in range(20):
            kernel.send((name, i), [payload[name]])

    threads = [threading.Thread(target=send, args=(name,)) for name in payload]
    for thread in threads:
        thread.start()
    seen: dict[str, list[int]] = {name: [] for name in payload}
    for _ in range(80):
        (name, i), (part,) = worker.recv(timeout=10)
        assert bytes(part) == payload[name]
        seen[name].append(i)
    for thread in threads:
        thread.join(10)
    assert all(order == list(range(20)) for order in seen.values())


def test_end_of_stream_is_channel_closed(connect):
    kernel, worker = connect()
    kernel.send(("hello",))
    assert worker.recv(timeout=10)[0] == ("hello",)
    kernel.close()
    with pytest.raises(ChannelClosed):
        worker.recv(timeout=10)


def test_a_peer_with_another_key_is_refused_and_the_channel_not_reused(connect):
    with pytest.raises(AuthenticationError, match="did not prove the session key"):
        connect(kernel_secret=os.urandom(32))


def test_a_worker_refuses_a_kernel_that_fails_the_proof_and_is_not_reused():
    a, b = socket.socketpair()
    kernel = StreamChannel(a, os.urandom(32), "kernel")
    worker = StreamChannel(b, SECRET, "worker")
    thread = threading.Thread(target=lambda: kernel.handshake(10))
    thread.start()
    with pytest.raises(AuthenticationError):
        worker.handshake(10)
    thread.join(10)
    with pytest.raises(ChannelClosed):
        worker.recv(timeout=1)
    kernel.close()
    worker.close()


def test_a_sealed_and_a_signed_end_refuse_each_other_in_one_line():
    a, b = socket.socketpair()
    kernel = StreamChannel(a, SECRET, "kernel", encrypt=False)
    worker = StreamChannel(b, SECRET, "worker", encrypt=True)
    with pytest.raises(ProtocolError, match="peer wants signed-only frames, this side encrypted"):
        worker.handshake(10)
    with pytest.raises(ProtocolError, match="peer wants encrypted frames, this side signed-only"):
        kernel.handshake(10)
    kernel.close()
    worker.close()


def test_tcp_is_sealed_and_unix_sockets_signed_by_default():
    for make, sealed in ((_tcp, True), (_unix, False), (_socketpair, False)):
        a, b = make()
        assert StreamChannel(a, SECRET, "kernel").encrypted is sealed
        assert StreamChannel(b, SECRET, "worker").encrypted is sealed
        a.close()
        b.close()


def test_recv_times_out_when_nothing_comes(connect):
    kernel, worker = connect()
    kernel.send(("hello",))
    worker.recv(timeout=10)
    with pytest.raises(IdleTimeout):
        worker.recv(timeout=0.2)
