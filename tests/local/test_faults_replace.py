"""Issue 16, defect 2 (engine level): a replacement worker that cannot start aborts nothing."""

from __future__ import annotations

import contextlib
import os
import threading

import pytest

import kjupyter
from kjupyter.run import backends
from kjupyter.run.engine import Engine
from kjupyter.run.local import LocalBackend
from kjupyter.run.progress import Reporter
from kjupyter.run.tasks import Job, TaskTable

from .conftest import dies_once_at

pytestmark = pytest.mark.timeout(120)


FAILED_MARK = "/tmp/kjupyter-test-brittle-failed-{}"


class BrittleBackend(LocalBackend):
    """Local workers whose every start after the first fails (a python that does not exist).

    A failed start leaves a file behind, so tasks can wait for the fact that it failed.
    """

    name = "brittle"

    def __init__(self) -> None:
        super().__init__()
        self.starts = 0

    def start(self, count, session):
        self.starts += 1
        if self.starts > 1:
            self.python = "/nonexistent/bin/python3"
        try:
            return super().start(count, session)
        except FileNotFoundError:
            open(FAILED_MARK.format(os.getpid()), "w").close()
            raise


backends.register("brittle", BrittleBackend)


def die_once_on_five(marker: str):
    failed = FAILED_MARK.format(os.getpid())
    with contextlib.suppress(FileNotFoundError):
        os.unlink(failed)

    def work(x):
        import os
        import time

        if x == 5 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        if x > 5:  # the rest waits until the replacement has failed: the map sees it fail
            deadline = time.monotonic() + 30
            while not os.path.exists(failed) and time.monotonic() < deadline:
                time.sleep(0.01)
        return x

    return work


def test_the_map_carries_on_with_the_workers_it_has(tmp_path, capsys):
    work = die_once_on_five(str(tmp_path / "died"))
    frame = kjupyter.map(work, range(20), workers=2, chunksize=1, backend="brittle")
    assert list(frame["status"]) == ["ok"] * 20
    assert list(frame["value"]) == list(range(20))
    err = capsys.readouterr().err
    assert "could not start 1 replacement worker(s): FileNotFoundError" in err
    assert "carrying on with 1" in err


def test_with_no_worker_left_the_rest_is_lost_and_finished_results_are_kept(tmp_path):
    work = die_once_on_five(str(tmp_path / "died"))
    frame = kjupyter.map(work, range(10), workers=1, chunksize=1, backend="brittle", quiet=True)
    assert list(frame["status"][:5]) == ["ok"] * 5
    assert list(frame["value"][:5]) == list(range(5))
    assert set(frame["status"][5:]) == {"lost"}
    assert frame.loc[9, "error"].startswith("no worker left: a replacement could not start:")


class StuckBackend(LocalBackend):
    """Local workers whose second start hangs until the test lets it go (a pod that never
    gets scheduled, say)."""

    name = "stuck"

    def __init__(self) -> None:
        super().__init__()
        self.starts = 0
        self.release = threading.Event()

    def start(self, count, session):
        self.starts += 1
        if self.starts > 1:
            self.release.wait(60)
        return super().start(count, session)


backends.register("stuck", StuckBackend)


def test_a_replacement_that_hangs_does_not_hold_up_the_healthy_worker(tmp_path):
    work = dies_once_at(3, str(tmp_path / "died"))

    the_pool = kjupyter.run.pool.get_pool("stuck")
    try:
        frame = kjupyter.map(work, range(12), workers=2, chunksize=1, backend="stuck", quiet=True)
        assert list(frame["value"]) == list(range(12))
        assert the_pool.backend.starts == 2  # the replacement was asked for, and is still stuck
    finally:
        the_pool.backend.release.set()


def test_a_worker_lost_late_in_a_long_run_is_replaced_not_a_start_timeout(tmp_path):
    marker = str(tmp_path / "died")

    def work(x):
        import os
        import time

        if x == 0:
            time.sleep(4)  # the run outlives the engine's start timeout (3 s here)
        if x == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return x

    the_pool = kjupyter.run.pool.get_pool("local")
    blob = kjupyter.run.capture.capture_callable(work)
    tasks = TaskTable.of(list(range(4)))
    job = Job({"kind": "call", "fn": blob.key}, {blob.key: blob}, tasks, "item")
    reporter = Reporter(4, "local", stream=False, notes=False)
    Engine(the_pool, job, 1, reporter, start_timeout=3.0).execute()
    assert [t.status for t in tasks] == ["ok"] * 4
    assert [t.value for t in tasks] == [0, 1, 2, 3]
