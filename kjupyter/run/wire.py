"""The wire format: framing, signing, encryption and pickling, with no sockets in sight.

A frame is a list of parts (byte buffers) sent as

    magic u32 | nparts u32 | [lead tag[16]] | len(part) u64 * nparts | [header tag[16]] | body

Nothing a peer announces is read or allocated beyond a small bound before a tag proves it
came from a key holder, so a peer without the key can make a receiver hold no more than its
fixed read-ahead buffer (issue 15). A *small* frame (at most `SHORT_HEADER_PARTS` parts and
`INLINE_LIMIT` bytes of parts) is read whole into that buffer and checked in one step by its
body's MAC or AEAD tag, which covers the header: no tag of its own. A larger body needs the
header tag (magic, count and lengths) checked before the body is read; a header of more than
`SHORT_HEADER_PARTS` parts also has its count checked first by the lead tag. The body is either

- signed: mac[32] | part0 | part1 | ...  (below), or
- sealed: the parts encrypted with AES-256-GCM in segments of at most `SEGMENT` bytes, each
  followed by its 16-byte tag. Consecutive small parts share a segment, a large part is cut
  into segments of its own (`segment_groups`), so both ends encrypt and decrypt in cache-sized
  pieces into reused or final buffers. Nonces are (sequence, segment counter) under a key of
  each direction: never used twice. Every segment's associated data is the header tag, which
  binds it to its frame's lengths; the lead and header tags are GMACs under the same key.

The top bit of a length (`BYTES_PART`) marks a large part the sender had as `bytes`: the
receiver reads it straight into a `bytes` object of its own, so a `bytes` value arrives with no
copy after the socket's (see `fresh_bytes`).

Signed bodies: the MAC is keyed BLAKE2b-256 (RFC 7693's MAC mode) under a per-connection key
over the direction, a sequence number, the header and the parts: from a pre-keyed state it
costs ~1 us on a small frame where HMAC-SHA256 through OpenSSL 3 cost ~4 (a trivial task's
round trip is four frames). A part longer than `INLINE_LIMIT` enters it through its Poly1305
tag under a one-time key derived from the frame key, the direction, the sequence number and the
part's index: BLAKE2b and SHA-256 run at ~1 GB/s on these VMs and capped a 100 MB gather,
Poly1305 at ~4-5 GB/s. No (key, direction, sequence, index) is ever used twice, as Poly1305
requires, and the tags never leave the process. The receiver computes each large part's tag
while the part arrives.
A receiver checks the MAC with `hmac.compare_digest` before anything in the frame is unpickled,
and sequence numbers make a replayed or reordered frame fail the check.

Part 0 is a control message: a plain pickle of builtins, loaded by an unpickler that refuses
every global. User values travel as *blobs* (`pack_value`): cloudpickle protocol 5 whose large
buffers stay out of band, attached to the frame as parts of their own, never copied into a string.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import mmap
import pickle
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kjupyter.errors import AuthenticationError, ChannelClosed, ProtocolError
from kjupyter.run.buffers import POOL, BufferPool, fresh_bytes

if TYPE_CHECKING:  # imported when a key is set: `import kjupyter.run.wire` stays cheap
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["POOL", "BufferPool", "fresh_bytes"]  # re-exported: where received bytes land

MAGIC = 0x4B4A4631  # "KJF1"
PREFIX = struct.Struct("<II")  # magic, part count: the lead, before its tag
MAC_SIZE = 32
TAG_SIZE = 16  # lead and header tags, and each sealed segment's
SHORT_HEADER_PARTS = 4096  # headers up to this many parts fit the read-ahead: one tag
SEGMENT = 256 * 1024  # most plaintext bytes under one AEAD tag: fits the L2 cache
LEAD_COUNTER = 0xFFFFFFFF  # nonce counters of the lead and header tags (segments count up)
HEADER_COUNTER = 0xFFFFFFFE
INLINE_LIMIT = 64 * 1024  # parts up to this size are MACed directly, larger ones by their tag
MAX_PARTS = 1 << 20
MAX_FRAME = 1 << 40  # a sanity bound on unauthenticated lengths, not a quota
SCRATCH = 256 * 1024  # read-ahead buffer: small frames arrive in one system call

Buffer = bytes | bytearray | memoryview
RecvInto = Callable[[memoryview], int]
PART_KEY_CONTEXT = b"kjupyter-part-1"
FORGED = "frame failed its signature check (wrong session secret, or tampered); dropped unread"

#: What a worker sends, in place of a frame, to a kernel whose key proof failed: the kernel
#: then says why it was dropped. It tells a guesser only that the guess was wrong.
REFUSAL = b"KJREFUSE"
REFUSED = (
    "the worker refused this kernel's key proof: the kernel and the worker hold different "
    "session secrets (a stale Secret, or another notebook's worker); start the pool again"
)

BYTES_PART = 1 << 63  # length flag: deliver this part as a bytes object of its own


def digest(part: Buffer) -> bytes:
    """SHA-256 of one part: a blob's content key (`capture`), not part of the frame MAC."""
    return hashlib.sha256(part).digest()


