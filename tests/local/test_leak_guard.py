"""The leak guard looks only at this test run's workers, never at another run's on the machine.

Several test runs share these machines (engineers and CI side by side); a guard that counted
every `kjupyter.worker` process would call another run's workers leaked and kill them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .conftest import wait_for, worker_pids


def test_a_worker_of_another_process_is_not_ours():
    # The shell exits at once, so the sleeper is nobody's child here: like another run's worker.
    code = "import time; time.sleep(60)"
    script = f'{sys.executable} -c "{code}" kjupyter.worker >/dev/null 2>&1 & echo $!'
    pid = int(subprocess.run(["sh", "-c", script], capture_output=True, text=True).stdout)
    try:
        wait_for(lambda: os.path.exists(f"/proc/{pid}/cmdline"), what="the foreign process")
        cmdline = Path(f"/proc/{pid}/cmdline")
        wait_for(lambda: b"kjupyter.worker" in cmdline.read_bytes(), what="its command line")
        assert pid not in worker_pids()
    finally:
        os.kill(pid, signal.SIGKILL)
