"""The live task table follows a session's px, one row per rank (issue 11, Deliver 3: sessions)."""

from __future__ import annotations

import threading

import pytest

import kjupyter
from kjupyter.run import progress
from kjupyter.widgets.task_table import TaskTable

from .conftest import wait_for


@pytest.fixture
def s():
    with kjupyter.session(n=2, name="tt") as made:
        yield made


def test_the_table_follows_a_px_rank_by_rank_and_shows_a_failed_ranks_traceback(s):
    table = TaskTable()
    progress.follow_next_run(table)
    frame = s.px(
        "print('rank', RANK, 'says hello')\nif RANK == 1:\n    raise KeyError('no shard')\nRANK",
        namespace={},
        stream=False,
        quiet=True,
    )
    assert list(frame["status"]) == ["ok", "error"]
    assert (table.noun, table.of, table.done) == ("rank", "session 'tt'", True)
    assert table.counts == {"ok": 1, "error": 1}
    (status0, worker0, _, _, rank0, said0), (status1, _, _, error1, rank1, said1) = table.rows
    assert (status0, rank0, said0) == ("ok", 0, "rank 0 says hello")
    assert worker0 == frame.loc[0, "worker"]
    assert (status1, rank1, said1) == ("error", 1, "rank 1 says hello")
    assert error1 == "KeyError: 'no shard'"
    table.show(1)
    assert table.detail["number"] == 1 and table.detail["stdout"] == "rank 1 says hello\n"
    assert "raise KeyError('no shard')" in table.detail["traceback"]

    rows = table.rows
    s.px("RANK", namespace={}, quiet=True)
    assert table.rows is rows  # it followed its px only


def test_the_table_shows_a_running_ranks_last_line_as_it_comes(s, tmp_path):
    go = tmp_path / "go"
    table = TaskTable()
    progress.follow_next_run(table)
    seen: list[list] = []

    def watch() -> None:  # the rows a user sees while rank 1 waits: then let it finish
        def waiting():
            rows = table.rows
            return len(rows) == 2 and rows[1][0] == "running" and rows[1][5] == "waiting for go"

        try:
            wait_for(waiting, timeout=60, what="rank 1 running, saying it waits")
            seen.extend(table.rows)
        finally:
            go.touch()

    watcher = threading.Thread(target=watch)
    watcher.start()
    code = (
        "import os, time, pathlib\n"
        "if RANK == 1:\n"
        "    print('waiting for go', flush=True)\n"
        f"    while not pathlib.Path({str(go)!r}).exists():\n"
        "        time.sleep(0.01)\n"
        "print('done')"
    )
    s.px(code, namespace={}, stream=False, quiet=True)
    watcher.join()
    assert seen[1][0] == "running" and seen[1][2] is not None and seen[1][2] >= 0
    assert [r[0] for r in table.rows] == ["ok", "ok"] and table.rows[1][5] == "done"


def test_a_rank_rebuilt_mid_cell_keeps_one_row_and_a_lost_rank_has_its_row(s, tmp_path):
    once = tmp_path / "killed-once"
    table = TaskTable()
    progress.follow_next_run(table)
    code = (
        "import os, pathlib, signal\n"
        f"flag = pathlib.Path({str(once)!r})\n"
        "if RANK == 1 and not flag.exists():\n"
        "    flag.touch()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "RANK"
    )
    frame = s.px(code, namespace={}, stream=False, quiet=True)
    assert list(frame["status"]) == ["ok", "ok"] and frame.loc[1, "attempts"] == 2
    assert [(r[0], r[4]) for r in table.rows] == [("ok", 0), ("ok", 1)]

    s.px("side = 1", replay=False, namespace={}, quiet=True)
    s.workers[1].handle.proc.kill()
    s.workers[1].handle.proc.wait()
    lost = TaskTable()
    progress.follow_next_run(lost)
    s.px("RANK", namespace={}, stream=False, quiet=True)
    assert [(r[0], r[4]) for r in lost.rows] == [("ok", 0), ("lost", 1)]
    assert lost.counts == {"ok": 1, "lost": 1} and "no-replay" in lost.rows[1][3]
