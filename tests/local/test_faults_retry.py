"""Issue 16, defect 3: attempts count runs, a poison task is isolated, innocents are kept."""

from __future__ import annotations

import pytest

import kjupyter
from kjupyter.run import backends
from kjupyter.run.engine import Engine
from kjupyter.run.local import LocalBackend
from kjupyter.run.progress import Reporter
from kjupyter.run.tasks import Job, TaskTable

from .conftest import dies_once_at, wait_for

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
    crash_once = dies_once_at(5, str(tmp_path / "crashed"))
    frame = kjupyter.map(crash_once, range(10), workers=1, chunksize=1, quiet=True)
    assert list(frame["status"]) == ["ok"] * 10
    assert frame.loc[5, "attempts"] == 2
    assert list(frame["attempts"][6:]) == [1] * 4


class CountingBackend(LocalBackend):
    """Local workers, recording how many each start was asked for."""

    name = "counting"

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[int] = []

    def start(self, count, session):
        self.starts.append(count)
        return super().start(count, session)


backends.register("counting", CountingBackend)


def dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class PausedKernel(Reporter):
    """Stands in for a kernel that stops reading (a pause, a long cell) while two workers die:
    told "now" by a task, it returns only once every worker given is dead."""

    def __init__(self, pids: list[int], paused: str) -> None:
        super().__init__(60, "counting", stream=False, notes=False)
        self.pids = pids
        self.paused = paused

    def output(self, task, stream, text):
        if "now" in text:
            open(self.paused, "w").close()
            wait_for(lambda: sum(dead(p) for p in self.pids) >= 2, what="two workers to die")


def test_workers_that_die_together_are_found_together_and_replaced_at_once(tmp_path):
    marker, paused = str(tmp_path / "done"), str(tmp_path / "paused")
    the_pool = kjupyter.run.pool.get_pool("counting")
    the_pool.acquire(3)
    pids = [w.handle.proc.pid for w in the_pool.workers]

    def kill_two(x):
        import os
        import signal
        import time

        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return x
        print("now", flush=True)
        while not os.path.exists(paused):  # the kernel has stopped reading
            time.sleep(0.001)
        os.kill(next(p for p in pids if p != os.getpid()), signal.SIGKILL)
        os._exit(1)  # and this worker dies too

    blob = kjupyter.run.capture.capture_callable(kill_two)
    tasks = TaskTable.of(list(range(60)))
    job = Job({"kind": "call", "fn": blob.key}, {blob.key: blob}, tasks, "item", window=2)
    Engine(the_pool, job, 3, PausedKernel(pids, paused)).execute()
    assert [t.value for t in tasks] == list(range(60))
    assert the_pool.backend.starts == [3, 2]  # both replacements asked for in one start


def test_the_task_a_worker_died_in_is_charged_not_one_that_finished_before_it(tmp_path):
    marker = str(tmp_path / "died")

    def die_once_in_40(x):
        import os
        import signal
        import time

        if x == 40 and not os.path.exists(marker):
            open(marker, "w").close()
            time.sleep(1.0)  # the workload: it runs a while, then the process dies in it
            os.kill(os.getpid(), signal.SIGKILL)
        return x

    frame = kjupyter.map(die_once_in_40, range(100), workers=1, chunksize=100, quiet=True)
    assert list(frame["value"]) == list(range(100))
    assert frame.loc[40, "attempts"] == 2  # it ran twice
    assert list(frame["attempts"].drop(40)) == [1] * 99  # the others ran once, even 0..39


def test_a_worker_terminated_mid_batch_sends_what_it_finished(tmp_path):
    """SIGTERM (a pod being deleted) while results of earlier tasks in the batch wait unsent.

    Before the worker handled SIGTERM it died with them, and the engine charged the attempt
    to the first of them, a task that had finished; the one running was charged nothing.
    """
    marker = str(tmp_path / "terminated")

    def terminate_once(x):
        import os
        import signal
        import time

        if x == 40 and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(60)  # the worker ends here, from its SIGTERM handler
        return x

    frame = kjupyter.map(terminate_once, range(80), workers=1, chunksize=80, quiet=True)
    assert list(frame["status"].unique()) == ["ok"]
    assert list(frame["value"]) == list(range(80))
    assert frame.loc[40, "attempts"] == 2  # ran twice: the death was charged to it
    assert list(frame["attempts"].drop(40)) == [1] * 79  # the others ran once


def test_a_death_makes_suspects_only_of_the_chunk_that_was_running(tmp_path):
    """The chunks a worker had queued behind the one it died in never started: they go out
    again as whole chunks, not one task per message (issue 12: a 4,000-task window retried
    one by one would cost thousands of round trips, and it kept chunks small)."""
    blob = kjupyter.run.capture.capture_callable(dies_once_at(3, str(tmp_path / "died")))
    tasks = TaskTable.of(list(range(40)))
    program = {"kind": "call", "fn": blob.key}
    job = Job(program, {blob.key: blob}, tasks, "item", chunksize=10, window=4)
    reporter = Reporter(40, "local", stream=False, notes=False)
    Engine(kjupyter.run.pool.get_pool("local"), job, 1, reporter).execute()
    assert [t.value for t in tasks] == list(range(40))
    assert tasks.suspect[10:] == bytes(30)  # queued behind the death: not suspects
    assert tasks.suspect[3] == 1
    assert sum(tasks.attempts[:10]) == 11  # each ran once, and one was charged the death
    assert list(tasks.attempts[10:]) == [1] * 30  # they ran once