class Signer:
    """Signs (or seals) frames in one direction of one connection (key, direction, sequence).

    With `encrypt`, frames are sealed with AES-256-GCM under a key of this direction: at
    ~16 GB/s and ~0.5 us a call on these VMs (AES-NI, VAES) it beat ChaCha20-Poly1305's
    ~4 GB/s and ~1.1 us (bench/aead figures in docs/security.md).
    """

    def __init__(self, key: bytes, direction: bytes, *, encrypt: bool = False) -> None:
        self.key = key
        self.direction = direction
        self._keyed = hashlib.blake2b(key=key, digest_size=MAC_SIZE)  # copied per frame
        self._tagger = hashlib.blake2b(key=key, digest_size=TAG_SIZE, person=b"kjupyter-head")
        self.aead: AESGCM | None = None
        if encrypt:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            sub = hashlib.blake2b(b"kjupyter-aead-1" + direction, key=key, digest_size=32)
            self.aead = AESGCM(sub.digest())

    @staticmethod
    def nonce(seq: int, counter: int) -> bytes:
        return seq.to_bytes(8, "little") + counter.to_bytes(4, "little")

    def head_tag(self, seq: int, counter: int, data: bytes) -> bytes:
        """The 16-byte tag of a frame's lead or header (checked before trusting either)."""
        if self.aead is not None:
            return self.aead.encrypt(self.nonce(seq, counter), b"", data)
        tagger = self._tagger.copy()
        tagger.update(self.direction + self.nonce(seq, counter) + data)
        return tagger.digest()

    def part_mac(self, seq: int, index: int) -> Any:
        """A Poly1305 state for large part `index` of frame `seq`, under its one-time key."""
        # Imported here: ~20 ms of a worker's start-up, and only large parts need it.
        from cryptography.hazmat.primitives.poly1305 import Poly1305

        label = PART_KEY_CONTEXT + self.direction + seq.to_bytes(8, "little")
        one_time = hashlib.blake2b(
            label + index.to_bytes(4, "little"), key=self.key, digest_size=32
        ).digest()
        return Poly1305(one_time)

    def mac(
        self,
        seq: int,
        header: bytes,
        parts: Sequence[Buffer],
        tags: Mapping[int, bytes] | None = None,
    ) -> bytes:
        """The MAC of a frame; `tags[i]`, when given, is large part i's tag already computed."""
        mac = self._keyed.copy()
        mac.update(self.direction + seq.to_bytes(8, "little") + header)
        for i, part in enumerate(parts):
            if len(part) <= INLINE_LIMIT:
                mac.update(part)
            elif tags is not None and i in tags:
                mac.update(tags[i])
            else:
                state = self.part_mac(seq, i)
                state.update(part)
                mac.update(state.finalize())
        return mac.digest()


_HEADERS: dict[int, struct.Struct] = {}


def _header_struct(nparts: int) -> struct.Struct:
    layout = _HEADERS.get(nparts)
    if layout is None:
        layout = struct.Struct(f"<II{nparts}Q")
        if nparts <= 64:
            _HEADERS[nparts] = layout
    return layout


def _length_field(part: Buffer) -> int:
    n = len(part)
    return n | BYTES_PART if n > INLINE_LIMIT and type(part) is bytes else n


