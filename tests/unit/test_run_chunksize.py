"""map's default chunk size: eight chunks per worker, bounded by items and by pickled bytes."""

from __future__ import annotations

import numpy as np

from kjupyter.run.api import CHUNK_BYTES, MAX_CHUNK, default_chunksize


def test_eight_chunks_per_worker_rounded_up():
    assert default_chunksize(list(range(100_000)), 2) == 6250
    assert default_chunksize(list(range(5_000)), 2) == 313  # no straggler of 8 items
    assert default_chunksize(list(range(10)), 2) == 1


def test_at_most_max_chunk_items():
    assert default_chunksize(list(range(10_000_000)), 2) == MAX_CHUNK


def test_big_items_make_small_chunks():
    arrays = [np.zeros(1 << 17)] * 1000  # 1 MiB each
    size = default_chunksize(arrays, 2)
    assert CHUNK_BYTES // arrays[0].nbytes - 1 <= size and size * arrays[0].nbytes <= CHUNK_BYTES
    strings = ["x" * (1 << 20)] * 4000
    assert default_chunksize(strings, 2) <= CHUNK_BYTES // (1 << 20)


def test_an_item_that_cannot_be_pickled_leaves_the_engine_to_say_so():
    import threading

    assert default_chunksize([threading.Lock()] * 1000, 2) == 1
