"""Frames, signatures and pickling, with no network: a socketpair-free byte pipe in memory."""

from __future__ import annotations

import os
import pickle
import socket
import struct
import threading

import pytest

from kjupyter.errors import AuthenticationError, ChannelClosed, ProtocolError
from kjupyter.run import wire


class Pipe:
    """An in-memory byte stream with a `recv_into` that returns at most `chunk` bytes."""

    def __init__(self, data: bytes, chunk: int = 1 << 30) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.chunk = chunk

    def recv_into(self, view: memoryview) -> int:
        n = min(len(view), len(self.data) - self.pos, self.chunk)
        view[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


def frame_bytes(parts, signer, seq=0) -> bytes:
    return b"".join(bytes(b) for b in wire.encode_frame(parts, signer, seq))


KEY = b"k" * 32
SENDER = wire.Signer(KEY, b"K")


PARTS = {
    "empty": [b""],
    "one": [b"hello"],
    "three": [b"a", b"", b"bc"],
    "large-and-small": [b"x" * 100_000, b"y"],
    "3MB": [os.urandom(3_000_000)],
}
READS = {"1B-reads": 1, "7B-reads": 7, "whole": 1 << 30}
# byte-at-a-time reads of megabytes take long and prove nothing the small cases do not
CASES = [
    pytest.param(PARTS[p], READS[r], id=f"{p}-{r}")
    for p in PARTS
    for r in READS
    if not (READS[r] == 1 and sum(map(len, PARTS[p])) > 200_000)
]


@pytest.mark.parametrize(("parts", "chunk"), CASES)
def test_round_trip(parts, chunk):
    reader = wire.FrameReader(Pipe(frame_bytes(parts, SENDER, 5), chunk).recv_into)
    got = reader.read(wire.Signer(KEY, b"K"), 5)
    assert [bytes(p) for p in got] == [bytes(p) for p in parts]


def test_two_frames_back_to_back_share_the_read_ahead():
    data = frame_bytes([b"one"], SENDER, 0) + frame_bytes([b"two", b"2"], SENDER, 1)
    reader = wire.FrameReader(Pipe(data).recv_into)
    assert [bytes(p) for p in reader.read(SENDER, 0)] == [b"one"]
    assert reader.buffered() > 0
    assert [bytes(p) for p in reader.read(SENDER, 1)] == [b"two", b"2"]


@pytest.mark.parametrize(
    "tamper",
    ["wrong-key", "wrong-seq", "wrong-direction", "flipped-byte", "flipped-large-byte"],
)
def test_tampered_frames_are_refused(tamper):
    parts = [b"payload", os.urandom(200_000)]
    data = bytearray(frame_bytes(parts, SENDER, 3))
    signer, seq = wire.Signer(KEY, b"K"), 3
    if tamper == "wrong-key":
        signer = wire.Signer(b"x" * 32, b"K")
    elif tamper == "wrong-seq":
        seq = 4
    elif tamper == "wrong-direction":
        signer = wire.Signer(KEY, b"W")
    elif tamper == "flipped-byte":
        data[-200_001] ^= 1  # last byte of the small part
    else:
        data[-1] ^= 1
    reader = wire.FrameReader(Pipe(bytes(data)).recv_into)
    with pytest.raises(AuthenticationError):
        reader.read(signer, seq)
    with pytest.raises(ProtocolError):  # a channel that failed a read is never reused
        reader.read(signer, seq + 1)


def test_forged_payload_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    parts = [wire.dumps_message(("work", [], [], [])), pickle.dumps(Evil())]
    forged = frame_bytes(parts, wire.Signer(b"attacker-key-xxxxxxxxxxxxxxxxxxx", b"K"))
    reader = wire.FrameReader(Pipe(forged).recv_into)
    with pytest.raises(AuthenticationError):
        reader.read(SENDER, 0)
    assert not marker.exists()
    # The same payload, properly signed, would create the file: the check is what stops it.
    good = wire.FrameReader(Pipe(frame_bytes(parts, SENDER)).recv_into).read(SENDER, 0)
    wire.unpack_value(good[1:]).close()
    assert marker.exists()


def test_bad_magic_and_eof():
    with pytest.raises(ProtocolError, match="magic"):
        wire.FrameReader(Pipe(b"GET / HTTP/1.1\r\n\r\n").recv_into).read(SENDER, 0)
    with pytest.raises(ChannelClosed):
        wire.FrameReader(Pipe(b"").recv_into).read(SENDER, 0)
    truncated = frame_bytes([b"abcdef"], SENDER)[:-2]
    with pytest.raises(ChannelClosed):
        wire.FrameReader(Pipe(truncated).recv_into).read(SENDER, 0)


def test_tags_computed_while_reading_give_the_sender_s_mac():
    big = os.urandom(100_000)
    header = wire.header_for([b"m", big])
    state = SENDER.part_mac(0, 1)
    for start in range(0, len(big), 7_000):  # fed piece by piece, as the reader does
        state.update(big[start : start + 7_000])
    assert SENDER.mac(0, header, [b"m", big]) == SENDER.mac(
        0, header, [b"m", big], {1: state.finalize()}
    )


def test_each_large_part_has_its_own_one_time_key():
    """Poly1305 keys are never reused: they differ by sequence, part index and direction."""
    data = b"z" * 100_000
    tags = set()
    for signer in (SENDER, wire.Signer(KEY, b"W")):
        for seq in (0, 1):
            for index in (1, 2):
                state = signer.part_mac(seq, index)
                state.update(data)
                tags.add(state.finalize())
    assert len(tags) == 8


@pytest.mark.parametrize("tamper", ["flipped-middle-byte", "swapped-parts", "truncated-tail"])
def test_tampered_large_parts_read_in_pieces_are_refused(tamper):
    a, b = os.urandom(3_000_000), os.urandom(3_000_000)
    parts = [b"payload", a, b]
    if tamper == "swapped-parts":  # same bytes, same lengths, other order
        data = bytearray(frame_bytes(parts, SENDER, 2))
        body = len(data) - 6_000_000
        data[body:] = b + a
    else:
        data = bytearray(frame_bytes(parts, SENDER, 2))
        data[-4_500_000] ^= 0x80
    if tamper == "truncated-tail":  # a frame cut short never yields parts
        data = data[:-1]
    reader = wire.FrameReader(Pipe(bytes(data), chunk=65_536).recv_into)
    with pytest.raises((AuthenticationError, ChannelClosed)):
        reader.read(SENDER, 2)
    assert reader.broken


def test_control_messages_refuse_globals():
    msg = ("work", [], [(b"k", 1)], [({"kind": "cell"}, [1, 2], 1)])
    assert wire.loads_message(wire.dumps_message(msg)) == msg
    with pytest.raises(ProtocolError, match="refusing"):
        wire.loads_message(pickle.dumps(os.system))


def test_values_keep_large_buffers_out_of_band():
    np = pytest.importorskip("numpy")
    array = np.arange(1_000_000, dtype="float64")
    parts = wire.pack_value({"a": array})
    assert len(parts) == 2 and len(parts[1]) == array.nbytes  # the array is its own part
    assert (wire.unpack_value(parts)["a"] == array).all()
    raw = os.urandom(200_000)
    assert wire.unpack_value(wire.pack_value(raw)) == raw
    assert wire.unpack_value(wire.pack_value(lambda x: x + 1))(1) == 2


def test_pooled_receive_buffers_are_reused_only_when_released():
    pool = wire.BufferPool(limit=64 << 20)
    first = pool.take(3 << 20)
    first[:3] = b"abc"
    held = pool.take(3 << 20)  # `first` is still referenced: a different buffer
    assert held.obj is not first.obj
    del first
    again = pool.take(3 << 20)
    assert len(again) == 3 << 20
    assert bytes(again[:3]) == b"abc"  # the released buffer came back
    small = pool.take(100)
    assert len(small) == 100


def test_values_read_into_pooled_buffers_survive_later_frames():
    np = pytest.importorskip("numpy")
    a, b = socket.socketpair()
    signer = wire.Signer(b"k" * 32, b"K")
    reader = wire.FrameReader(b.recv_into)
    values = []
    for i in range(3):
        parts = wire.pack_value(np.full(1 << 18, i, dtype="float64"))  # 2 MiB
        sender = threading.Thread(
            target=lambda p=parts, s=i: [a.sendall(x) for x in wire.encode_frame(p, signer, s)]
        )
        sender.start()
        values.append(wire.unpack_value(reader.read(signer, i)))
        sender.join()
    assert [float(v[0]) for v in values] == [0.0, 1.0, 2.0]
    assert [float(v[-1]) for v in values] == [0.0, 1.0, 2.0]
    a.close()
    b.close()


def test_large_bytes_arrive_as_their_own_object_and_arrays_stay_writable():
    np = pytest.importorskip("numpy")
    raw = os.urandom(3_000_000)
    reader = wire.FrameReader(Pipe(frame_bytes(wire.pack_value(raw), SENDER, 0), 65536).recv_into)
    parts = reader.read(SENDER, 0)
    value = wire.unpack_value(parts)
    assert type(value) is bytes and value == raw and hash(value) == hash(raw)
    assert parts[1].obj is value  # filled from the socket in place: no copy afterwards
    array = np.arange(400_000, dtype="float64")
    reader = wire.FrameReader(Pipe(frame_bytes(wire.pack_value(array), SENDER, 1)).recv_into)
    got = wire.unpack_value(reader.read(SENDER, 1))
    got[0] = -1.0  # out-of-band buffers stay writable (pooled bytearrays, never bytes)
    assert got[0] == -1.0 and (got[1:] == array[1:]).all()


def test_the_bytes_flag_is_signed():
    data = bytearray(frame_bytes([b"m", os.urandom(200_000)], SENDER, 0))
    flag_byte = wire.PREFIX.size + 8 * 2 - 1  # the top byte of part 1's length
    assert data[flag_byte] & 0x80
    data[flag_byte] &= 0x7F  # "deliver as a bytearray" instead: a different, unsigned frame
    with pytest.raises(AuthenticationError):
        wire.FrameReader(Pipe(bytes(data)).recv_into).read(SENDER, 0)


def test_only_plain_builtin_values_travel_inline():
    np = pytest.importorskip("numpy")
    for value in (0, -(10**40), 1.5, True, None, "short"):
        assert wire.is_plain(value), value
    for value in ("x" * (wire.INLINE_LIMIT + 1), np.int64(3), b"bytes", [1], (1,), {"a": 1}):
        assert not wire.is_plain(value), type(value)


def test_unauthenticated_lengths_are_not_allocated():
    """Issue 15.3: lengths in a frame's header were trusted, and allocated, before its MAC."""
    import tracemalloc

    header = struct.pack("<IIQ", wire.MAGIC, 1, 256 << 20) + bytes(64)  # 256 MiB announced
    tracemalloc.start()
    try:
        with pytest.raises((AuthenticationError, ChannelClosed)):
            wire.FrameReader(Pipe(header + os.urandom(1 << 20)).recv_into).read(SENDER, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak >> 20} MiB allocated for an unauthenticated frame"


SEALER = wire.Signer(KEY, b"K", encrypt=True)


def sealed_bytes(parts, signer=SEALER, seq=0) -> bytes:
    out = memoryview(bytearray(wire.SEAL_BUFFER))
    return b"".join(bytes(b) for b in wire.seal_frame(parts, signer, seq, out))


SEALED_PARTS = {
    **PARTS,
    "many-small": [bytes([i % 256]) * (i * 37 % 5000) for i in range(300)],
    "bytes-and-views": [b"m", os.urandom(700_000), memoryview(os.urandom(300_000)), b"t"],
}


SEALED_CASES = [  # 7-byte reads of megabytes prove nothing the other reads do not
    pytest.param(SEALED_PARTS[p], chunk, id=f"{p}-{chunk}B")
    for p in sorted(SEALED_PARTS)
    for chunk in (7, 65_536, 1 << 30)
    if not (chunk == 7 and sum(map(len, SEALED_PARTS[p])) > 200_000)
]


@pytest.mark.parametrize(("parts", "chunk"), SEALED_CASES)
def test_sealed_round_trip(parts, chunk):
    data = sealed_bytes(parts, seq=9)
    receiver = wire.Signer(KEY, b"K", encrypt=True)
    got = wire.FrameReader(Pipe(data, chunk).recv_into).read(receiver, 9)
    assert [bytes(p) for p in got] == [bytes(p) for p in parts]


def test_sealed_frames_carry_no_plaintext_and_refuse_tampering():
    secret = b"plaintext-that-must-not-show" * 10_000
    data = bytearray(sealed_bytes([b"ctl " + secret[:100], secret], seq=4))
    assert b"plaintext-that-must-not-show" not in data
    for tamper in ("flip-ciphertext", "wrong-seq", "wrong-direction", "flip-length"):
        forged, signer, seq = bytearray(data), wire.Signer(KEY, b"K", encrypt=True), 4
        if tamper == "flip-ciphertext":
            forged[len(forged) // 2] ^= 1
        elif tamper == "wrong-seq":
            seq = 5
        elif tamper == "wrong-direction":
            signer = wire.Signer(KEY, b"W", encrypt=True)
        else:
            forged[wire.PREFIX.size] ^= 1
        reader = wire.FrameReader(Pipe(bytes(forged)).recv_into)
        with pytest.raises(AuthenticationError):
            reader.read(signer, seq)


@pytest.mark.parametrize("sealed", [False, True], ids=["signed", "sealed"])
def test_long_headers_have_their_part_count_checked_first(sealed):
    signer = wire.Signer(KEY, b"K", encrypt=sealed)
    parts = [b"p%d" % i for i in range(wire.SHORT_HEADER_PARTS + 10)]
    data = sealed_bytes(parts, signer, 1) if sealed else frame_bytes(parts, signer, 1)
    got = wire.FrameReader(Pipe(data, 65_536).recv_into).read(signer, 1)
    assert [bytes(p) for p in got] == parts
    # A forged lead announcing the most parts is refused before its 8 MB of lengths are read.
    forged = struct.pack("<II", wire.MAGIC, wire.MAX_PARTS) + bytes(wire.TAG_SIZE) + bytes(1 << 20)
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(AuthenticationError):
            wire.FrameReader(Pipe(forged).recv_into).read(signer, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_the_pool_limit_bounds_free_memory_not_buffers_in_use():
    """A value pushed again needs two buffers alive at once; with the limit counting buffers
    in use, the one beyond it was never kept, and every other push paid fresh pages."""
    pool = wire.BufferPool(limit=8 << 20)
    held = [pool.take(3 << 20), pool.take(3 << 20)]
    third = pool.take(3 << 20)  # 9 MiB in use, more than the limit
    third[:3] = b"xyz"
    del third
    again = pool.take(3 << 20)
    assert bytes(again[:3]) == b"xyz"  # kept, and reused once released
    del held, again
    assert pool.free_bytes() == 9 << 20
    other = pool.take(5 << 20)  # a size none fits: the oldest free buffer goes
    assert pool.free_bytes() <= 8 << 20
    assert len(other) == 5 << 20
