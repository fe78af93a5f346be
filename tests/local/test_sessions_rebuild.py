"""Sessions whose workers die (SIGKILL) or are interrupted: rebuilt by replay, or lost, said."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest

import kjupyter
from kjupyter.run import sessions

from .conftest import wait_for, worker_pids


@pytest.fixture
def s():
    with kjupyter.session(n=2, name="r") as made:
        yield made


def kill(s: sessions.Session, rank: int) -> int:
    """SIGKILL rank's worker process and wait until it is gone."""
    proc = s.workers[rank].handle.proc
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return proc.pid


def build(s: sessions.Session) -> None:
    s.px("x = RANK * 10\nacc = [RANK]", namespace={}, quiet=True)
    s.push(w=np.arange(4.0))
    s.scatter("part", pd.DataFrame({"a": range(4)}))
    s.px("acc.append(len(part))\ntotal = float(w.sum()) + x", namespace={}, quiet=True)


def test_killed_rank_is_rebuilt_by_replay_and_pull_gives_the_same(s, capsys):
    build(s)
    before = {name: s.pull(name) for name in ("x", "acc", "total")}
    killed = kill(s, 1)
    after = {name: s.pull(name) for name in ("x", "acc", "total")}
    assert after == before
    pd.testing.assert_frame_equal(s.gather("part").droplevel("rank"), pd.DataFrame({"a": range(4)}))
    assert s.workers[1].handle.proc.pid != killed and killed not in worker_pids()
    line = [ln for ln in capsys.readouterr().out.splitlines() if "rebuilt" in ln]
    assert len(line) == 1 and "rank 1 rebuilt" in line[0] and "replayed 5 steps" in line[0]
    assert [r["rank"] for r in s.rebuilds] == [1] and s.rebuilds[0]["steps"] == 5  # environment + 4


def test_a_rebuild_replays_only_the_last_of_values_pushed_again_before_any_cell(s):
    s.px("seen = []", namespace={}, quiet=True)
    s.push(w=1)
    s.scatter("w", [10, 20])  # overwrites the push before a cell read it: the push is dropped
    s.px("seen.append(w)", namespace={}, quiet=True)
    s.push(w=3, v=4)
    s.push(w=5)  # only w of the push before: that one stays (it sets v too)
    kill(s, 1)
    assert s.pull("w") == [5, 5] and s.pull("v") == [4, 4]
    assert s.pull("seen") == [[[10]], [[20]]]  # each rank's block of the list
    assert s.rebuilds[0]["steps"] == 6  # environment, cell, scatter, cell, push, push


def test_the_cell_a_rank_died_in_runs_again_on_the_rebuilt_worker(s, tmp_path):
    s.px("x = RANK + 1", namespace={}, quiet=True)
    marker = str(tmp_path / "died")
    code = (
        "import os, signal\n"
        "if RANK == 0 and not os.path.exists(marker):\n"
        "    open(marker, 'w').close()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "y = x * 100\n"
        "y"
    )
    frame = s.px(code, namespace={"marker": marker}, quiet=True)
    assert list(frame["status"]) == ["ok", "ok"]
    assert list(frame["value"]) == [100, 200]
    assert list(frame["attempts"]) == [2, 1]
    assert s.pull("y") == [100, 200]


def test_no_replay_cell_stops_the_rebuild_and_the_rank_is_lost(s):
    s.px("x = RANK", namespace={}, quiet=True)
    s.px("written = True  # pretend: a database write", replay=False, namespace={}, quiet=True)
    kill(s, 1)
    frame = s.px("x + 1", namespace={}, quiet=True)
    assert frame.loc[0, "status"] == "ok" and frame.loc[0, "value"] == 1
    assert frame.loc[1, "status"] == "lost"
    error = frame.loc[1, "error"]
    assert "rank 1" in error and "cell 2 (`written = True" in error and "no-replay" in error
    assert "killed by signal 9" in error  # how its worker died
    assert "\n" not in error
    again = s.px("x", namespace={}, quiet=True)  # never silently empty
    assert again.loc[1, "status"] == "lost" and again.loc[1, "error"] == error
    with pytest.raises(sessions.SessionError) as raised:
        s.pull("x")
    assert str(raised.value) == error
    assert s.pull("x", ranks=[0]) == [0]  # the other rank keeps its state
    assert list(s.status()["state"]) == ["live", "lost"]


def test_a_replay_that_fails_marks_the_rank_lost_with_its_error(s, tmp_path):
    data = tmp_path / "shard.txt"
    data.write_text("42")
    s.px("value = int(open(path).read())", namespace={"path": str(data)}, quiet=True)
    data.unlink()
    kill(s, 0)
    with pytest.raises(sessions.SessionError) as raised:
        s.pull("value")
    message = str(raised.value)
    assert "rank 0" in message and "replaying cell 1 (" in message
    assert "on a new worker failed" in message
    assert "FileNotFoundError" in message and "\n" not in message
    assert s.pull("value", ranks=[1]) == [42]


