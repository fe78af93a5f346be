"""Issue 16, defect 8: a cancel names its tasks and never reaches the next one on a worker."""

from __future__ import annotations

import pytest

from kjupyter.run import backends, capture, messages, wire
from kjupyter.run.local import LocalBackend
from kjupyter.run.tasks import new_task_ids

pytestmark = pytest.mark.timeout(240)


def spin_then_return(x):
    """Run a few hundred microseconds: long enough for a cancel to race its end."""
    import sys
    import time

    sys.setswitchinterval(1e-6)  # threads of the worker interleave as finely as they can
    end = time.perf_counter() + x
    while time.perf_counter() < end:
        pass
    return x


def results_of(channel, ids: set[int]) -> dict[int, str]:
    """Read frames until every task in `ids` has a result; task id -> (status, error)."""
    got: dict[int, str] = {}
    while not ids <= got.keys():
        msg, _ = channel.recv(timeout=60)
        if msg[0] == "done":
            for task_id, status, _n, error, *_ in messages.result_rows(msg):
                got[task_id] = (status, error)
    return got


def test_a_cancel_racing_a_tasks_end_never_reaches_the_next_task():
    backend = LocalBackend()
    worker = backend.start(1, backends.current_session())[0]
    try:
        channel = worker.channel
        assert channel.recv(timeout=60)[0][0] == "hello"
        blob = capture.capture_callable(spin_then_return)
        puts = [(blob.key, len(blob.parts))]
        attachments = list(blob.parts)
        hits = 0
        for round_ in range(400):
            first, second = new_task_ids(2)
            # `first` ends about when the cancel lands; `second` is queued behind it.
            delay = 0.0002 * (round_ % 10)
            args = wire.pack_value([delay, 0.0])
            run = ({"kind": "call", "fn": blob.key}, [first, second], len(args))
            channel.send(("work", [], puts, [run]), [*attachments, *args])
            puts, attachments = [], []
            channel.send(("cancel", [first]))
            got = results_of(channel, {first, second})
            assert got[second] == (messages.OK, ""), f"round {round_}: {got[second]}"
            hits += got[first][0] == messages.CANCELLED
        assert hits, "no cancel landed on a running task: the race was not exercised"
    finally:
        backend.stop(worker, force=True)
