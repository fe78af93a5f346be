"""The worker's listen mode (what pods run): signed channel over TCP, forged frames refused,
the dead-man switch. The kernel side here is a plain `StreamChannel` over a TCP socket, the
same one a Kubernetes backend hands to the engine."""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from kjupyter.errors import AuthenticationError
from kjupyter.run import channel as channels
from kjupyter.run import messages, wire

SECRET = os.urandom(32).hex().encode()  # no edge whitespace: the worker strips its file


def start_worker(tmp_path, *options: str) -> tuple[subprocess.Popen, int]:
    """A `--listen` worker on a free loopback port, and that port."""
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(SECRET)
    env = dict(os.environ, KJUPYTER_SECRET_FILE=str(secret_file))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kjupyter.worker", "--listen", "127.0.0.1:0", *options],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    assert line.startswith("kjupyter-worker listening on 127.0.0.1:"), line
    return proc, int(line.rsplit(":", 1)[1])


@pytest.fixture
def listening_worker(tmp_path) -> Iterator[tuple[subprocess.Popen, int]]:
    proc, port = start_worker(tmp_path, "--idle-timeout", "30")
    yield proc, port
    proc.kill()
    proc.wait()
    proc.stdout.close()


def opening() -> bytes:
    """What a peer sends to get past the greeting: the right version, a nonce, no key."""
    return channels.GREETING + channels.SEALED + os.urandom(channels.NONCE_SIZE)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the worker sends on `sock` until it hangs up (a reset counts as that)."""
    sock.settimeout(60)
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


def status_kib(pid: int, field: str) -> int:
    """A memory figure of a process (VmRSS, VmHWM...) from /proc, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def connect(port: int, secret: bytes = SECRET) -> channels.StreamChannel:
    sock = socket.create_connection(("127.0.0.1", port))
    return channels.StreamChannel(sock, secret, "kernel")


def run_one(chan: channels.StreamChannel, code: str) -> tuple:
    msg, _ = chan.recv(timeout=30)
    assert msg[0] == "hello" and msg[1]["pid"] > 0
    args = wire.pack_value([0])
    program = {"kind": "cell", "code": code, "names": {}, "modules": {}, "world_size": 1}
    chan.send(("work", [], [], [(program, [1], len(args))]), args)
    while True:
        msg, atts = chan.recv(timeout=30)
        if msg[0] == "done":
            _, status, nparts, error, _, _, _, inline = messages.result_rows(msg)[0]
            value = wire.unpack_value(atts[:nparts]) if nparts else inline  # 0: a plain value
            return status, value, error


def test_listen_mode_runs_tasks_for_a_kernel_with_the_secret(listening_worker):
    _, port = listening_worker
    chan = connect(port)
    assert run_one(chan, "RANK + 41")[:3] == ("ok", 41, "")
    chan.close()
    chan = connect(port)  # the next kernel connection is served too
    assert run_one(chan, "'again'")[:2] == ("ok", "again")
    chan.close()


def test_forged_frame_is_rejected_unread(listening_worker, tmp_path):
    proc, port = listening_worker
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = pickle.dumps(Evil())
    chan = connect(port, secret=os.urandom(32))  # an attacker without the session secret
    with pytest.raises(Exception):  # noqa: B017 - the worker's hello fails our check too
        chan.recv(timeout=30)
    # Send a frame with a payload whose unpickling would create `marker`, signed wrongly;
    # both as a control message and as an attached value blob.
    program = {"kind": "call", "fn": "k", "world_size": 1}
    chan.broken = False  # an attacker ignores that the hello did not verify
    chan.send(("work", [], [("k", 1)], [(program, [1], 1)]), [evil, evil])
    # The worker drops the connection without answering...
    chan.sock.settimeout(30)
    assert chan.sock.recv(1) == b""
    assert not marker.exists()
    # ...and keeps serving kernels that hold the secret.
    good = connect(port)
    assert run_one(good, "'still fine'")[:2] == ("ok", "still fine")
    good.close()
    assert not marker.exists() and proc.poll() is None


