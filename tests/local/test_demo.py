"""The README's first command ends in `python -m kjupyter.demo`: it must keep working."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_runs_on_the_local_backend_and_reports_the_failure_it_plants():
    done = subprocess.run(
        [sys.executable, "-m", "kjupyter.demo"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "hello from rank 1 of 2" in done.stdout
    assert re.search(r"16 tasks on local \(\d+ workers\)", done.stdout)
    assert "15 ok, 1 failed" in done.stdout
    assert "ValueError: 13 is unlucky" in done.stdout
