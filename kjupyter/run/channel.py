"""Channels: the one interface the engine talks through (send, recv, close, abort).

`StreamChannel` works over any connected stream socket: a `socketpair` end inherited by a local
worker, a unix socket, or a TCP socket to a pod IP or to a local port-forward. A new backend
that can hand over a connected socket needs nothing else from this module.

The handshake (protocol 3) lets nothing about a worker out before its peer proves the key:

    kernel → worker   GREETING | mode | kernel nonce      (sent as the kernel's channel opens)
    worker → kernel   GREETING | mode | worker nonce
    kernel → worker   proof = HMAC-SHA256(frame key, "kjupyter-kernel-proof")

`GREETING` carries the protocol version, so two kjupyter versions that cannot talk say so at
once, on both sides; `mode` says whether frames are sealed (encrypted), signed, or plain, and
both ends must agree. The frame key is derived from the session secret and both openings (a
flipped mode byte fails the proof; frames recorded on one connection are refused on any
other). A worker reads at most those fixed 21 + 32 bytes from an unproven peer, under a
deadline, and answers nothing but its own opening (and `wire.REFUSAL` when the proof fails):
its hello goes out only after the proof.

Sealing is the default wherever the socket is TCP (a pod IP, a peer elsewhere); a unix socket
(a local worker's socketpair) stays signed-only unless asked. The port-forward bridge hands
the kernel a socketpair end, so its backend asks for sealing explicitly.

*Plain* frames (mode `P`: neither signed nor checked, either way) are only for a socketpair
the operating system vouches for at both ends: the kernel offers them on a unix socketpair
it made itself (SO_PEERCRED names this process) when told its peer is its own child
(`verify_inbound=False`), and a worker takes the offer only when it was told the same
(`private=True`: SO_PEERCRED names its parent, see `kjupyter.worker.__main__.peer_is_parent`);
any other worker answers `S` and verifies every frame, and the kernel then signs. Nobody but
the two processes can write into such a socket, so a MAC there only costs time: Poly1305 over
every large value at both ends (~44 ms per 100 MB pushed, measured). The key proof still runs:
a worker of another notebook's pool is still refused.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import select
import socket
import struct
import threading
import time
from typing import Any, Literal

from kjupyter.errors import AuthenticationError, ChannelClosed, ProtocolError
from kjupyter.run import interrupts, messages, wire

Role = Literal["kernel", "worker"]
NONCE_SIZE = 16
GREETING = b"KJC" + bytes([messages.PROTOCOL])
SEALED, SIGNED, PLAIN = b"E", b"S", b"P"  # the mode byte after the greeting
MODE_NAMES = {SEALED: "encrypted", SIGNED: "signed-only", PLAIN: "plain (private socketpair)"}
OPENING_SIZE = len(GREETING) + 1 + NONCE_SIZE
PROOF_SIZE = 32
HANDSHAKE_TIMEOUT = 10.0  # s a worker gives an unproven peer to finish the handshake
SOCKET_BUFFER = 4 * 1024 * 1024


class IdleTimeout(Exception):
    """No frame started within the timeout given to `recv` (the dead-man switch)."""


def derive_key(secret: bytes, kernel_opening: bytes, worker_opening: bytes) -> bytes:
    """The per-connection frame key, bound to both openings (versions, mode, nonces)."""
    return hmac.digest(secret, b"kjupyter-channel-3" + kernel_opening + worker_opening, "sha256")


def kernel_proof(key: bytes) -> bytes:
    """What the kernel sends to show it holds the secret (the key depends on both nonces)."""
    return hmac.digest(key, b"kjupyter-kernel-proof", "sha256")


def sealed_by_default(sock: socket.socket) -> bool:
    """True for sockets whose bytes may leave the machine (TCP); unix sockets stay local."""
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def peer_credentials(sock: socket.socket) -> tuple[int, int] | None:
    """(pid, uid) that Linux's SO_PEERCRED gives a unix socket; None for anything else.

    For a socketpair end it names the process that created the pair; for a connected unix
    socket, its peer. TCP has no credentials.
    """
    peercred = getattr(socket, "SO_PEERCRED", None)
    if sock.family != socket.AF_UNIX or peercred is None:
        return None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    except OSError:
        return None
    pid, uid, _ = struct.unpack("3i", creds)
    return pid, uid


def made_here(sock: socket.socket) -> bool:
    """True for a unix socketpair end this process created (Linux SO_PEERCRED names us).

    Its other end is then held only by processes this one handed it to: for the kernel, its
    own workers. A connected unix socket names its peer instead; TCP has no credentials.
    """
    return peer_credentials(sock) == (os.getpid(), os.getuid())


def tune_socket(sock: socket.socket) -> None:
    """Big buffers (fewer wake-ups per large value) and no Nagle delay on TCP."""
    for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class StreamChannel:
    """Sealed or signed frames over a connected stream socket.

    `send` may be called from several threads (a lock serialises frames); `recv` from one.
    `encrypt` seals every frame (AES-256-GCM); None picks it by socket family (TCP yes, unix
    no). `verify_inbound=False` skips the MAC check of received signed frames: only for a
    socket the operating system already authenticates (a socketpair shared with our own
    child), and never on a worker, which always verifies; `sign_outbound=False` likewise
    sends signed-mode frames unsigned. Neither applies to sealed frames. A kernel with
    `verify_inbound=False` on a socketpair it made offers plain frames (module docstring),
    which a worker takes only with `private=True`: then neither end signs or checks.
    `handshake_timeout` is a worker's deadline for an unproven peer (None: no deadline, for a
    peer the worker knows, such as the parent that handed it a socketpair).
    """

    def __init__(
        self,
        sock: socket.socket,
        secret: bytes,
        role: Role,
        *,
        verify_inbound: bool = True,
        sign_outbound: bool = True,
        encrypt: bool | None = None,
        handshake_timeout: float | None = HANDSHAKE_TIMEOUT,
        private: bool = False,
    ) -> None:
        sock.setblocking(True)
        tune_socket(sock)
        self.sock = sock
        self.role = role
        self.encrypted = sealed_by_default(sock) if encrypt is None else encrypt
        self._secret = secret
        self._handshake_timeout = handshake_timeout if role == "worker" else None
        self._verify = verify_inbound or role == "worker" or self.encrypted
        self._sign = sign_outbound or self.encrypted
        self._private = private and role == "worker" and not self.encrypted
        mode = SEALED if self.encrypted else SIGNED
        if role == "kernel" and not self.encrypted and not verify_inbound and made_here(sock):
            mode = PLAIN  # an offer: the worker answers P or S (`_agree_mode`)
        self._opening = GREETING + mode + os.urandom(NONCE_SIZE)
        self.plain = False  # set by the handshake when both ends agreed on plain frames
        self._peer_nonce: bytes | None = None
        self._seal_out: memoryview | None = None  # made on the first large sealed frame
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
        if role == "kernel":  # the worker speaks only after reading this
            self.sock.sendall(self._opening)  # 21 bytes always fit in the socket buffer

    # -- key agreement ---------------------------------------------------------------------
    @property
    def keyed(self) -> bool:
        """Whether the handshake is done (frames can be read and written)."""
        return self._peer_nonce is not None

    def handshake(self, timeout: float | None = None) -> None:
        """Agree on the frame keys (done on first use if not called).

        With `timeout`, raise `IdleTimeout` when the peer does not finish within it; a
        worker has a deadline by default (the channel's `handshake_timeout`), so an unproven
        peer cannot hold it. A worker whose peer fails the proof raises
        `AuthenticationError` having sent nothing but its opening.
        """
        if self._peer_nonce is not None:
            return
        if timeout is None:
            timeout = self._handshake_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._handshake_lock:  # senders on several threads may get here at once
            if self._peer_nonce is None:
                if self.broken:
                    raise ChannelClosed("channel failed its handshake; it is not reused")
                try:
                    if self.role == "kernel":
                        self._kernel_handshake(deadline)
                    else:
                        self._worker_handshake(deadline)
                except BaseException:
                    self.broken = True  # a half-done handshake is never resumed
                    raise

    def _kernel_handshake(self, deadline: float | None) -> None:
        theirs = self._read_opening(deadline)
        self._agree_mode(theirs)
        key = derive_key(self._secret, self._opening, theirs)
        self.sock.sendall(kernel_proof(key))
        self._set_keys(key, theirs)

    def _worker_handshake(self, deadline: float | None) -> None:
        try:
            theirs = self._read_opening(deadline)
        except ProtocolError:
            # Our opening names our version and mode, so the peer can say what is wrong too.
            with contextlib.suppress(OSError):
                self.sock.sendall(self._opening)
            raise
        self._agree_mode(theirs)
        self.sock.sendall(self._opening)
        key = derive_key(self._secret, theirs, self._opening)
        proof = self._read_exactly(PROOF_SIZE, deadline, "the key proof")
        if not hmac.compare_digest(proof, kernel_proof(key)):
            with contextlib.suppress(OSError):
                self.sock.sendall(wire.REFUSAL)  # so a real kernel says why, not "closed"
            raise AuthenticationError(
                "peer did not prove the session key (wrong secret, or not a kjupyter kernel); "
                "refused before anything about this worker was sent"
            )
        self._set_keys(key, theirs)

    def _agree_mode(self, theirs: bytes) -> None:
        """Settle plain frames (both ends said P) or fall back to signed ones (see above).

        A worker answers the kernel's P with P only when `private`; the kernel, having
        offered P, takes the worker's S and signs. `_read_opening` refused anything else.
        """
        mode = theirs[len(GREETING) : len(GREETING) + 1]
        mine = self._opening[len(GREETING) : len(GREETING) + 1]
        if mode == PLAIN and self.role == "worker":
            if not self._private:
                # Not vouched for: answer S, and every frame is signed and checked.
                self._opening = GREETING + SIGNED + self._opening[-NONCE_SIZE:]
                return
            self._opening = GREETING + PLAIN + self._opening[-NONCE_SIZE:]
        elif mine == PLAIN and mode == SIGNED:  # the kernel: its worker did not take plain
            return
        if mode == PLAIN:
            self.plain = True
            self._verify = self._sign = False

    def _set_keys(self, key: bytes, peer_opening: bytes) -> None:
        mine, theirs = (b"K", b"W") if self.role == "kernel" else (b"W", b"K")
        self._out = wire.Signer(key, mine, encrypt=self.encrypted)
        self._in = wire.Signer(key, theirs, encrypt=self.encrypted)
        self._peer_nonce = peer_opening[-NONCE_SIZE:]  # last: threads that see it may send

    def _read_exactly(self, n: int, deadline: float | None, what: str) -> bytes:
        """`n` bytes from the peer before `deadline`; a small, fixed-size read."""
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                    raise IdleTimeout(f"no {what} from the peer in time (handshake)")
            count = self.sock.recv_into(view[got:])
            if not count:
                raise ChannelClosed(f"peer closed the channel before {what} (handshake)")
            got += count
        return bytes(data)

    def _read_opening(self, deadline: float | None) -> bytes:
        """The peer's greeting, mode and nonce, with a one-line error for any mismatch."""
        greeting = self._read_exactly(len(GREETING), deadline, "greeting")
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
        rest = self._read_exactly(OPENING_SIZE - len(GREETING), deadline, "opening")
        mode = rest[:1]
        mine = self._opening[len(GREETING) : len(GREETING) + 1]
        # The kernel's offer of plain frames settles with a worker's signed ones (`_agree_mode`).
        offered = (mode, mine) if self.role == "worker" else (mine, mode)
        if mode != mine and offered != (PLAIN, SIGNED):
            raise ProtocolError(
                f"peer wants {MODE_NAMES.get(mode, repr(mode))} frames, this side "
                f"{MODE_NAMES[mine]}: both ends of a channel must agree (TCP channels are "
                "encrypted by default; pass encrypt= the same way on both)"
            )
        return greeting + rest

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
            try:
                with interrupts.FRAME:  # a Ctrl-C here waits for the frame's end
                    if self.encrypted:
                        assert self._out is not None
                        if self._seal_out is None:
                            self._seal_out = memoryview(bytearray(wire.SEAL_BUFFER))
                        for buffer in wire.seal_frame(parts, self._out, seq, self._seal_out):
                            self.sock.sendall(buffer)
                    else:
                        signer = self._out if self._sign else None
                        _send_all(self.sock, wire.encode_frame(parts, signer, seq))
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
            with interrupts.FRAME:  # a Ctrl-C here waits for the frame's end
                parts = self._reader.read(self._in if self._verify else None, self._recv_seq)
        except BaseException:
            if self._reader.broken:
                self.broken = True
            raise
        self._recv_seq += 1
        return wire.loads_message(parts[0]), parts[1:]

    def refused(self) -> bool:
        """Whether the peer's refusal of our key proof (`wire.REFUSAL`) waits unread.

        For a worker lost before its hello, whatever noticed first (a failed send, its
        exit): a refusal is a key mismatch, not a crash. Only peeks; reads nothing.
        """
        if self._reader.buffered():
            return False
        try:
            data = self.sock.recv(len(wire.REFUSAL), socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except OSError:
            return False
        return data == wire.REFUSAL

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
