"""run and map on the local backend, with real worker processes."""

from __future__ import annotations

import os

import pytest

import kjupyter
from kjupyter.errors import CaptureError, TaskError
from kjupyter.run import pool

OFFSET = 1000  # a module global the cells read


def test_run_sees_rank_world_size_and_captured_names(capsys):
    factor = 3  # noqa: F841 - the cell reads it
    frame = kjupyter.run(
        "import os\nprint('hello from', RANK)\n"
        "(RANK * factor + OFFSET, WORLD_SIZE, os.environ['RANK'], os.getpid())",
        n=3,
    )
    assert list(frame["rank"]) == [0, 1, 2]
    assert (frame["status"] == "ok").all()
    values = list(frame["value"])
    assert [v[:3] for v in values] == [(1000, 3, "0"), (1003, 3, "1"), (1006, 3, "2")]
    assert len({v[3] for v in values}) == 3  # one worker per rank
    assert os.getpid() not in {v[3] for v in values}
    assert list(frame["stdout"]) == [f"hello from {r}\n" for r in range(3)]
    out = capsys.readouterr().out
    assert "[1] hello from 1" in out  # streamed live, prefixed by rank
    assert "3 tasks on local (3 workers)" in out and "3 ok, 0 failed" in out
    assert frame.attrs["backend"] == "local"


def test_run_callable_gets_rank_keywords():
    def job(rank, world_size):
        return rank, world_size, os.environ["WORLD_SIZE"]

    assert kjupyter.run(job, n=2, values=True, quiet=True) == [(0, 2, "2"), (1, 2, "2")]


def test_map_values_in_order_and_functions_from_here():
    def square(x):
        return x * x + OFFSET

    assert kjupyter.map(square, range(50), workers=2, values=True) == [
        x * x + OFFSET for x in range(50)
    ]
    frame = kjupyter.map(square, [3, 4], workers=2, chunksize=1, quiet=True)
    assert list(frame["item"]) == [3, 4] and list(frame["value"]) == [1009, 1016]


def test_warm_pool_is_reused_across_calls():
    kjupyter.map(lambda _: os.getpid(), range(4), workers=2, values=True, quiet=True)
    # the pool's workers, whether or not each got a task (one forked worker may take all 4)
    warm = {w.handle.proc.pid for w in pool.get_pool().workers}
    second = kjupyter.map(lambda _: os.getpid(), range(4), workers=2, values=True, quiet=True)
    assert len(warm) == 2 and set(second) <= warm


def test_user_error_keeps_other_results_and_the_remote_traceback(capsys):
    def fragile(x):
        if x == 2:
            raise ValueError(f"bad item {x}")
        return x

    frame = kjupyter.map(fragile, range(5), workers=2)
    assert list(frame["status"]) == ["ok", "ok", "error", "ok", "ok"]
    assert list(frame["value"])[:2] == [0, 1]
    row = frame.iloc[2]
    assert row["error"] == "ValueError: bad item 2"
    assert 'raise ValueError(f"bad item {x}")' in row["traceback"]
    assert "kjupyter/worker" not in row["traceback"]  # our frames are cut
    assert "1 failed" in capsys.readouterr().out
    with pytest.raises(TaskError, match="1 of 5 tasks failed") as info:
        kjupyter.map(fragile, range(5), workers=2, values=True)
    assert len(info.value.results) == 5


def test_cell_traceback_shows_the_cell_line():
    frame = kjupyter.run("x = 1\n1 / (RANK - RANK)", n=1, quiet=True)
    assert frame.loc[0, "status"] == "error"
    assert "ZeroDivisionError" in frame.loc[0, "error"]
    assert "1 / (RANK - RANK)" in frame.loc[0, "traceback"]


def test_unpicklable_name_is_a_one_line_error():
    import threading

    lock = threading.Lock()  # noqa: F841 - the cell below reads it
    with pytest.raises(CaptureError, match="cannot send 'lock'"):
        kjupyter.run("with lock:\n    pass", n=1)


def test_worker_side_load_error_fails_the_task_not_the_worker():
    import types

    ghost = types.ModuleType("no_such_module_here")
    ghost.__name__ = "no_such_module_here"
    frame = kjupyter.run("ghost", n=1, names={"ghost": ghost}, quiet=True)
    assert frame.loc[0, "status"] == "error"
    assert "No module named 'no_such_module_here'" in frame.loc[0, "error"]
    assert kjupyter.run("RANK + 1", n=1, names={}, values=True, quiet=True) == [1]


def test_hundred_megabyte_result():
    np = pytest.importorskip("numpy")

    def make(i):
        import numpy as np

        return np.full(100 * 1024 * 1024 // 8, i, dtype="float64")

    values = kjupyter.map(make, [7], workers=1, values=True)
    assert values[0].nbytes == 100 * 1024 * 1024
    assert values[0][0] == 7 and values[0][-1] == 7
    big = kjupyter.map(lambda n: bytes(n), [100 * 1024 * 1024], workers=1, values=True)[0]
    assert len(big) == 100 * 1024 * 1024 and np is not None


def test_large_closure_is_shipped_once_per_worker():
    np = pytest.importorskip("numpy")
    payload = np.ones(4 * 1024 * 1024 // 8)

    def total(i):
        return float(payload.sum()) + i

    kjupyter.map(total, range(2), workers=2, values=True, quiet=True)
    from kjupyter.run import pool

    workers = pool.get_pool("local").workers
    cached = [w.cached for w in workers if w.cached]
    assert cached and all(sum(c.values()) >= payload.nbytes for c in cached)
    assert kjupyter.map(total, range(6), workers=2, values=True, quiet=True)[5] == 524293.0


def test_output_between_tasks_is_not_given_to_another_task():
    def loud(x):
        class Loud:  # its pickling prints, after the task, before the next one starts
            def __reduce__(self):
                print("pickling a result")
                return (int, (x,))

        print(f"task {x}")
        return Loud()

    frame = kjupyter.map(loud, [0, 1, 2], workers=1, chunksize=3, quiet=True)
    assert list(frame["value"]) == [0, 1, 2]
    assert list(frame["stdout"]) == ["task 0\n", "task 1\n", "task 2\n"]


def test_many_long_string_results_come_back_whole():
    values = kjupyter.map(lambda i: str(i) * 30_000, range(60), workers=1, values=True)
    assert values == [str(i) * 30_000 for i in range(60)]
