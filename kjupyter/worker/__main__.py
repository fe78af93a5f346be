"""`python -m kjupyter.worker`: serve a kernel over an inherited socket or a listening one.

    python -m kjupyter.worker --fd N                      local: a socketpair end from the kernel
    python -m kjupyter.worker --connect HOST:PORT         dial a kernel that listens
    python -m kjupyter.worker --listen HOST:PORT [--idle-timeout S] [--secret-file PATH]
    python -m kjupyter.worker --listen 127.0.0.1:PORT --secret-from-peer [--idle-timeout S]
    python -m kjupyter.worker --fork-server FD            fork local workers (see forkserver)
    (--handshake-timeout S: how long an unproven peer of --listen may take over the handshake,
    default 10 s; a worker on --fd or --connect waits for its kernel as long as --idle-timeout)

The session secret comes from --secret-file, else the file named by KJUPYTER_SECRET_FILE,
else KJUPYTER_SECRET (hex); it is removed from the environment so user code does not inherit
it. In listen mode one kernel is served at a time; the line `kjupyter-worker listening on
HOST:PORT` on stdout gives the bound port (useful with port 0). `--idle-timeout` is the
dead-man switch: with no frame from a kernel (or no kernel) for that long, the worker exits.
Connections are authenticated side by side, each under the handshake deadline, so a peer that
connects and stays silent neither learns anything nor keeps the real kernel waiting; a peer
that never proves the key does not count as a kernel for the dead-man switch either.

`--secret-from-peer` (loopback listen only) takes the secret from the first kernel that
connects (`messages.PEER_KEY_PREFIX` + key, before the handshake). It is for pods whose kernel
may not create Secrets: a connection to 127.0.0.1 in a pod arrives through the API server's
port-forward, which has checked `pods/portforward` on this pod, so the first peer is trusted.
Every later connection sends the key again and is served only if it is the same key.
"""

from __future__ import annotations

import argparse
import hmac
import os
import queue
import socket
import sys
import threading

from kjupyter.errors import ChannelClosed, ProtocolError
from kjupyter.run import messages
from kjupyter.run.channel import HANDSHAKE_TIMEOUT, IdleTimeout, StreamChannel, peer_credentials
from kjupyter.worker import forkserver, rehearsal
from kjupyter.worker.session import Session, end_process_group

MIN_SECRET = 16
MAX_UNPROVEN = 16  # connections in their handshake at once; more are closed at once
DROPPED = (IdleTimeout, OSError, ChannelClosed, ProtocolError)  # AuthenticationError included


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


def peer_is_parent(sock: socket.socket, parent: int | None = None) -> bool:
    """True when `sock` is a unix socketpair end whose peer is our parent process (Linux).

    SO_PEERCRED of a socketpair names the process that created it: the kernel that spawned
    this worker (or, for a worker the fork server forked, `parent`: the server's parent).
    Anything else (TCP, an unknown peer, no SO_PEERCRED) returns False.
    """
    return peer_credentials(sock) == (parent or os.getppid(), os.getuid())


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