def test_dead_man_switch_ends_a_worker_whose_kernel_falls_silent(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(SECRET)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "kjupyter.worker", "--listen", "127.0.0.1:0"),
            *("--idle-timeout", "0.5", "--secret-file", str(secret_file)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = int(proc.stdout.readline().rsplit(":", 1)[1])
    chan = connect(port)
    msg, _ = chan.recv(timeout=30)
    assert msg[0] == "hello"
    # The kernel now says nothing: the worker must exit on its own.
    assert proc.wait(timeout=30) == 0
    assert "no word from the kernel" in proc.stderr.read()
    chan.close()


def test_worker_refuses_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KJUPYTER_SECRET")}
    done = subprocess.run(
        [sys.executable, "-m", "kjupyter.worker", "--listen", "127.0.0.1:0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "KJUPYTER_SECRET_FILE" in done.stderr


def test_lengths_from_a_peer_without_the_key_allocate_nothing(listening_worker):
    """Issue 15.3: a 48-byte header announcing 1 GiB, then junk, used to grow the worker by
    that much before any signature was checked."""
    proc, port = listening_worker
    chan = connect(port)
    assert run_one(chan, "'warm'")[:2] == ("ok", "warm")  # imports done: a stable baseline
    chan.close()
    peak_before = status_kib(proc.pid, "VmHWM")
    for _ in range(3):
        attacker = socket.create_connection(("127.0.0.1", port), timeout=60)
        header = struct.pack("<IIQ", wire.MAGIC, 1, 1 << 30) + bytes(32)  # 48 bytes
        with contextlib.suppress(OSError):  # the worker may hang up while we still write
            attacker.sendall(opening() + header + os.urandom(8 << 20))
            attacker.shutdown(socket.SHUT_WR)
        read_until_closed(attacker)
        attacker.close()
    good = connect(port)
    assert run_one(good, "'still serving'")[:2] == ("ok", "still serving")
    good.close()
    grown_mib = (status_kib(proc.pid, "VmHWM") - peak_before) / 1024
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB"


def test_nothing_about_the_worker_goes_out_before_the_peer_proves_the_key(listening_worker):
    """Issue 15.4: the hello (pid, host, versions, packages) went to anyone who greeted."""
    proc, port = listening_worker
    stranger = socket.create_connection(("127.0.0.1", port), timeout=60)
    stranger.sendall(opening() + os.urandom(32))  # a greeting, then a guess at the rest
    stranger.shutdown(socket.SHUT_WR)
    received = read_until_closed(stranger)
    stranger.close()
    assert b"hello" not in received and str(proc.pid).encode() not in received
    assert socket.gethostname().encode() not in received
    assert len(received) == channels.OPENING_SIZE + len(wire.REFUSAL)  # opening, refusal
    assert received.endswith(wire.REFUSAL)
    good = connect(port)
    assert run_one(good, "'served'")[:2] == ("ok", "served")
    good.close()


def test_a_silent_peer_does_not_keep_the_kernel_waiting(tmp_path):
    """Issue 15.4: a peer that connects and says nothing (or only greets) held the worker."""
    proc, port = start_worker(tmp_path)  # no idle timeout: nothing ends the silence for us
    try:
        silent = socket.create_connection(("127.0.0.1", port), timeout=60)
        greeter = socket.create_connection(("127.0.0.1", port), timeout=60)
        greeter.sendall(opening())
        chan = connect(port)
        assert run_one(chan, "'not kept waiting'")[:2] == ("ok", "not kept waiting")
        chan.close()
        silent.close()
        greeter.close()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_a_peer_that_does_not_finish_the_handshake_is_dropped(tmp_path):
    proc, port = start_worker(tmp_path, "--handshake-timeout", "0.5")
    try:
        silent = socket.create_connection(("127.0.0.1", port), timeout=60)
        greeter = socket.create_connection(("127.0.0.1", port), timeout=60)
        greeter.sendall(opening())
        assert read_until_closed(silent) == b""
        assert len(read_until_closed(greeter)) == channels.OPENING_SIZE
        chan = connect(port)
        assert run_one(chan, "'next'")[:2] == ("ok", "next")
        chan.close()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


class RecordingProxy:
    """A TCP forwarder between a kernel and a worker that keeps every byte it passes."""

    def __init__(self, target_port: int) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.target_port = target_port
        self.seen = bytearray()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._start(self._accept)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            client, _ = self.server.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._start(self._pump, client, upstream)
            self._start(self._pump, upstream, client)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(1 << 20):
                with self._lock:
                    self.seen += data
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.server.close()


def test_no_plaintext_of_a_task_or_its_result_crosses_tcp(listening_worker):
    """Encrypted by default: a recorder between kernel and worker sees no known plaintext."""
    _, port = listening_worker
    marker = "kj-marker-" + os.urandom(8).hex()
    proxy = RecordingProxy(port)
    chan = connect(proxy.port)
    assert chan.encrypted
    code = f"{marker!r} + ' short', ({marker!r} * 20000).encode()"
    status, value, _ = run_one(chan, code)
    assert status == "ok" and value == (marker + " short", marker.encode() * 20000)
    chan.close()
    proxy.close()
    assert len(proxy.seen) > 20000 * len(marker)  # the large result did pass through
    assert marker.encode() not in proxy.seen and b"hello" not in proxy.seen
    # The recorder would have seen it on a signed-only channel: the check can fail.
    a, b = socket.socketpair()
    recorded = bytearray()
    kernel = channels.StreamChannel(a, SECRET, "kernel", encrypt=False)
    worker = channels.StreamChannel(b, SECRET, "worker", encrypt=False)
    shake = threading.Thread(target=worker.handshake, args=(30,))
    shake.start()
    kernel.handshake(30)
    shake.join(30)
    kernel.send(("result", marker))
    b.setblocking(True)
    recorded += b.recv(1 << 16)
    assert marker.encode() in recorded
    kernel.close()
    worker.close()


def test_a_kernel_with_another_secret_is_told_in_one_line(listening_worker):
    """The worker says nothing about itself to a kernel that fails the proof, but that kernel
    learns why it was dropped instead of retrying a closed channel until it times out."""
    _, port = listening_worker
    chan = connect(port, secret=os.urandom(32))
    with pytest.raises(AuthenticationError, match="refused this kernel's key proof"):
        chan.recv(timeout=30)
    chan.close()
    good = connect(port)
    assert run_one(good, "'next'")[:2] == ("ok", "next")
    good.close()
