"""Issue 16, defect 4: local workers are watched as processes, and end with their children."""

from __future__ import annotations

import pytest

import kjupyter
from kjupyter.run import pool

from .conftest import wait_for, worker_pids

pytestmark = pytest.mark.timeout(120)


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_that_dies_leaving_a_forked_child_is_noticed_and_the_child_ends(tmp_path):
    child_file = str(tmp_path / "child")

    def fork_and_die(x):
        import os
        import time

        if x == 1 and not os.path.exists(child_file):
            pid = os.fork()
            if pid == 0:  # the child holds the worker's socket open, sleeping
                time.sleep(600)
                os._exit(0)
            with open(child_file, "w") as f:
                f.write(str(pid))
            os._exit(1)
        return x

    frame = kjupyter.map(fork_and_die, range(3), workers=1, chunksize=1, quiet=True)
    assert list(frame["status"]) == ["ok"] * 3
    assert frame.loc[1, "attempts"] == 2  # its first worker's death was seen, then a retry
    with open(child_file) as f:
        child = int(f.read())
    wait_for(lambda: not alive(child), what="the forked child to end with its worker")


def test_children_a_task_starts_end_with_the_pool():
    def start_sleeper(_):
        import subprocess

        return subprocess.Popen(["sleep", "600"]).pid

    pids = kjupyter.map(start_sleeper, range(2), workers=2, values=True, quiet=True)
    assert all(alive(pid) for pid in pids)
    pool.shutdown_all()
    wait_for(lambda: not any(alive(pid) for pid in pids), what="the tasks' children to end")


def test_a_bare_fork_in_a_task_leaves_no_worker_copy_behind():
    def bare_fork(x):
        import os

        os.fork()  # both copies return: the copy must not go on serving as a worker
        return x

    before = worker_pids()
    assert kjupyter.map(bare_fork, range(4), workers=1, values=True, quiet=True) == [0, 1, 2, 3]
    pool.shutdown_all()
    wait_for(lambda: not worker_pids() - before, what="every copy of the worker to end")


KERNEL = """
import sys, kjupyter

def start_sleeper(_):
    import subprocess
    return subprocess.Popen(["sleep", "600"]).pid

print(kjupyter.map(start_sleeper, [0], workers=1, values=True, quiet=True)[0], flush=True)
sys.stdin.read()  # stay up until the test kills us
"""


def test_children_of_tasks_end_when_the_kernel_is_killed():
    import subprocess
    import sys

    kernel = subprocess.Popen(
        [sys.executable, "-c", KERNEL],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        sleeper = int(kernel.stdout.readline())
        assert alive(sleeper)
    finally:
        kernel.kill()  # no atexit, no goodbye: the workers only see their socket close
        kernel.wait()
    wait_for(lambda: not alive(sleeper), what="the task's child to end with its worker")
