"""Channels: the one interface the engine talks through (send, recv, close, abort).

`StreamChannel` works over any connected stream socket: a `socketpair` end inherited by a local
worker, a unix socket, or a TCP socket to a pod IP or to a local port-forward. A new backend
that can hand over a connected socket needs nothing else from this module.

On connect both ends send a greeting (`GREETING`, which carries the protocol version, so two
kjupyter versions that cannot talk say so at once) and a 16-byte random nonce; the frame key is
derived from the session secret and both nonces, so frames recorded on one connection are
refused on any other.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import select
import socket
import threading
import time
from typing import Any, Literal

from kjupyter.errors import ChannelClosed, ProtocolError
from kjupyter.run import messages, wire

Role = Literal["kernel", "worker"]
NONCE_SIZE = 16
GREETING = b"KJC" + bytes([messages.PROTOCOL])
SOCKET_BUFFER = 4 * 1024 * 1024


class IdleTimeout(Exception):
    """No frame started within the timeout given to `recv` (the dead-man switch)."""


def derive_key(secret: bytes, kernel_nonce: bytes, worker_nonce: bytes) -> bytes:
    """The per-connection frame key."""
    return hmac.digest(secret, b"kjupyter-channel-2" + kernel_nonce + worker_nonce, "sha256")


def tune_socket(sock: socket.socket) -> None:
    """Big buffers (fewer wake-ups per large value) and no Nagle delay on TCP."""
    for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class StreamChannel:
    """Signed frames over a connected stream socket.

    `send` may be called from several threads (a lock serialises frames); `recv` from one.
    `verify_inbound=False` skips the MAC check of received frames: only for a socket the
    operating system already authenticates (a socketpair shared with our own child), and
    never on a worker, which always verifies.
    """

    def __init__(
        self,
        sock: socket.socket,
        secret: bytes,
        role: Role,
        *,
        verify_inbound: bool = True,
        sign_outbound: bool = True,
    ) -> None:
        sock.setblocking(True)
        tune_socket(sock)
        self.sock = sock
        self.role = role
        self._secret = secret
        self._verify = verify_inbound or role == "worker"
        self._sign = sign_outbound
        self._nonce = os.urandom(NONCE_SIZE)
        self._peer_nonce: bytes | None = None
        self._send_lock = threading.Lock()
        self._handshake_lock = threading.Lock()
        self._send_seq = 0
        self._recv_seq = 0
        self._out: wire.Signer | None = None
        self._in: wire.Signer | None = None
        self._reader = wire.FrameReader(sock.recv_into)
        self._poller: select.poll | None = None  # made on the first `spin`
        self.closed = False
        self.broken = False
        self.sock.sendall(GREETING + self._nonce)  # 20 bytes always fit in the socket buffer

    # -- key agreement ---------------------------------------------------------------------
    def handshake(self, timeout: float | None = None) -> None:
        """Read the peer's nonce and derive the frame keys (done on first use if not called).

        With `timeout`, raise `IdleTimeout` when the peer sends nothing within it.
        """
        if self._peer_nonce is not None:
            return
        with self._handshake_lock:  # senders on several threads may get here at once
            if self._peer_nonce is None:
                self._read_peer_nonce(timeout)

    def _read_peer_nonce(self, timeout: float | None) -> None:
        opening = bytearray(len(GREETING) + NONCE_SIZE)
        view, got = memoryview(opening), 0
        while got < len(opening):
            if timeout is not None and not select.select([self.sock], [], [], timeout)[0]:
                raise IdleTimeout(f"no handshake within {timeout} s")
            n = self.sock.recv_into(view[got:])
            if not n:
                raise ChannelClosed("peer closed the channel before the handshake")
            got += n
        greeting, peer = bytes(opening[: len(GREETING)]), opening[len(GREETING) :]
        if greeting != GREETING:
            if greeting[:3] == GREETING[:3]:
                raise ProtocolError(
                    f"peer speaks kjupyter protocol {greeting[3]}, this side {messages.PROTOCOL}: "
                    "run the same kjupyter version in the kernel and the workers"
                )
            raise ProtocolError(
                "peer sent no kjupyter greeting: it is not kjupyter, or a kjupyter older than "
                f"protocol {messages.PROTOCOL}; run the same kjupyter version on both sides"
            )
        if self.role == "kernel":
            kernel, worker = self._nonce, bytes(peer)
        else:
            kernel, worker = bytes(peer), self._nonce
        key = derive_key(self._secret, kernel, worker)
        mine, theirs = (b"K", b"W") if self.role == "kernel" else (b"W", b"K")
        self._out = wire.Signer(key, mine)
        self._in = wire.Signer(key, theirs)
        self._peer_nonce = bytes(peer)  # last: threads that see it may use the signers

    # -- the channel interface -------------------------------------------------------------
    def fileno(self) -> int:
        return self.sock.fileno()

    def pending(self) -> bool:
        """True when a frame (or its start) is already read ahead: `recv` will not block long."""
        return self._reader.buffered() > 0

    def spin(self, seconds: float) -> bool:
        """Busy-wait up to `seconds` for a frame to start; True when one has.

        Why: on these VMs a process asleep in the kernel takes ~50-100 us to wake when data
        arrives (the idle vCPU halts); one that polls sees it in ~5 us. A short spin when an
        answer is due soon takes both wake-ups off a round trip.
        """
        if self._reader.buffered():
            return True
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self.sock.fileno(), select.POLLIN)
        poll = self._poller.poll
        end = time.perf_counter() + seconds
        while not poll(0):
            if time.perf_counter() >= end:
                return False
        return True

    def send(
        self,
        msg: Any,
        attachments: list[wire.Buffer] | tuple[()] = (),
    ) -> None:
        """Send a control message and its attached buffers as one signed frame."""
        self.handshake()
        parts = [wire.dumps_message(msg), *attachments]
        with self._send_lock:
            if self.closed or self.broken:
                raise ChannelClosed("channel is closed")
            seq = self._send_seq
            self._send_seq += 1
            buffers = wire.encode_frame(parts, self._out if self._sign else None, seq)
            try:
                _send_all(self.sock, buffers)
            except BaseException:
                self.broken = True
                raise

    def recv(self, timeout: float | None = None) -> tuple[Any, list[memoryview]]:
        """Receive one frame: its control message and attachments (verified before loading).

        With `timeout`, raise `IdleTimeout` when no frame starts within it. A channel that
        failed a read (a bad signature, a torn frame) is never read again.
        """
        if self.broken:
            raise ChannelClosed("channel was aborted after a failed read; it is not reused")
        self.handshake(timeout)
        if timeout is not None and not self._reader.buffered():
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                raise IdleTimeout(f"no frame for {timeout} s")
        try:
            parts = self._reader.read(self._in if self._verify else None, self._recv_seq)
        except BaseException:
            if self._reader.broken:
                self.broken = True
            raise
        self._recv_seq += 1
        return wire.loads_message(parts[0]), parts[1:]

    def close(self) -> None:
        """Close the socket; the peer sees end of stream."""
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()

    def abort(self) -> None:
        """Close after a failure: nothing more is read from or written to this channel."""
        self.broken = True
        self.close()


def _send_all(sock: socket.socket, buffers: list[wire.Buffer]) -> None:
    """Write every buffer, scatter-gather, without joining them into one copy."""
    if len(buffers) == 1:
        sock.sendall(buffers[0])
        return
    views = [memoryview(b).cast("B") for b in buffers]
    while views:
        sent = sock.sendmsg(views[:512])
        while sent:
            if sent >= len(views[0]):
                sent -= len(views[0])
                views.pop(0)
            else:
                views[0] = views[0][sent:]
                sent = 0
        while views and not len(views[0]):
            views.pop(0)
