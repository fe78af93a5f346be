"""The worker's listen mode (what pods run): signed channel over TCP, forged frames refused,
the dead-man switch. The kernel side here is a plain `StreamChannel` over a TCP socket, the
same one a Kubernetes backend hands to the engine."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kjupyter.run import channel as channels
from kjupyter.run import wire

SECRET = os.urandom(32)


@pytest.fixture
def listening_worker(tmp_path) -> Iterator[tuple[subprocess.Popen, int]]:
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(SECRET)
    env = dict(os.environ, KJUPYTER_SECRET_FILE=str(secret_file))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kjupyter.worker",
            "--listen",
            "127.0.0.1:0",
            "--idle-timeout",
            "30",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    assert line.startswith("kjupyter-worker listening on 127.0.0.1:"), line
    yield proc, int(line.rsplit(":", 1)[1])
    proc.kill()
    proc.wait()


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
            _, status, nparts, error, _, _, _, inline = msg[1][0]
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
