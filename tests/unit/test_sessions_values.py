"""Pure parts of sessions: splitting and joining values, combining results, the replay log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kjupyter.run import scatter
from kjupyter.run.combine import combine
from kjupyter.run.sessions_log import ReplayLog, Step, describe_cell


@pytest.mark.parametrize(
    ("length", "n", "expected"),
    [
        (7, 3, [(0, 3), (3, 5), (5, 7)]),
        (6, 2, [(0, 3), (3, 6)]),
        (1, 3, [(0, 1), (1, 1), (1, 1)]),
        (0, 2, [(0, 0), (0, 0)]),
    ],
    ids=["uneven", "even", "fewer-items-than-ranks", "empty"],
)
def test_bounds(length, n, expected):
    assert scatter.bounds(length, n) == expected


def test_split_and_join_round_trip_for_each_kind():
    frame = pd.DataFrame({"a": range(5)})
    pieces = scatter.split(frame, 2)
    assert [len(p) for p in pieces] == [3, 2]
    pd.testing.assert_frame_equal(scatter.join(pieces, [0, 1]).droplevel("rank"), frame)
    array = np.arange(10).reshape(5, 2)
    pieces = scatter.split(array, 3)
    assert [p.shape[0] for p in pieces] == [2, 2, 1]
    assert np.shares_memory(pieces[0], array)  # a view: the kernel keeps no copy
    assert np.array_equal(scatter.join(pieces, [0, 1, 2]), array)
    assert scatter.split(range(5), 2) == [[0, 1, 2], [3, 4]]
    assert scatter.join([[1], [2, 3]], [0, 1]) == [1, 2, 3]
    assert scatter.join([1, 2], [0, 1]) == [1, 2]  # nothing to join: the values per rank


def test_a_large_array_join_lands_in_a_pooled_buffer_reused_once_dropped():
    pieces = [np.arange(300_000.0).reshape(-1, 2), np.ones((50_000, 2), dtype="float32")]
    joined = scatter.join(pieces, [0, 1])
    expected = np.concatenate(pieces)
    assert joined.dtype == expected.dtype and joined.shape == expected.shape
    assert np.array_equal(joined, expected) and joined.flags.writeable
    address = joined.__array_interface__["data"][0]
    again = scatter.join(pieces, [0, 1])  # the first result is still held: other memory
    assert again.__array_interface__["data"][0] != address
    del joined
    third = scatter.join(pieces, [0, 1])
    assert third.__array_interface__["data"][0] == address and np.array_equal(third, expected)
    small = scatter.join([np.arange(3), np.arange(2)], [0, 1])
    assert list(small) == [0, 1, 2, 0, 1]
    with pytest.raises(ValueError):  # numpy's own error for pieces that do not stack
        scatter.join([np.ones((200_000, 2)), np.ones((200_000, 3))], [0, 1])


def test_split_refuses_what_it_cannot_cut():
    with pytest.raises(TypeError, match="cannot scatter a dict"):
        scatter.split({"a": 1}, 2)
    with pytest.raises(TypeError, match="cannot scatter a int64"):
        scatter.split(np.int64(3), 2)


def results(values, label="rank", status=None):
    return pd.DataFrame(
        {
            label: list(range(len(values))),
            "status": status or ["ok"] * len(values),
            "value": pd.Series(values, dtype=object),
            "error": ["" if s == "ok" else "ValueError: bad" for s in (status or ["ok"] * 9)][
                : len(values)
            ],
        }
    )


def test_combine_frames_arrays_and_scalars():
    frames = results([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2, 3]})], label="item")
    combined = combine(frames)
    assert list(combined["a"]) == [1, 2, 3]
    assert list(combined.index.get_level_values("item")) == [0, 1, 1]
    assert np.array_equal(combine(results([np.array([1, 2]), np.array([3])])), [1, 2, 3])
    assert np.array_equal(combine(results([1.5, 2.5])), [1.5, 2.5])


def test_combine_says_what_it_cannot_do():
    with pytest.raises(ValueError, match="1 of 2 tasks failed \\(rank 1: ValueError: bad\\)"):
        combine(results([np.array([1]), None], status=["ok", "error"]))
    kept = combine(results([np.array([1]), None], status=["ok", "error"]), skip_failed=True)
    assert np.array_equal(kept, [1])
    with pytest.raises(TypeError, match="cannot combine values of types str"):
        combine(results(["a", "b"]))
    with pytest.raises(TypeError, match="takes the results DataFrame"):
        combine([1, 2])


def test_replay_log_keeps_steps_per_rank_in_order_and_finds_the_blocker():
    log = ReplayLog()
    first = Step(log.next_number(), "cell 1", {}, {})
    side = Step(log.next_number(), "cell 2", {}, {}, replay=False)
    log.record(first, [0, 1])
    log.record(side, [1])
    assert log.steps(0) == [first] and log.steps(1) == [first, side]
    assert log.steps(0)[0] is log.steps(1)[0]  # shared, not copied
    assert log.blocker(0) is None and log.blocker(1) is side


def test_replay_log_drops_a_value_step_that_a_later_one_overwrites_before_any_cell():
    """Pushing or scattering a name again kept every old value alive in the kernel (100 MB a
    push); a replay ends with the same namespace without the overwritten step."""
    log = ReplayLog()

    def value(op: str, *names: str) -> Step:
        fields = {"names": dict.fromkeys(names, "key")} if op == "push" else {"name": names[0]}
        return Step(log.next_number(), f"{op} {names}", {"op": op, **fields}, {})

    def cell() -> Step:
        return Step(log.next_number(), "cell", {"op": "cell"}, {})

    old_big, part, read, big, both, big_again = (
        value("push", "big"),
        value("set", "part"),
        cell(),
        value("push", "big"),
        value("push", "big", "part"),
        value("set", "big"),
    )
    for step in (old_big, part, read, big):
        log.record(step, [0])
    assert log.steps(0) == [old_big, part, read, big]  # a cell read old_big: it stays
    log.record(both, [0])  # overwrites big and part, which no cell read since they were set
    assert log.steps(0) == [old_big, part, read, both]
    log.record(big_again, [0])  # overwrites only big of `both`: `both` still sets part
    assert log.steps(0) == [old_big, part, read, both, big_again]


def test_describe_cell_names_it_by_its_first_line():
    assert describe_cell(3, "x = 1\n") == "cell 3 (`x = 1`)"
    assert describe_cell(4, "\nload()\nmore()") == "cell 4 (`load()…`)"
    assert describe_cell(5, "y" * 60).endswith("…`)")


def test_rendezvous_environment_on_one_host_and_on_pods():
    from kjupyter.run import rendezvous

    local = rendezvous.environment("127.0.0.1", 29500, 4, one_host=True)
    assert local["JAX_COORDINATOR_ADDRESS"] == "127.0.0.1:29500"
    assert local["LOCAL_WORLD_SIZE"] == 4 and local["JAX_NUM_PROCESSES"] == 4
    pods = rendezvous.environment("10.0.0.7", 29500, 3, one_host=False)
    assert pods["MASTER_ADDR"] == "10.0.0.7" and pods["LOCAL_WORLD_SIZE"] == 1


def test_rendezvous_apply_sets_the_rank_own_values(monkeypatch):
    import os

    from kjupyter.run import rendezvous

    for key in ("RANK", "LOCAL_RANK", "JAX_PROCESS_ID", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    rendezvous.apply(None, 3)
    assert "MASTER_PORT" not in os.environ  # no environment: nothing set
    rendezvous.apply(rendezvous.environment("10.0.0.7", 29500, 4, one_host=False), 3)
    assert os.environ["MASTER_PORT"] == "29500" and os.environ["JAX_PROCESS_ID"] == "3"
    assert os.environ["RANK"] == "3" and os.environ["LOCAL_RANK"] == "0"  # one process a pod
