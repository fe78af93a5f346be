"""Issue 16, defect 7: what the user sees when things go wrong, said in one line."""

from __future__ import annotations

import os
import time

import pytest

import kjupyter
from kjupyter.errors import BackendError
from kjupyter.run import backends
from kjupyter.run.local import LocalBackend

pytestmark = pytest.mark.timeout(120)


def test_an_unknown_option_of_the_local_backend_is_a_one_line_error():
    with pytest.raises(BackendError) as caught:
        kjupyter.map(abs, [1], backend="local", cpu="1", quiet=True)
    message = str(caught.value)
    assert "\n" not in message
    assert "'cpu'" in message and "local" in message and "python" in message


class SlowStartBackend(LocalBackend):
    """Local workers whose start takes a while, recording when it began and ended."""

    name = "slow-start"

    def start(self, count, session):
        self.began = time.monotonic()
        time.sleep(0.3)  # a stand-in for a pod's start, not a synchronisation
        workers = super().start(count, session)
        self.ended = time.monotonic()
        return workers


class ForeignKeyBackend(LocalBackend):
    """Local workers given another session secret than the kernel's, checked by the kernel."""

    name = "foreign-key"
    verify_workers = True

    def worker_secret(self, session):
        return os.urandom(32)


backends.register("slow-start", SlowStartBackend)
backends.register("foreign-key", ForeignKeyBackend)


def test_the_summary_time_includes_starting_the_workers():
    before = time.monotonic()
    frame = kjupyter.map(abs, [1, 2], workers=1, backend="slow-start", quiet=True)
    after = time.monotonic()
    backend = kjupyter.run.pool.get_pool("slow-start").backend
    # The clock of the summary started before the backend's start and ran past its end.
    assert frame.attrs["elapsed"] >= backend.ended - backend.began
    assert frame.attrs["elapsed"] <= after - before


def test_a_key_mismatch_is_called_a_key_mismatch():
    frame = kjupyter.map(abs, [1, 2], workers=1, backend="foreign-key", quiet=True)
    assert set(frame["status"]) == {"lost"}
    assert "key mismatch" in frame.loc[0, "error"]
    assert "saying hello" not in frame.loc[0, "error"]


def test_a_loud_task_is_cut_in_the_cell_and_kept_whole_in_the_results(capfd):
    def loud(_):
        for _ in range(5_000):
            print("z" * 99)  # 500,000 characters

    frame = kjupyter.map(loud, [0], workers=1, quiet=True)
    assert len(frame.loc[0, "stdout"]) == 500_000
    echoed = capfd.readouterr().out
    assert "output cut here" in echoed
    assert len(echoed) < 200_000
