"""Workers that die, and kernel interrupts: retries, cancellation, partial results."""

from __future__ import annotations

import os
import signal
import threading

import kjupyter

from .conftest import wait_for, worker_pids


def test_worker_killed_mid_run_is_retried_elsewhere(tmp_path):
    marker = str(tmp_path / "killed-once")

    def die_once(x):
        import os
        import signal

        if x == 3 and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies running this task
        return x * 10

    frame = kjupyter.map(die_once, range(6), workers=2, chunksize=1, quiet=True)
    assert list(frame["status"]) == ["ok"] * 6
    assert list(frame["value"]) == [0, 10, 20, 30, 40, 50]
    assert frame.loc[3, "attempts"] == 2
    assert os.path.exists(marker)


def test_worker_that_always_dies_gives_up_after_the_limit():
    def die(_):
        import os

        os._exit(3)

    frame = kjupyter.map(die, [1], workers=1, retries=1, quiet=True)
    row = frame.iloc[0]
    assert row["status"] == "lost" and row["attempts"] == 2
    assert "exit code 3" in row["error"]


def test_rank_of_a_cell_is_retried_when_its_worker_dies(tmp_path):
    marker = tmp_path / "rank1"
    code = (
        "import os, signal\n"
        f"if RANK == 1 and not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "RANK"
    )
    frame = kjupyter.run(code, n=2, names={}, quiet=True)
    assert list(frame["value"]) == [0, 1]
    assert list(frame["attempts"]) == [1, 2]


def interrupt_when_started(folder) -> threading.Thread:
    """Send SIGINT to the main thread once a task has started (it leaves a file behind)."""
    main = threading.main_thread().ident

    def watch() -> None:
        wait_for(lambda: any(folder.iterdir()), what="a task to start")
        signal.pthread_kill(main, signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_interrupt_cancels_running_and_queued_tasks_and_keeps_finished(tmp_path):
    folder = str(tmp_path)

    def work(i):
        import time

        if i == 0:
            return "quick"
        open(f"{folder}/started-{i}", "w").close()
        time.sleep(60)  # interrupted by the cancel
        return "never"

    watcher = interrupt_when_started(tmp_path)
    frame = kjupyter.map(work, range(6), workers=2, chunksize=1, quiet=True)
    watcher.join()
    assert frame.loc[0, "status"] == "ok" and frame.loc[0, "value"] == "quick"
    assert list(frame["status"])[1:] == ["cancelled"] * 5
    # The workers stopped their tasks and stay in the warm pool for the next run.
    assert kjupyter.map(abs, [-1, -2], workers=2, values=True, quiet=True) == [1, 2]


def test_interrupt_kills_workers_that_ignore_cancellation(tmp_path):
    started = str(tmp_path / "stubborn")
    watcher = interrupt_when_started(tmp_path)

    def stubborn(_):
        import contextlib
        import time

        open(started, "w").close()
        while True:  # refuses to stop
            with contextlib.suppress(KeyboardInterrupt):
                time.sleep(60)

    frame = kjupyter.map(stubborn, [0], workers=1, cancel_grace=0.5, quiet=True)
    watcher.join()
    assert frame.loc[0, "status"] == "cancelled"
    assert "did not stop" in frame.loc[0, "error"]
    killed = int(frame.loc[0, "worker"].split("-")[1])
    assert killed not in worker_pids()
    assert kjupyter.map(abs, [-5], workers=1, values=True, quiet=True) == [5]  # replaced
