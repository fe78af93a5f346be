"""Who signs what: a worker on its parent's socketpair sends unsigned frames (the OS vouches
for the peer and the kernel does not check them); over TCP it signs, a verifying kernel
refuses unsigned frames, and a worker verifies what it receives on either transport."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

from kjupyter.errors import AuthenticationError, ProtocolError
from kjupyter.run import channel as channels
from kjupyter.run import wire

SECRET = os.urandom(32)


def spawn_on_socketpair() -> tuple[subprocess.Popen, socket.socket]:
    parent, child = socket.socketpair()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--fd", str(child.fileno())],
        pass_fds=(child.fileno(),),
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
    )
    child.close()
    return proc, parent


def test_worker_on_its_parents_socketpair_sends_unsigned_frames():
    for verify in (False, True):
        proc, sock = spawn_on_socketpair()
        try:
            chan = channels.StreamChannel(sock, SECRET, "kernel", verify_inbound=verify)
            if verify:  # a kernel that checks sees the hello unsigned
                with pytest.raises(AuthenticationError):
                    chan.recv(timeout=30)
            else:
                assert chan.recv(timeout=30)[0][0] == "hello"
        finally:
            sock.close()
            proc.wait(30)


def test_worker_on_a_socketpair_still_verifies_its_kernel():
    parent, child = socket.socketpair()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--fd", str(child.fileno())],
        pass_fds=(child.fileno(),),
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
        stderr=subprocess.PIPE,
        text=True,
    )
    child.close()
    try:
        chan = channels.StreamChannel(parent, os.urandom(32), "kernel", verify_inbound=False)
        with pytest.raises(AuthenticationError, match="refused"):  # no hello, but a reason
            chan.recv(timeout=30)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 1 and "did not prove the session key" in stderr, stderr
        assert "Traceback" not in stderr
    finally:
        parent.close()


def test_worker_over_tcp_seals_its_frames():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--connect", f"127.0.0.1:{port}"],
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
    )
    try:
        listener.settimeout(30)
        conn, _ = listener.accept()
        chan = channels.StreamChannel(conn, SECRET, "kernel")  # verifies
        assert chan.encrypted
        msg, _ = chan.recv(timeout=30)
        assert msg[0] == "hello"
        chan.send(("bye",))
        assert proc.wait(30) == 0
    finally:
        listener.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_verifying_kernel_refuses_an_unsigned_frame():
    a, b = socket.socketpair()
    kernel = channels.StreamChannel(a, SECRET, "kernel")
    worker = channels.StreamChannel(b, SECRET, "worker", sign_outbound=False)
    shaking = threading.Thread(target=kernel.handshake, args=(10,))
    shaking.start()
    worker.send(("hello", {}))
    shaking.join(10)
    with pytest.raises(AuthenticationError):
        kernel.recv(timeout=5)
    a.close()
    b.close()


def test_a_worker_of_another_protocol_version_is_named_at_the_handshake():
    old_greeting = channels.GREETING[:3] + bytes([channels.GREETING[3] - 1])
    for greeting, expected in (
        (old_greeting, "speaks kjupyter protocol"),
        (b"HTTP", "no kjupyter greeting"),
    ):
        ours, theirs = socket.socketpair()
        try:
            chan = channels.StreamChannel(ours, SECRET, "kernel")
            theirs.sendall(greeting + os.urandom(channels.NONCE_SIZE))
            with pytest.raises(ProtocolError, match=expected):
                chan.handshake(timeout=30)
        finally:
            ours.close()
            theirs.close()


def test_a_listening_worker_survives_a_peer_of_another_version():
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--listen", "127.0.0.1:0"],
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        stranger = socket.create_connection(("127.0.0.1", port), timeout=30)
        stranger.sendall(b"KJC\x00" + os.urandom(channels.NONCE_SIZE))
        stranger.settimeout(30)
        received = b""
        while chunk := stranger.recv(64):  # until the worker hangs up on us...
            received += chunk
        assert received[:3] == b"KJC" and len(received) == channels.OPENING_SIZE
        stranger.close()
        good = channels.StreamChannel(
            socket.create_connection(("127.0.0.1", port), timeout=30), SECRET, "kernel"
        )
        assert good.recv(timeout=30)[0][0] == "hello"  # ...and serves the next kernel
        good.send(("bye",))
        good.close()
    finally:
        proc.kill()
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()


def test_a_worker_whose_kernel_left_before_its_hello_exits_quietly():
    parent, child = socket.socketpair()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--fd", str(child.fileno())],
        pass_fds=(child.fileno(),),
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
        stderr=subprocess.PIPE,
        text=True,
    )
    child.close()
    parent.close()  # the kernel is gone before the worker could say hello
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr


def test_a_local_worker_waits_for_its_kernel_to_prove_the_key_as_long_as_it_lives():
    """A warm pool's kernel proves the key only when it first reads from a worker (a job):
    the handshake deadline for unknown peers must not end a worker its parent started."""
    parent, child = socket.socketpair()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "kjupyter.worker", "--fd", str(child.fileno())),
            *("--handshake-timeout", "0.5"),  # for unknown peers: not this worker's parent
        ],
        pass_fds=(child.fileno(),),
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
        stderr=subprocess.PIPE,
        text=True,
    )
    child.close()
    try:
        chan = channels.StreamChannel(parent, SECRET, "kernel", verify_inbound=False)
        parent.settimeout(60)
        assert parent.recv(1, socket.MSG_PEEK)  # the worker is up and has sent its opening
        parent.settimeout(None)
        # ...and is still there well past the handshake deadline meant for unknown peers.
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(2.5)
        assert chan.recv(timeout=30)[0][0] == "hello"
        chan.send(("bye",))
        assert proc.wait(30) == 0
    finally:
        parent.close()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_a_kernel_and_the_worker_it_started_agree_on_plain_frames_both_ways():
    proc, sock = spawn_on_socketpair()
    try:
        chan = channels.StreamChannel(sock, SECRET, "kernel", verify_inbound=False)
        assert chan.recv(timeout=30)[0][0] == "hello"
        assert chan.plain  # the worker took the offer: nothing is signed or checked
        chan.send(("bye",))  # sent unsigned, and the worker acts on it
        assert proc.wait(30) == 0
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_verifying_kernel_offers_no_plain_frames():
    proc, sock = spawn_on_socketpair()
    try:
        chan = channels.StreamChannel(sock, SECRET, "kernel", verify_inbound=True)
        with pytest.raises(AuthenticationError):  # the worker's hello is unsigned: refused
            chan.recv(timeout=30)
        assert not chan.plain
    finally:
        sock.close()
        proc.wait(30)


def test_a_worker_not_vouched_for_answers_signed_and_refuses_an_unsigned_frame():
    a, b = socket.socketpair()  # made here: this kernel offers plain frames
    kernel = channels.StreamChannel(a, SECRET, "kernel", verify_inbound=False)
    worker = channels.StreamChannel(b, SECRET, "worker")  # not told its peer is its parent
    shaking = threading.Thread(target=kernel.handshake, args=(10,))
    shaking.start()
    worker.handshake(10)
    shaking.join(10)
    assert not kernel.plain and not worker.plain
    kernel.send(("ping",))  # signed, since the worker said S
    assert worker.recv(timeout=5)[0] == ("ping",)
    forged = wire.encode_frame([wire.dumps_message(("bye",))], None, 1)  # no MAC
    a.sendall(b"".join(forged))
    with pytest.raises(AuthenticationError):
        worker.recv(timeout=5)
    a.close()
    b.close()


def test_a_tcp_worker_refuses_plain_frames_and_unsigned_ones_and_serves_the_next_kernel():
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--listen", "127.0.0.1:0"],
        env=dict(os.environ, KJUPYTER_SECRET=SECRET.hex()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        # A peer that asks for plain frames: the worker answers only its opening, hangs up.
        stranger = socket.create_connection(("127.0.0.1", port), timeout=30)
        stranger.sendall(channels.GREETING + channels.PLAIN + os.urandom(channels.NONCE_SIZE))
        received = b""
        while chunk := stranger.recv(64):
            received += chunk
        assert received[: len(channels.GREETING) + 1] == channels.GREETING + channels.SEALED
        assert len(received) == channels.OPENING_SIZE
        stranger.close()
        # A peer that holds the key and proves it, then sends a frame neither sealed nor signed.
        chan = channels.StreamChannel(
            socket.create_connection(("127.0.0.1", port), timeout=30), SECRET, "kernel"
        )
        assert chan.recv(timeout=30)[0][0] == "hello"
        unsigned = wire.encode_frame([wire.dumps_message(("bye",))], None, 0)
        chan.sock.sendall(b"".join(unsigned))
        chan.sock.settimeout(30)
        assert chan.sock.recv(64) == b""  # dropped unread, not obeyed
        chan.close()
        good = channels.StreamChannel(
            socket.create_connection(("127.0.0.1", port), timeout=30), SECRET, "kernel"
        )
        assert good.recv(timeout=30)[0][0] == "hello"  # and the next kernel is served
        good.send(("bye",))
        good.close()
    finally:
        proc.kill()
        proc.wait(30)
        _, stderr = proc.communicate(timeout=30)
    assert "wants plain" in stderr and "signature check" in stderr, stderr
    assert "Traceback" not in stderr, stderr


def test_a_local_session_talks_plain_frames_to_spawned_and_forked_workers(monkeypatch):
    import kjupyter
    from kjupyter.run import forkserver

    from .conftest import ready

    def parents(s) -> list[int]:
        return s.px("import os\nos.getppid()", namespace={}, values=True, progress=False)

    monkeypatch.setenv("KJUPYTER_FORK_SERVER", "0")
    forkserver.shutdown()
    with kjupyter.session(n=1, backend="local", name="spawned") as s:
        assert parents(s) == [os.getpid()]
        assert [w.channel.plain for w in s.workers] == [True]
    monkeypatch.delenv("KJUPYTER_FORK_SERVER")
    server = ready(forkserver.warm_up(sys.executable))
    with kjupyter.session(n=2, backend="local", name="forked") as s:
        assert parents(s) == [server.pid, server.pid]
        assert [w.channel.plain for w in s.workers] == [True, True]