def header_for(parts: Sequence[Buffer]) -> bytes:
    """Magic, part count and part lengths (what the MAC covers as "header", without tags).

    `parts` are bytes or byte-format memoryviews (as `encode_frame` makes them), so `len` is
    their size in bytes; large `bytes` parts carry the `BYTES_PART` flag.
    """
    return _header_struct(len(parts)).pack(MAGIC, len(parts), *map(_length_field, parts))


def _as_bytes_parts(parts: Sequence[Buffer]) -> list[Buffer]:
    return [p if isinstance(p, bytes) else memoryview(p).cast("B") for p in parts]


def _is_small(nparts: int, total: int) -> bool:
    """A frame read whole into the read-ahead buffer and checked by its body's tag alone."""
    return nparts <= SHORT_HEADER_PARTS and total <= INLINE_LIMIT


def _tagged_header(header: bytes, signer: Signer | None, seq: int) -> tuple[bytes, bytes]:
    """(the header with its tags, the header tag): what precedes a large body."""
    tag = signer.head_tag(seq, HEADER_COUNTER, header) if signer is not None else bytes(TAG_SIZE)
    if len(header) <= PREFIX.size + 8 * SHORT_HEADER_PARTS:
        return header + tag, tag
    lead = header[: PREFIX.size]
    lead_tag = signer.head_tag(seq, LEAD_COUNTER, lead) if signer is not None else bytes(TAG_SIZE)
    return lead + lead_tag + header[PREFIX.size :] + tag, tag


def encode_frame(parts: Sequence[Buffer], signer: Signer | None, seq: int) -> list[Buffer]:
    """The buffers to write for one signed frame; small frames come back as one buffer."""
    parts = _as_bytes_parts(parts)
    header = header_for(parts)
    mac = signer.mac(seq, header, parts) if signer is not None else bytes(MAC_SIZE)
    if _is_small(len(parts), sum(len(p) for p in parts)):
        return [b"".join([header, mac, *parts])]
    head, _ = _tagged_header(header, signer, seq)
    return [head + mac, *parts]


