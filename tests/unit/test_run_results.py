"""The results DataFrame and summary line, from task records."""

from __future__ import annotations

import math

import pandas as pd

from kjupyter.run import results
from kjupyter.run.tasks import ERROR, OK, Task, TaskTable


def task(id, index, **fields):
    record = Task(id, index, index)
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def tasks():
    ok = task(1, 0, status="ok", value={"v": 1}, worker="local-1", attempts=1)
    ok.started, ok.finished, ok.submitted = 100.0, 101.5, 99.0
    ok.stdout = ["a", "b\n"]
    bad = task(2, 1, status="error", error="ValueError: no", attempts=2)
    return [ok, bad]


def table():
    """The same two tasks as `tasks()`, kept as a run's columns."""
    kept = TaskTable([1, 2], [0, 1])
    slot = kept.add_worker("local-1", "")
    kept.status[:] = bytes((OK, ERROR))
    kept.values[0] = {"v": 1}
    kept.ran_on[0] = slot
    kept.attempts[:] = bytes((1, 2))
    kept.started[0], kept.finished[0], kept.submitted[0] = 100.0, 101.5, 99.0
    kept.add_output(0, "stdout", "a")
    kept.add_output(0, "stdout", "b\n")
    kept.set_error(1, "ValueError: no")
    return kept


def test_a_table_gives_the_frame_its_records_give():
    from_columns = results.to_frame(table(), "rank", {"backend": "local"})
    from_records = results.to_frame(tasks(), "rank", {"backend": "local"})
    pd.testing.assert_frame_equal(from_columns, from_records)
    assert results.summary_line(table(), "local", 2, 0.5) == results.summary_line(
        tasks(), "local", 2, 0.5
    )
    view = table()[1]  # a row read as a record
    assert (view.id, view.index, view.status, view.error, view.attempts) == (
        2, 1, "error", "ValueError: no", 2
    )  # fmt: skip
    assert view.worker == "" and math.isnan(view.started) and view.stdout == []


def test_a_table_finds_rows_by_id_when_its_ids_are_not_consecutive():
    kept = TaskTable([10, 11], ["a", "b"])
    assert kept.rows_of([10, 11]) == range(0, 2) and kept.row_of(12) is None
    kept.append(20, "c")  # another run took ids 12..19 while this stream was pulled
    assert kept.row_of(20) == 2 and kept.rows_of([11, 20]) == [1, 2]
    assert kept.row_of(12) is None and kept.row_of("x") is None


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
