"""Sessions on real worker processes: state across cells, values in and out, ranks pinned."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import kjupyter
import kjupyter.errors
from kjupyter.run import sessions


@pytest.fixture
def s():
    with kjupyter.session(n=2, name="t") as made:
        yield made
    assert "t" not in sessions._SESSIONS


def test_state_lives_across_cells_and_ranks_are_pinned(s):
    first = s.px("import os\nx = RANK * 10\nos.getpid()", namespace={}, quiet=True)
    second = s.px("import os\n(x + 1, WORLD_SIZE, os.getpid())", namespace={}, quiet=True)
    assert list(second["value"].str[0]) == [1, 11]
    assert list(second["value"].str[1]) == [2, 2]
    assert list(second["value"].str[2]) == list(first["value"])  # rank r on its worker
    assert list(second["rank"]) == [0, 1] and list(second["status"]) == ["ok", "ok"]


def test_notebook_names_travel_but_never_replace_a_rank_name(s):
    s.px("x = RANK", namespace={}, quiet=True)
    frame = s.px("(x, base)", namespace={"x": 100, "base": 1}, quiet=True)
    assert list(frame["value"]) == [(0, 1), (1, 1)]
    frame = s.px("(x, base)", namespace={"x": 100, "base": 2}, quiet=True)
    assert list(frame["value"]) == [(0, 2), (1, 2)]  # a newer notebook value replaces its own


def test_ranks_subset_and_a_failed_rank_keeps_the_others(s):
    frame = s.px("y = 1 / RANK", ranks=[1], namespace={}, quiet=True)
    assert list(frame["rank"]) == [1] and list(frame["status"]) == ["ok"]
    frame = s.px("1 / (RANK - 1)", namespace={}, quiet=True)
    assert list(frame["status"]) == ["ok", "error"]
    assert frame.loc[0, "value"] == -1.0
    assert frame.loc[1, "error"] == "ZeroDivisionError: division by zero"
    with pytest.raises(sessions.SessionError, match="pull 'y' failed on rank 0: NameError"):
        s.pull("y")
    assert s.pull("y", ranks=[1]) == [1.0]


def test_push_pull_of_an_array_and_a_frame(s):
    array = np.arange(1_000_000, dtype=np.float64)  # large: out-of-band buffers
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    s.push(big=array, small=frame)
    values = s.px("(float(big.sum()), small.shape)", namespace={}, quiet=True)["value"]
    assert list(values) == [(float(array.sum()), (2, 2))] * 2
    pulled = s.pull("big")
    assert len(pulled) == 2 and all(np.array_equal(p, array) for p in pulled)
    pd.testing.assert_frame_equal(s.pull("small")[1], frame)


def test_a_value_pushed_again_frees_the_old_one_on_the_ranks(s):
    """The namespace is a pushed value's only holder on a rank, so pushing the name again
    frees the old value's memory there (the next large push can land in it)."""
    s.push(big=np.arange(200_000.0))
    s.px("import weakref\nold = weakref.ref(big)", namespace={}, quiet=True)
    s.push(big=np.arange(3.0))
    frame = s.px("import gc\ngc.collect()\nold() is None", namespace={}, quiet=True)
    assert list(frame["value"]) == [True, True]
    assert [list(v) for v in s.pull("big")] == [[0.0, 1.0, 2.0]] * 2
    pushed = {key for step in s.log.steps(0) for key in step.blobs if "push" in step.label}
    assert len(pushed) == 2 and not any(pushed & set(w.cached) for w in s.workers)


def test_scatter_and_gather_frames_lists_and_arrays(s):
    frame = pd.DataFrame({"a": range(5), "b": list("abcde")})
    s.scatter("part", frame)
    assert list(s.px("len(part)", namespace={}, quiet=True)["value"]) == [3, 2]
    gathered = s.gather("part")
    assert list(gathered.index.get_level_values("rank")) == [0, 0, 0, 1, 1]
    pd.testing.assert_frame_equal(gathered.droplevel("rank"), frame)

    s.scatter("items", list(range(7)))
    assert s.pull("items") == [[0, 1, 2, 3], [4, 5, 6]]
    assert s.gather("items") == list(range(7))

    array = np.arange(12).reshape(6, 2)
    s.scatter("rows", array)
    s.px("rows = rows * (RANK + 1)", namespace={}, quiet=True)
    gathered = s.gather("rows")
    assert np.array_equal(gathered, np.concatenate([array[:3], array[3:] * 2]))


def test_bad_input_is_one_line(s):
    with pytest.raises(TypeError, match="cannot scatter a dict"):
        s.scatter("d", {"a": 1})
    with pytest.raises(sessions.SessionError, match="not a Python name"):
        s.pull("not a name")
    with pytest.raises(sessions.SessionError, match="ranks \\[5\\] are not in session 't'"):
        s.px("1", ranks=[5], namespace={})
    with pytest.raises(sessions.SessionError, match="already up"):
        kjupyter.session(n=1, name="t")
    with pytest.raises(sessions.SessionError, match="n >= 1"):
        kjupyter.session(n=0, name="other")
    with pytest.raises(sessions.SessionError, match="px takes the cell's code as a string"):
        s.px(123, namespace={})
    with pytest.raises(sessions.SessionError, match="'not-a-name' is not a Python name"):
        s.push(**{"not-a-name": 1})
    with pytest.raises(kjupyter.errors.CaptureError, match="cannot send 'lock' to the ranks"):
        s.push(lock=threading.Lock())
    assert s.px("RANK", ranks=1, namespace={}, values=True) == [1]  # one rank as an int


def test_named_sessions_coexist_and_close(s):
    with kjupyter.session(n=1, name="u") as u:
        s.px("x = 'in t'", namespace={}, quiet=True)
        u.px("x = 'in u'", namespace={}, quiet=True)
        assert s.pull("x") == ["in t", "in t"] and u.pull("x") == ["in u"]
        listed = kjupyter.sessions()
        assert list(listed["session"]) == ["t", "u"]
        assert list(listed["ranks"]) == [2, 1]
    assert list(kjupyter.sessions()["session"]) == ["t"]
    with pytest.raises(sessions.SessionError, match="closed"):
        u.px("1", namespace={})


def test_combine_px_results(s):
    s.scatter("part", pd.DataFrame({"a": range(4)}))
    combined = kjupyter.combine(s.px("part * 2", namespace={}, quiet=True))
    assert list(combined["a"]) == [0, 2, 4, 6]
    assert list(combined.index.get_level_values("rank")) == [0, 0, 1, 1]


def test_px_values_gives_plain_values_or_raises_with_the_frame(s):
    assert s.px("RANK * 2", namespace={}, values=True) == [0, 2]
    with pytest.raises(
        kjupyter.errors.TaskError, match=r"1 of 2 ranks failed.*rank 1: Zero"
    ) as got:
        s.px("1 / (1 - RANK)", namespace={}, values=True, quiet=True)
    assert list(got.value.results["status"]) == ["ok", "error"]


def test_combine_map_and_run_results():
    def frame_of(i):
        import pandas as pd

        return pd.DataFrame({"square": [i * i]})

    combined = kjupyter.combine(kjupyter.map(frame_of, range(3), workers=2, quiet=True))
    assert list(combined["square"]) == [0, 1, 4]
    assert list(combined.index.get_level_values("item")) == [0, 1, 2]
    code = "import numpy as np\nnp.full(2, RANK)"
    joined = kjupyter.combine(kjupyter.run(code, n=2, names={}, quiet=True))
    assert joined.tolist() == [0, 0, 1, 1]
