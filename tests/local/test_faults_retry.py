"""Issue 16, defect 3: attempts count runs, a poison task is isolated, innocents are kept."""

from __future__ import annotations

import pytest

import kjupyter

pytestmark = pytest.mark.timeout(120)


def test_a_poison_item_takes_none_of_its_chunk_mates_with_it():
    def poison(x):
        import os

        if x == 3:
            os._exit(1)
        return x

    frame = kjupyter.map(poison, range(8), workers=1, quiet=True)
    assert list(frame["status"]) == ["ok"] * 3 + ["lost"] + ["ok"] * 4
    assert frame.loc[3, "attempts"] == 3  # it ran alone until the limit
    assert "exit code 1" in frame.loc[3, "error"]
    assert list(frame["attempts"][4:]) == [1] * 4  # queued behind it, they ran once


def test_one_crash_in_a_big_map_loses_only_the_crashing_item():
    def poison(x):
        import os

        if x == 1234:
            os._exit(1)
        return x * 2

    frame = kjupyter.map(poison, range(2000), workers=2, quiet=True)
    lost = frame[frame["status"] != "ok"]
    assert list(lost.index) == [1234]
    assert list(frame["value"].drop(1234)) == [x * 2 for x in range(2000) if x != 1234]


def test_a_task_that_crashed_once_ran_twice(tmp_path):
    marker = str(tmp_path / "crashed")

    def crash_once(x):
        import os

        if x == 5 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return x

    frame = kjupyter.map(crash_once, range(10), workers=1, chunksize=1, quiet=True)
    assert list(frame["status"]) == ["ok"] * 10
    assert frame.loc[5, "attempts"] == 2
    assert list(frame["attempts"][6:]) == [1] * 4
