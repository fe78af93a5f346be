"""Issue 16, item 7: `map` streams its items instead of reading them all first."""

from __future__ import annotations

import itertools
import os
import signal
import threading

import pytest

import kjupyter

from .conftest import wait_for

pytestmark = pytest.mark.timeout(120)


def test_tasks_run_before_the_items_are_exhausted(tmp_path):
    started = tmp_path / "started"
    seen = []

    def items():
        yield 0
        # A map that read every item first would wait here in vain: nothing has been sent.
        try:
            wait_for(started.exists, timeout=20, what="a task to start")
            seen.append("a task ran while items were still coming")
        except AssertionError:
            seen.append("nothing ran")
        yield from range(1, 5)

    def mark(x):
        open(started, "w").close()
        return x * 10

    frame = kjupyter.map(mark, items(), workers=1, quiet=True)
    assert seen == ["a task ran while items were still coming"]
    assert list(frame["value"]) == [0, 10, 20, 30, 40]
    assert list(frame["item"]) == [0, 1, 2, 3, 4]


def test_an_infinite_iterator_runs_until_interrupted(tmp_path):
    folder = str(tmp_path)

    def note(x):
        open(os.path.join(folder, f"ran-{x}"), "w").close()
        return x

    main = threading.main_thread().ident

    def interrupt_after_some_ran() -> None:
        wait_for(lambda: len(os.listdir(folder)) >= 20, what="20 tasks to run")
        signal.pthread_kill(main, signal.SIGINT)

    watcher = threading.Thread(target=interrupt_after_some_ran, daemon=True)
    watcher.start()
    frame = kjupyter.map(note, itertools.count(), workers=2, quiet=True)
    watcher.join()
    ok = frame[frame["status"] == "ok"]
    assert len(ok) >= 20
    assert list(ok["value"]) == list(ok["item"])
    assert len(frame) < 10_000  # bounded look-ahead: not an ever-growing list of items


def test_an_iterator_that_raises_ends_the_map_with_the_results_so_far(capsys):
    def items():
        yield from range(3)
        raise ValueError("bad source")

    frame = kjupyter.map(abs, items(), workers=1)
    assert list(frame["value"]) == [0, 1, 2]
    assert "items stopped after 3: ValueError: bad source" in capsys.readouterr().err