def test_interrupt_cancels_the_cell_on_every_rank_and_keeps_the_namespaces(s, tmp_path):
    s.px("x = RANK + 5", namespace={}, quiet=True)
    pids = list(s.px("import os\nos.getpid()", namespace={}, quiet=True)["value"])
    main = threading.main_thread().ident

    def interrupt_when_both_started() -> None:
        wait_for(lambda: len(list(tmp_path.iterdir())) == 2, what="both ranks to start")
        signal.pthread_kill(main, signal.SIGINT)

    watcher = threading.Thread(target=interrupt_when_both_started, daemon=True)
    watcher.start()
    code = "import time\nopen(f'{folder}/{RANK}', 'w').close()\ntime.sleep(60)\nx = 'never'"
    frame = s.px(code, namespace={"folder": str(tmp_path)}, quiet=True)
    watcher.join()
    assert list(frame["status"]) == ["cancelled", "cancelled"], list(frame["error"])
    assert s.pull("x") == [5, 6]
    assert s.rebuilds == [], list(frame["error"])
    assert list(s.px("import os\nos.getpid()", namespace={}, quiet=True)["value"]) == pids


def test_an_interrupted_rebuild_leaves_the_rank_to_rebuild_later_not_lost(s, tmp_path):
    hold = tmp_path / "hold"  # while it exists, a replay of the first cell blocks
    started = tmp_path / "replaying"
    code = (
        "import os, time\n"
        "if os.path.exists(seen):\n"
        "    open(started, 'w').close()\n"
        "    while os.path.exists(hold):\n"
        "        time.sleep(0.05)\n"
        "open(seen, 'w').close()\n"
        "x = RANK + 1"
    )
    names = {"seen": str(tmp_path / "seen"), "hold": str(hold), "started": str(started)}
    s.px(code, ranks=[1], namespace=names, quiet=True)
    hold.touch()
    kill(s, 1)
    main = threading.main_thread().ident

    def interrupt_when_replaying() -> None:
        wait_for(started.exists, what="the replay to start")
        signal.pthread_kill(main, signal.SIGINT)

    watcher = threading.Thread(target=interrupt_when_replaying, daemon=True)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        s.pull("x", ranks=[1])
    watcher.join()
    assert 1 not in s.lost
    hold.unlink()
    assert s.pull("x", ranks=[1]) == [2]  # rebuilt this time


def test_a_replacement_that_dies_during_the_replay_is_replaced_again(s, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    code = (
        "import os, signal, uuid\n"
        "open(os.path.join(runs, f'{RANK}-{uuid.uuid4().hex}'), 'w').close()\n"
        "if RANK == 1 and len([f for f in os.listdir(runs) if f.startswith('1-')]) == 2:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # the first replay's worker dies\n"
        "x = RANK * 7"
    )
    s.px(code, namespace={"runs": str(runs)}, quiet=True)
    kill(s, 1)
    assert s.pull("x") == [0, 7]
    assert 1 not in s.lost
    assert len([f for f in os.listdir(runs) if f.startswith("1-")]) == 3


def test_a_no_replay_cell_its_rank_died_in_is_not_run_again(s, tmp_path):
    s.px("x = RANK", namespace={}, quiet=True)
    marker = str(tmp_path / "wrote")
    code = (
        "import os, signal\n"
        "open(marker + str(RANK), 'a').write('once')  # the side effect\n"
        "if RANK == 1:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    frame = s.px(code, replay=False, namespace={"marker": marker}, quiet=True)
    assert list(frame["status"]) == ["ok", "lost"]
    assert "is marked no-replay: not run again" in frame.loc[1, "error"]
    assert (tmp_path / "wrote1").read_text() == "once"  # not written twice
    assert s.pull("x") == [0, 1]  # rank 1 rebuilt from the steps before it


def test_pull_never_leaves_out_a_rank_found_dead_and_not_rebuildable(s, tmp_path):
    s.px("x = RANK", namespace={}, quiet=True)
    s.px("side = 1", replay=False, namespace={}, quiet=True)
    s.cancel_grace = 0.5
    main = threading.main_thread().ident

    def interrupt_when_started() -> None:
        wait_for(lambda: any(tmp_path.iterdir()), what="the stubborn cell to start")
        signal.pthread_kill(main, signal.SIGINT)

    watcher = threading.Thread(target=interrupt_when_started, daemon=True)
    watcher.start()
    stubborn = (
        "import time\n"
        "open(f'{folder}/started', 'w').close()\n"
        "while True:  # ignores the cancel: its worker is killed\n"
        "    try:\n"
        "        time.sleep(60)\n"
        "    except KeyboardInterrupt:\n"
        "        pass\n"
    )
    s.px(stubborn, ranks=[1], namespace={"folder": str(tmp_path)}, quiet=True)
    watcher.join()
    assert s.workers[1].dead
    with pytest.raises(sessions.SessionError, match="rank 1 of session 'r' is lost"):
        s.pull("x")


def test_a_large_push_to_a_rank_just_killed_rebuilds_it_and_lands_on_every_rank(s):
    """A push of 1 MB or more goes to all ranks at once, before the engine's job: a rank
    whose send fails there is left to the engine, which rebuilds it and pushes again."""
    build(s)
    kill(s, 1)
    big = np.arange(300_000.0)  # 2.4 MB
    s.push(big=big)
    got = s.pull("big")
    assert all(np.array_equal(value, big) for value in got) and len(got) == 2
    assert [r["rank"] for r in s.rebuilds] == [1]
    assert s.pull("total") == [6.0, 16.0]