def segment_groups(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """Part ranges [start, stop) sealed together: runs of small parts up to `SEGMENT` bytes,
    and each large part alone (cut into `SEGMENT`-sized segments). Both ends compute it from
    the authenticated lengths."""
    groups, i, n = [], 0, len(lengths)
    while i < n:
        if lengths[i] > INLINE_LIMIT:
            groups.append((i, i + 1))
            i += 1
            continue
        j, total = i, 0
        while j < n and lengths[j] <= INLINE_LIMIT and total + lengths[j] <= SEGMENT:
            total += lengths[j]
            j += 1
        groups.append((i, j))
        i = j
    return groups


SEAL_BUFFER = SEGMENT + TAG_SIZE + 4096  # a segment, its tag, and room for a small header


def seal_frame(
    parts: Sequence[Buffer], signer: Signer, seq: int, out: memoryview
) -> Iterable[Buffer]:
    """The buffers to write for one sealed frame; large ones are encrypted piece by piece
    into `out` (at least `SEAL_BUFFER` bytes), reused for every segment: write each buffer
    before taking the next. A small frame is one buffer: header, ciphertext, tag."""
    parts = _as_bytes_parts(parts)
    header = header_for(parts)
    if _is_small(len(parts), sum(len(p) for p in parts)):
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        assert signer.aead is not None  # sealing is for signers with a key's AEAD
        return [header + signer.aead.encrypt(signer.nonce(seq, 0), body, header)]
    return _seal_segments(parts, header, signer, seq, out)


def _seal_segments(
    parts: list[Buffer], header: bytes, signer: Signer, seq: int, out: memoryview
) -> Iterator[memoryview]:
    head, header_tag = _tagged_header(header, signer, seq)
    aead, nonce = signer.aead, signer.nonce
    assert aead is not None  # sealing is for signers with a key's AEAD
    lengths = [len(p) for p in parts]
    start = 0
    if len(head) <= SEAL_BUFFER - SEGMENT - TAG_SIZE:
        out[: len(head)] = head
        start = len(head)
    else:
        yield memoryview(head)
    counter = 0
    for a, b in segment_groups(lengths):
        data = memoryview(parts[a] if b == a + 1 else b"".join(parts[a:b]))
        size = len(data)
        offset = 0
        while True:
            piece = data[offset : offset + SEGMENT]
            end = start + len(piece) + TAG_SIZE
            aead.encrypt_into(nonce(seq, counter), piece, header_tag, out[start:end])
            counter += 1
            yield out[:end]
            start = 0
            offset += SEGMENT
            if offset >= size:
                break


class FrameReader:
    """Reads frames through `recv_into`, with a read-ahead buffer for small ones.

    Large parts are read straight into one buffer allocated for the frame, so a 100 MB value
    costs one copy from the kernel, not a chain of growing chunks. A read interrupted half-way
    (an exception, a closed peer) leaves the reader `broken`: no later frame is trusted.
    """

    def __init__(self, recv_into: RecvInto) -> None:
        self._recv_into = recv_into
        # Anonymous memory, not a bytearray: its pages are faulted in as frames fill them, not
        # all 64 zeroed at once (~0.3 ms a channel on this VM, on the path of a pool's start).
        self._scratch = mmap.mmap(-1, SCRATCH)
        self._view = memoryview(self._scratch)
        self._start = 0
        self._end = 0
        self._segment: memoryview | None = None  # sealed segments that were not read ahead
        self.broken = False

    def buffered(self) -> int:
        """Bytes read ahead and not yet consumed (a selector cannot see these)."""
        return self._end - self._start

    def _fill(self, minimum: int) -> None:
        """Make at least `minimum` bytes available in the scratch buffer."""
        if self._end - self._start >= minimum:
            return
        if self._start:  # slide what is left to the front
            left = self._end - self._start
            self._view[:left] = self._view[self._start : self._end]
            self._start, self._end = 0, left
        while self._end < minimum:
            got = self._recv_into(self._view[self._end :])
            if not got:
                raise ChannelClosed("peer closed the channel")
            self._end += got

    def _take(self, n: int) -> memoryview:
        view = self._view[self._start : self._start + n]
        self._start += n
        return view

    def _read_into(
        self, target: memoryview, feed: Callable[[memoryview], Any] | None = None
    ) -> None:
        """Fill `target`: first from read-ahead, then directly from the source.

        `feed`, when given, sees each piece as it lands, while it is still in the CPU cache
        (the receiver's MAC of a large part overlaps its transfer instead of following it).
        """
        have = min(self._end - self._start, len(target))
        target[:have] = self._view[self._start : self._start + have]
        self._start += have
        if feed is not None and have:
            feed(target[:have])
        pos = have
        while pos < len(target):
            got = self._recv_into(target[pos:])
            if not got:
                raise ChannelClosed("peer closed the channel mid-frame")
            if feed is not None:
                feed(target[pos : pos + got])
            pos += got

    def read(self, signer: Signer | None, seq: int) -> list[memoryview]:
        """Read one frame and check its MAC (unless `signer` is None); return its parts."""
        if self.broken:
            raise ProtocolError("channel was aborted after a partial read; it cannot be reused")
        started = self._end - self._start > 0
        try:
            if not started:
                self._fill(1)
                started = True
            return self._read(signer, seq)
        except BaseException:
            if started:
                self.broken = True
            raise

    def _read(self, signer: Signer | None, seq: int) -> list[memoryview]:
        # Nothing beyond the fixed read-ahead buffer is read or allocated for what a peer
        # announces until a tag shows it holds the key (see the module docstring).
        self._fill(PREFIX.size)
        magic, nparts = PREFIX.unpack_from(self._scratch, self._start)
        if magic != MAGIC:
            if self._view[self._start : self._start + PREFIX.size] == REFUSAL:
                raise AuthenticationError(REFUSED)
            raise ProtocolError("not a kjupyter frame (bad magic); is the peer a kjupyter worker?")
        lead = bytes(self._take(PREFIX.size))
        if nparts > SHORT_HEADER_PARTS:  # check the count before reading what it announces
            self._fill(TAG_SIZE)
            lead_tag = bytes(self._take(TAG_SIZE))
            if signer is not None and not hmac.compare_digest(
                signer.head_tag(seq, LEAD_COUNTER, lead), lead_tag
            ):
                raise AuthenticationError(FORGED)
        if nparts > MAX_PARTS:
            raise ProtocolError(f"frame announces {nparts} parts, more than {MAX_PARTS}")
        if nparts <= SHORT_HEADER_PARTS:  # fits the read-ahead: nothing allocated yet
            self._fill(8 * nparts)
            fields_bytes = bytes(self._take(8 * nparts))
            header_tag = b""
        else:  # a long header whose count a key holder announced
            head = bytearray(8 * nparts + TAG_SIZE)
            self._read_into(memoryview(head))
            fields_bytes, header_tag = bytes(head[:-TAG_SIZE]), bytes(head[-TAG_SIZE:])
        header = lead + fields_bytes
        fields = _header_struct(nparts).unpack(header)[2:]
        lengths = [n & ~BYTES_PART for n in fields]
        total = sum(lengths)
        if _is_small(nparts, total):  # read whole into the read-ahead, then checked
            return self._read_small(signer, seq, header, lengths, total)
        if not header_tag:
            self._fill(TAG_SIZE)
            header_tag = bytes(self._take(TAG_SIZE))
        if signer is not None and not hmac.compare_digest(
            signer.head_tag(seq, HEADER_COUNTER, header), header_tag
        ):
            raise AuthenticationError(FORGED)
        if total > MAX_FRAME:
            raise ProtocolError(f"frame announces {total} bytes, more than {MAX_FRAME}")
        if signer is not None and signer.aead is not None:
            return self._read_sealed(signer, seq, fields, lengths, header_tag)
        self._fill(MAC_SIZE)
        mac = bytes(self._take(MAC_SIZE))
        if total <= self._end - self._start:  # all read ahead already: one copy, no loop
            whole = memoryview(bytearray(self._take(total)))
            parts, pos = [], 0
            for n in lengths:
                parts.append(whole[pos : pos + n])
                pos += n
            if signer is not None and not hmac.compare_digest(signer.mac(seq, header, parts), mac):
                raise AuthenticationError(FORGED)
            return parts
        parts, targets, _, _ = self._targets(fields, lengths)
        tags: dict[int, bytes] = {}
        for i, n in enumerate(lengths):
            if signer is not None and n > INLINE_LIMIT:
                state = signer.part_mac(seq, i)
                self._read_into(targets[i], state.update)
                tags[i] = state.finalize()
            else:
                self._read_into(targets[i])
        if signer is not None:
            expected = signer.mac(seq, header, parts, tags)
            if not hmac.compare_digest(expected, mac):
                raise AuthenticationError(FORGED)
        return parts

    def _read_small(
        self, signer: Signer | None, seq: int, header: bytes, lengths: list[int], total: int
    ) -> list[memoryview]:
        """A small frame: all of it fits the read-ahead, where its one tag is checked."""
        sealed = signer is not None and signer.aead is not None
        self._fill(total + (TAG_SIZE if sealed else MAC_SIZE))
        if sealed:
            assert signer is not None and signer.aead is not None
            whole = memoryview(bytearray(total))
            try:
                signer.aead.decrypt_into(
                    signer.nonce(seq, 0), self._take(total + TAG_SIZE), header, whole
                )
            except _invalid_tag():
                raise AuthenticationError(FORGED) from None
        else:
            mac = bytes(self._take(MAC_SIZE))
            whole = memoryview(bytearray(self._take(total)))
        parts, pos = [], 0
        for n in lengths:
            parts.append(whole[pos : pos + n])
            pos += n
        if (
            not sealed
            and signer is not None
            and not hmac.compare_digest(signer.mac(seq, header, parts), mac)
        ):
            raise AuthenticationError(FORGED)
        return parts

    def _targets(
        self, fields: Sequence[int], lengths: Sequence[int]
    ) -> tuple[list[memoryview], list[memoryview], memoryview, list[int]]:
        """Where the parts land: each part as returned, the writable view to fill it through,
        the pooled buffer and each part's start in it.

        Large `bytes` parts get an object of their own; the others are consecutive slices of
        one pooled buffer, so a run of small parts is one contiguous region.
        """
        own = {i for i, n in enumerate(lengths) if fields[i] & BYTES_PART and n > INLINE_LIMIT}
        view = POOL.take(sum(lengths) - sum(lengths[i] for i in own))
        parts, targets, starts, pos = [], [], [], 0
        for i, n in enumerate(lengths):
            starts.append(pos)
            if i in own:
                obj, target = fresh_bytes(n)
                part = memoryview(obj)
            else:
                part = target = view[pos : pos + n]
                pos += n
            parts.append(part)
            targets.append(target)
        return parts, targets, view, starts

    def _read_sealed(
        self,
        signer: Signer,
        seq: int,
        fields: Sequence[int],
        lengths: Sequence[int],
        header_tag: bytes,
    ) -> list[memoryview]:
        """Decrypt a sealed body segment by segment into the parts' final buffers."""
        invalid = _invalid_tag()
        parts, targets, pooled, starts = self._targets(fields, lengths)
        aead, nonce = signer.aead, signer.nonce
        assert aead is not None  # only sealed frames come here
        counter = 0
        for a, b in segment_groups(lengths):
            # A large part alone, or a run of small parts: adjacent slices of the pooled buffer.
            run = pooled[starts[a] : starts[a] + sum(lengths[a:b])]
            region = targets[a] if b == a + 1 else run
            size, offset = len(region), 0
            while True:
                target = region[offset : offset + SEGMENT]
                need = len(target) + TAG_SIZE
                if self._end - self._start >= need:
                    sealed = self._take(need)
                else:
                    if self._segment is None:
                        self._segment = memoryview(bytearray(SEGMENT + TAG_SIZE))
                    sealed = self._segment[:need]
                    self._read_into(sealed)
                try:
                    aead.decrypt_into(nonce(seq, counter), sealed, header_tag, target)
                except invalid:
                    raise AuthenticationError(FORGED) from None
                counter += 1
                offset += SEGMENT
                if offset >= size:
                    break
        return parts


_InvalidTag: Any = None  # cryptography's, imported with the first sealed frame


def _invalid_tag() -> Any:
    global _InvalidTag
    if _InvalidTag is None:
        from cryptography.exceptions import InvalidTag

        _InvalidTag = InvalidTag
    return _InvalidTag


class _NoGlobals(pickle.Unpickler):
    """Control messages are builtins only: a global in one is an attack or a bug."""

    def find_class(self, module: str, name: str) -> Any:
        raise ProtocolError(f"control message refers to {module}.{name}; refusing to load it")


def dumps_message(msg: Any) -> bytes:
    """Pickle a control message (tuples, lists, dicts, str, bytes, numbers, None)."""
    return pickle.dumps(msg, protocol=5)


def loads_message(data: Buffer) -> Any:
    """Load a control message; any global reference is refused."""
    return _NoGlobals(io.BytesIO(data)).load()


_FAST_TYPES = (int, float, str, bool, type(None))
SCALARS = (int, float, bool, type(None))  # values a result batch carries as they are


def is_plain(value: Any) -> bool:
    """True for values a control message may carry as they are: no blob, no cloudpickle."""
    kind = type(value)
    return kind in SCALARS or (kind is str and len(value) <= INLINE_LIMIT)


_FAST_LIST = 64  # lists of plain values up to this length skip cloudpickle's set-up


def pack_value(value: Any) -> list[Buffer]:
    """A user value as blob parts: cloudpickle protocol 5, large buffers out of band."""
    kind = type(value)
    if kind in _FAST_TYPES or (
        (kind is list or kind is tuple)
        and len(value) <= _FAST_LIST
        and all(type(v) in _FAST_TYPES for v in value)
    ):
        return [pickle.dumps(value, protocol=5)]
    if type(value) is bytes and len(value) > INLINE_LIMIT:
        return [b"B", value]  # sent as is; one copy on arrival, none on departure
    import cloudpickle

    buffers: list[pickle.PickleBuffer] = []
    main = cloudpickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    return [main, *(b.raw() for b in buffers)]


def unpack_value(parts: Sequence[Buffer]) -> Any:
    """Inverse of `pack_value`; runs user code (reducers), so only on verified frames."""
    if len(parts) == 2 and len(parts[0]) == 1 and bytes(parts[0]) == b"B":
        data = parts[1]
        if type(data) is bytes:
            return data
        if (  # see `fresh_bytes`
            isinstance(data, memoryview) and type(data.obj) is bytes and len(data.obj) == len(data)
        ):
            return data.obj
        return bytes(data)
    return pickle.loads(parts[0], buffers=parts[1:])
