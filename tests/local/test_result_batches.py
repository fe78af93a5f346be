"""Issue 12, Deliver 2: results travel in columnar batches and every task keeps its own record."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

import kjupyter

pytestmark = pytest.mark.timeout(120)


class Point:
    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return type(other) is Point and other.x == self.x


VALUES = [
    0,
    -7,
    2**80,  # a big int, beyond 64 bits
    True,
    False,
    None,
    1.5,
    math.inf,
    "",
    "short",
    "é" * 10,
    "x" * 70_000,  # past the inline limit: a blob, not a column
    b"bytes",
    b"y" * 100_000,
    (1, "a"),
    [1, [2, 3]],
    {"k": [1.0, None]},
    {1, 2},
    np.arange(5),
    np.float64(2.5),
    pd.DataFrame({"a": [1, 2]}),
    Point(3),
    ValueError("a value, not raised"),
]


def test_every_value_type_round_trips_in_one_batch():
    values = kjupyter.map(VALUES.__getitem__, range(len(VALUES)), workers=1, chunksize=len(VALUES))
    for sent, got in zip(VALUES, values["value"], strict=True):
        assert type(got) is type(sent), (sent, got)
        if isinstance(sent, np.ndarray):
            assert (got == sent).all()
        elif isinstance(sent, pd.DataFrame):
            assert got.equals(sent)
        elif isinstance(sent, Exception):
            assert got.args == sent.args
        else:
            assert got == sent
    nan = kjupyter.map(lambda _: math.nan, [0], workers=1, values=True, quiet=True)[0]
    assert math.isnan(nan)


def test_a_failing_task_inside_a_batch_keeps_the_others():
    def work(i):
        print(f"task {i}")
        if i == 5:
            raise KeyError(i)
        return i * 2

    began = time.time()
    frame = kjupyter.map(work, range(12), workers=1, chunksize=12, quiet=True)
    ended = time.time()
    assert list(frame["status"]) == ["ok"] * 5 + ["error"] + ["ok"] * 6
    assert list(frame["value"].drop(index=5)) == [i * 2 for i in range(12) if i != 5]
    assert "KeyError: 5" in frame.loc[5, "error"]
    assert (frame["error"].drop(index=5) == "").all()
    assert list(frame["attempts"]) == [1] * 12
    assert list(frame["stdout"]) == [f"task {i}\n" for i in range(12)]
    started, finished = frame["started"], frame["finished"]
    # each task has its own times, in the order the worker ran them, inside the run's window
    assert (started <= finished).all()
    assert list(started) == sorted(started)
    window = pd.to_datetime([began - 1, ended + 1], unit="s", utc=True)
    started, finished = started.dt.tz_convert("UTC"), finished.dt.tz_convert("UTC")
    assert started.iloc[0] >= window[0] and finished.iloc[-1] <= window[1]
    assert (started.iloc[1:].to_numpy() >= finished.iloc[:-1].to_numpy()).all()