class Gate:
    """Authenticates accepted connections side by side and queues those that proved the key.

    With no secret (`--secret-from-peer`), the first connection's key becomes the secret and
    later ones must send the same key.
    """

    def __init__(self, secret: bytes | None, handshake_timeout: float) -> None:
        self.secret = secret
        self.from_peer = secret is None
        self.handshake_timeout = handshake_timeout
        self.proven: queue.Queue[StreamChannel] = queue.Queue()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_UNPROVEN)

    def accept_forever(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the worker is exiting
            if not self._slots.acquire(blocking=False):
                conn.close()  # too many unproven peers at once: no thread, no memory for this
                continue
            threading.Thread(target=self._authenticate, args=(conn,), daemon=True).start()

    def _secret_for(self, conn: socket.socket) -> bytes | None:
        if not self.from_peer:
            return self.secret
        offered = read_peer_key(conn, self.handshake_timeout)
        if offered is None:
            return None
        with self._lock:
            if self.secret is None:
                self.secret = offered
            same = hmac.compare_digest(offered, self.secret)
        return offered if same else None

    def _authenticate(self, conn: socket.socket) -> None:
        try:
            secret = self._secret_for(conn)
            if secret is None:
                conn.close()
                return
            channel = StreamChannel(conn, secret, "worker")
            try:
                channel.handshake(self.handshake_timeout)
            except DROPPED as err:
                print(f"kjupyter worker: connection dropped: {err}", file=sys.stderr)
                channel.close()
                return
            self.proven.put(channel)
        finally:
            self._slots.release()


def serve_listening(
    address: str,
    secret: bytes | None,
    idle_timeout: float | None,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
) -> int:
    """Serve proven kernels one at a time; exit when none speaks for `idle_timeout` seconds.

    With `secret` None, the first connection that sends a key sets it (loopback only).
    """
    host, port = split_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(MAX_UNPROVEN)
    bound = listener.getsockname()
    print(f"kjupyter-worker listening on {bound[0]}:{bound[1]}", flush=True)
    gate = Gate(secret, handshake_timeout)
    threading.Thread(target=gate.accept_forever, args=(listener,), daemon=True).start()
    while True:
        try:
            channel = gate.proven.get(timeout=idle_timeout)
        except queue.Empty:
            print(f"kjupyter worker: no kernel for {idle_timeout} s; exiting", file=sys.stderr)
            return 0
        session = Session(channel, idle_timeout)
        try:
            session.serve()
        except DROPPED as err:
            print(f"kjupyter worker: connection dropped: {err}", file=sys.stderr)
        channel.close()
        if session.idle_expired:
            return 0


_PARSER: list[argparse.ArgumentParser] = []


def _parser() -> argparse.ArgumentParser:
    """The command line's parser, built once per process (and in the fork server before it
    forks: building one takes ~0.7 ms, on the path of every forked worker's start)."""
    if not _PARSER:
        parser = argparse.ArgumentParser(prog="python -m kjupyter.worker", description=__doc__)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--fd", type=int, help="inherited connected socket")
        where.add_argument("--connect", metavar="HOST:PORT", help="connect to a kernel")
        where.add_argument("--listen", metavar="HOST:PORT", help="wait for kernels")
        where.add_argument("--fork-server", type=int, metavar="FD", help="fork workers on request")
        parser.add_argument("--secret-file", help="file holding the session secret")
        parser.add_argument("--idle-timeout", type=float, default=None, help="dead-man switch, s")
        parser.add_argument("--session", help="session label (shown in process lists)")
        parser.add_argument(
            "--secret-from-peer",
            action="store_true",
            help="take the secret from the first kernel to connect (loopback --listen only)",
        )
        parser.add_argument(
            "--handshake-timeout",
            type=float,
            default=HANDSHAKE_TIMEOUT,
            help="s an unproven peer of --listen may take over the handshake",
        )
        _PARSER.append(parser)
    return _PARSER[0]


def rehearse(rounds: int) -> None:
    """A worker's start-up steps, `rounds` times, in the fork server and its spares (see
    `kjupyter.worker.rehearsal`)."""
    for _ in range(rounds):
        _parser().parse_args(["--fd", "0", "--session", "rehearsal"])
    rehearsal.rehearse(rounds)


def main(argv: list[str] | None = None, *, parent_pid: int | None = None) -> int:
    """The worker; `parent_pid` names the kernel when it is not our parent (a forked worker)."""
    parser = _parser()
    opts = parser.parse_args(argv)
    if opts.fork_server is not None:
        return forkserver.serve(opts.fork_server, main, rehearse)
    if opts.secret_from_peer:
        if not opts.listen or split_address(opts.listen)[0] not in ("127.0.0.1", "::1"):
            parser.error("--secret-from-peer needs --listen on 127.0.0.1 or ::1")
        return serve_listening(opts.listen, None, opts.idle_timeout, opts.handshake_timeout)
    secret = read_secret(opts.secret_file)
    if opts.listen:
        return serve_listening(opts.listen, secret, opts.idle_timeout, opts.handshake_timeout)
    private = False
    if opts.fd is not None:
        sock = socket.socket(fileno=opts.fd)
        sock.set_inheritable(False)
        private = peer_is_parent(sock, parent_pid)
    else:
        sock = socket.create_connection(split_address(opts.connect))
    # On a socketpair shared with the kernel that started us the OS vouches for both ends:
    # signing there only costs time (a MAC pass over every large value), so we take the
    # kernel's offer of plain frames both ways (`channel` docstring), and otherwise send
    # unsigned frames the kernel does not check. Anywhere else every frame is verified.
    # The kernel that started or accepted us proves the key when it first reads from us,
    # which a warm pool between jobs may not do for a while: wait as long as the dead-man
    # switch allows (--handshake-timeout is for the unknown peers of --listen).
    channel = StreamChannel(
        sock,
        secret,
        "worker",
        sign_outbound=not private,
        handshake_timeout=opts.idle_timeout,
        private=private,
    )
    try:
        channel.handshake()
    except (OSError, ChannelClosed):
        return 0  # the kernel left before we started (a pool closed at once): nothing to do
    except (IdleTimeout, ProtocolError) as err:
        print(f"kjupyter worker: {err}", file=sys.stderr)
        channel.close()
        return 1
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
