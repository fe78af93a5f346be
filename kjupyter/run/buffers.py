"""Receive buffers: pooled memory for large frames, and `bytes` objects filled in place.

Why a module of its own: both are about where received bytes land (and what that costs on
these VMs), not about the wire format that `wire` reads into them.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

POOL_MIN = 1 << 20  # frames from this size on are read into pooled buffers
POOL_BYTES = 256 << 20  # most free memory the pool keeps for reuse
POOL_IDLE = 30.0  # s a free pooled buffer is kept without being reused
POOL_BUFFERS = 64  # most buffers the pool tracks (in use or free): each take scans them


class BufferPool:
    """Receive buffers for large frames, reused once nothing refers to them any more.

    Fresh memory costs a page fault per 4 KiB on first touch: on these VMs a 100 MB result
    read into a new buffer moves at ~0.7 GB/s, into reused memory at 3-5 GB/s. A pooled
    buffer is handed out as a view; the values unpickled from it (numpy arrays, say) keep it
    referenced, so it is reused only when its reference count shows that nothing but the
    pool holds it. `limit` bounds the *free* memory kept (a buffer in use is held by its
    value anyway): a value pushed again and again needs two buffers alive at once, and
    with the limit on all of them a second 100 MB buffer beside a scattered block was
    never kept, so every other push paid fresh pages. Free buffers beyond the limit, or not
    reused for `POOL_IDLE` seconds, are dropped.
    """

    def __init__(self, limit: int = POOL_BYTES) -> None:
        self.limit = limit
        self._buffers: list[bytearray] = []
        self._last_used: list[float] = []
        self._lock = threading.Lock()

    def take(self, n: int) -> memoryview:
        """A writable view of `n` bytes (contents undefined)."""
        if n < POOL_MIN:
            return memoryview(bytearray(n))
        now = time.monotonic()
        with self._lock:
            best = -1
            for i in range(len(self._buffers)):
                # 2 references: the pool's list and getrefcount's argument -> nobody else.
                size = len(self._buffers[i])
                fits = n <= size <= 2 * n and (best < 0 or size < len(self._buffers[best]))
                if fits and sys.getrefcount(self._buffers[i]) == 2:
                    best = i
            if best >= 0:
                self._last_used[best] = now
                return memoryview(self._buffers[best])[:n]
            capacity = _size_class(n)
            self._trim(now, self.limit)
            buf = bytearray(capacity)
            if len(self._buffers) < POOL_BUFFERS:
                self._buffers.append(buf)
                self._last_used.append(now)
            return memoryview(buf)[:n]

    def _trim(self, now: float, limit: int) -> None:
        """Drop free buffers idle too long, then the oldest free ones beyond `limit` bytes."""
        free = [i for i in range(len(self._buffers)) if sys.getrefcount(self._buffers[i]) == 2]
        kept = sum(len(self._buffers[i]) for i in free)
        drop = set()
        for i in sorted(free, key=self._last_used.__getitem__):  # the oldest first
            if kept > limit or now - self._last_used[i] > POOL_IDLE:
                kept -= len(self._buffers[i])
                drop.add(i)
        if drop:
            keep = [i for i in range(len(self._buffers)) if i not in drop]
            self._buffers = [self._buffers[i] for i in keep]
            self._last_used = [self._last_used[i] for i in keep]

    def free_bytes(self) -> int:
        """Bytes of pooled buffers nothing but the pool holds."""
        with self._lock:
            return sum(len(b) for b in self._buffers if sys.getrefcount(b) == 3)

    def clear(self) -> None:
        """Forget every pooled buffer (those in use live on with their users)."""
        with self._lock:
            self._buffers.clear()
            self._last_used.clear()


def _size_class(n: int) -> int:
    """Round up to 1/8 of the next power of two, so similar sizes share buffers."""
    step = max(1, (1 << max(0, n.bit_length() - 1)) // 8)
    return -(-n // step) * step


POOL = BufferPool()
_BYTES_OFFSET = bytes.__basicsize__ - 1  # where a CPython bytes object's data starts
_new_bytes: Callable[[Any, int], bytes] | None = None


def fresh_bytes(n: int) -> tuple[Any, memoryview]:
    """A new object of `n` bytes and a writable view to fill it through (before any use).

    On CPython this is a real `bytes` object, made uninitialised by PyBytes_FromStringAndSize
    and filled in place, as C code that builds bytes does: a 25 MB `bytes` result then costs
    one copy (socket to object), not two (socket to buffer to a new bytes). Elsewhere it is a
    bytearray, which `unpack_value` copies into bytes.
    """
    global _new_bytes
    if sys.implementation.name != "cpython":
        buffer = bytearray(n)
        return buffer, memoryview(buffer)
    import ctypes

    if _new_bytes is None:
        maker = ctypes.pythonapi.PyBytes_FromStringAndSize
        maker.restype, maker.argtypes = ctypes.py_object, (ctypes.c_void_p, ctypes.c_ssize_t)
        _new_bytes = maker
    obj = _new_bytes(None, n)
    window = (ctypes.c_char * n).from_address(id(obj) + _BYTES_OFFSET)
    return obj, memoryview(window).cast("B")
