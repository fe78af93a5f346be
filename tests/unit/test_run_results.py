"""The results DataFrame and summary line, from task records."""

from __future__ import annotations

from kjupyter.run import results
from kjupyter.run.tasks import Task


def task(id, index, **fields):
    record = Task(id, index, index)
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def tasks():
    ok = task(1, 0, status="ok", value={"v": 1}, worker="local-1", attempts=1)
    ok.started, ok.finished, ok.submitted = 100.0, 101.5, 99.0
    ok.add_output("stdout", "a")
    ok.add_output("stdout", "b\n")
    bad = task(2, 1, status="error", error="ValueError: no", attempts=2)
    return [ok, bad]


def test_frame_has_the_documented_columns():
    frame = results.to_frame(tasks(), "rank", {"backend": "local"})
    expected = [c if c != "label" else "rank" for c in results.COLUMNS]
    assert list(frame.columns) == expected
    assert frame.loc[0, "value"] == {"v": 1}
    assert frame.loc[0, "stdout"] == "ab\n"
    assert frame.loc[0, "duration"] == 1.5
    assert str(frame["started"].dtype).startswith("datetime64")
    assert frame.attrs["backend"] == "local"
    for column in results.COLUMNS:
        assert column == "label" or column in results.__doc__


def test_summary_counts_failures_and_names_the_backend():
    line = results.summary_line(tasks(), "local", 2, 0.5)
    assert line == "2 tasks on local (2 workers) in 0.50 s: 1 ok, 1 failed (error: 1)"


def test_time_columns_are_what_pandas_to_datetime_gives():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    nan = float("nan")
    columns = [
        [*(1.7e9 + rng.random(2000) * 1e7), nan, 0.0, 99.0, 101.5, 1e-9, 0.5, -2.25],
        [99.0, nan, 1e9],  # whole seconds: pandas picks microseconds
        [nan, nan],
        [],
    ]
    for column in columns:
        expected = pd.to_datetime(pd.Series(column, dtype="float64"), unit="s", utc=True)
        (got,) = map(pd.Series, results.utc_stamps([column]))
        assert got.dtype == expected.dtype and got.equals(expected), column[:3]
    first, second = results.utc_stamps([[1.5, 2.0], [1.0, 2.0]])  # a unit per column
    assert str(first.dtype) == "datetime64[ns, UTC]" and str(second.dtype) == "datetime64[us, UTC]"
    frame = results.to_frame(tasks(), "rank", {})
    assert frame["started"].iloc[0] == pd.Timestamp(100.0, unit="s", tz="UTC")
    sequences = [task(3, 0, value=(1, 2)), task(4, 1, value=[3])]
    assert list(results.to_frame(sequences, "rank", {})["value"]) == [(1, 2), [3]]
    assert frame["submitted"].isna().tolist() == [False, True]
