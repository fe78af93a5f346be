"""`python -m kjupyter.worker`: serve a kernel over an inherited socket or a listening one.

    python -m kjupyter.worker --fd N                      local: a socketpair end from the kernel
    python -m kjupyter.worker --connect HOST:PORT         dial a kernel that listens
    python -m kjupyter.worker --listen HOST:PORT [--idle-timeout S] [--secret-file PATH]
    python -m kjupyter.worker --listen 127.0.0.1:PORT --secret-from-peer [--idle-timeout S]

The session secret comes from --secret-file, else the file named by KJUPYTER_SECRET_FILE,
else KJUPYTER_SECRET (hex); it is removed from the environment so user code does not inherit
it. In listen mode one kernel is served at a time; the line `kjupyter-worker listening on
HOST:PORT` on stdout gives the bound port (useful with port 0). `--idle-timeout` is the
dead-man switch: with no frame from a kernel (or no kernel) for that long, the worker exits.

`--secret-from-peer` (loopback listen only) takes the secret from the first kernel that
connects (`messages.PEER_KEY_PREFIX` + key, before the handshake). It is for pods whose kernel
may not create Secrets: a connection to 127.0.0.1 in a pod arrives through the API server's
port-forward, which has checked `pods/portforward` on this pod, so the first peer is trusted.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import struct
import sys

from kjupyter.errors import ChannelClosed, ProtocolError
from kjupyter.run import messages
from kjupyter.run.channel import IdleTimeout, StreamChannel
from kjupyter.worker.session import Session, end_process_group

MIN_SECRET = 16


def read_secret(path: str | None) -> bytes:
    """The session secret, from a file or the environment; refuses short ones."""
    path = path or os.environ.pop("KJUPYTER_SECRET_FILE", None)
    if path:
        with open(path, "rb") as f:
            secret = f.read().strip()
    else:
        hexed = os.environ.pop("KJUPYTER_SECRET", "")
        secret = bytes.fromhex(hexed) if hexed else b""
    if len(secret) < MIN_SECRET:
        sys.exit(
            "kjupyter worker: no session secret (or shorter than 16 bytes); pass --secret-file "
            "or set KJUPYTER_SECRET_FILE"
        )
    return secret


def split_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def peer_is_parent(sock: socket.socket) -> bool:
    """True when `sock` is a unix socketpair end whose peer is our parent process (Linux).

    SO_PEERCRED of a socketpair names the process that created it: the kernel that spawned
    this worker. Anything else (TCP, an unknown peer, no SO_PEERCRED) returns False.
    """
    peercred = getattr(socket, "SO_PEERCRED", None)
    if sock.family != socket.AF_UNIX or peercred is None:
        return False
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    except OSError:
        return False
    pid, uid, _ = struct.unpack("3i", creds)
    return pid == os.getppid() and uid == os.getuid()


def read_peer_key(conn: socket.socket, timeout: float | None) -> bytes | None:
    """The key a port-forwarded kernel sends first (see `--secret-from-peer`), or None."""
    want = len(messages.PEER_KEY_PREFIX) + messages.PEER_KEY_SIZE
    data = b""
    conn.settimeout(timeout)
    try:
        while len(data) < want:
            chunk = conn.recv(want - len(data))
            if not chunk:
                return None
            data += chunk
    except OSError:
        return None
    finally:
        conn.settimeout(None)
    if not data.startswith(messages.PEER_KEY_PREFIX):
        return None
    return data[len(messages.PEER_KEY_PREFIX) :]


def serve_listening(address: str, secret: bytes | None, idle_timeout: float | None) -> int:
    """Accept kernels one at a time; exit when none speaks for `idle_timeout` seconds.

    With `secret` None, the first connection that sends a key sets it (loopback only).
    """
    host, port = split_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1)
    bound = listener.getsockname()
    print(f"kjupyter-worker listening on {bound[0]}:{bound[1]}", flush=True)
    while True:
        if not select.select([listener], [], [], idle_timeout)[0]:
            print(f"kjupyter worker: no kernel for {idle_timeout} s; exiting", file=sys.stderr)
            return 0
        conn, _ = listener.accept()
        if secret is None:
            secret = read_peer_key(conn, idle_timeout)
            if secret is None:
                conn.close()
                continue
        channel = StreamChannel(conn, secret, "worker")
        session = Session(channel, idle_timeout)
        try:
            channel.handshake(idle_timeout)
            session.serve()
        except (IdleTimeout, OSError, ChannelClosed, ProtocolError) as err:
            # A peer that hangs up before the handshake (a reachability probe) is no reason
            # to stop serving.
            print(f"kjupyter worker: connection dropped: {err}", file=sys.stderr)
        channel.close()
        if session.idle_expired:
            return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kjupyter.worker", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fd", type=int, help="inherited connected socket")
    where.add_argument("--connect", metavar="HOST:PORT", help="connect to a kernel")
    where.add_argument("--listen", metavar="HOST:PORT", help="wait for kernels")
    parser.add_argument("--secret-file", help="file holding the session secret")
    parser.add_argument("--idle-timeout", type=float, default=None, help="dead-man switch, s")
    parser.add_argument("--session", help="session label (shown in process lists)")
    parser.add_argument(
        "--secret-from-peer",
        action="store_true",
        help="take the secret from the first kernel to connect (loopback --listen only)",
    )
    opts = parser.parse_args(argv)
    if opts.secret_from_peer:
        if not opts.listen or split_address(opts.listen)[0] not in ("127.0.0.1", "::1"):
            parser.error("--secret-from-peer needs --listen on 127.0.0.1 or ::1")
        return serve_listening(opts.listen, None, opts.idle_timeout)
    secret = read_secret(opts.secret_file)
    if opts.listen:
        return serve_listening(opts.listen, secret, opts.idle_timeout)
    private = False
    if opts.fd is not None:
        sock = socket.socket(fileno=opts.fd)
        sock.set_inheritable(False)
        private = peer_is_parent(sock)
    else:
        sock = socket.create_connection(split_address(opts.connect))
    # On a socketpair shared with the kernel that started us the OS vouches for both ends and
    # the kernel does not check our signatures: signing results there only costs time (a
    # MAC pass over every large value). Frames we receive are verified all the same.
    try:
        channel = StreamChannel(sock, secret, "worker", sign_outbound=not private)
    except OSError:
        return 0  # the kernel left before we started (a pool closed at once): nothing to do
    session = Session(channel, opts.idle_timeout, leads_group=opts.fd is not None)
    try:
        session.serve()
    finally:
        channel.close()
    if session.lost and session.leads_group:
        end_process_group()  # the kernel is gone: so is everything our tasks started
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # do not wait for daemon threads blocked in the kernel's socket
