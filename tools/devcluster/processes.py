"""Start daemons detached with a PID file and a log each; stop exactly those PIDs.

There is no systemd here: every component is a child we start by hand, and `down` must stop
only what `up` started, so each PID is written down together with its start time (a recycled
PID with another start time is not ours).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def start(name: str, argv: Sequence[str], pids: Path, logs: Path, env: dict | None = None) -> int:
    """Start `argv` in its own session, logging to `logs/NAME.log`; record its PID."""
    pids.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as log:
        log.write(f"\n==== {time.ctime()} {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    (pids / f"{name}.pid").write_text(f"{proc.pid} {_start_time(proc.pid)} {_argv_key(argv)}\n")
    return proc.pid


def _argv_key(argv: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(argv).encode()).hexdigest()[:16]


def started_with(name: str, pids: Path, argv: Sequence[str]) -> bool:
    """Whether NAME was started with exactly `argv` (a changed flag needs a restart)."""
    try:
        fields = (pids / f"{name}.pid").read_text().split()
    except OSError:
        return False
    return len(fields) == 3 and fields[2] == _argv_key(argv)


def running(name: str, pids: Path) -> int | None:
    """The PID of component NAME if the process we started is still alive."""
    try:
        pid_text, started = (pids / f"{name}.pid").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    pid = int(pid_text)
    return pid if _start_time(pid) == started else None


def stop(name: str, pids: Path, timeout: float = 20.0) -> bool:
    """SIGTERM the recorded process group of NAME, SIGKILL after `timeout`; True if it ran."""
    pid = running(name, pids)
    (pids / f"{name}.pid").unlink(missing_ok=True)
    if pid is None:
        return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if _start_time(pid) is None or _is_zombie(pid):
                _reap(pid)
                return True
            time.sleep(0.1)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_for(
    what: str, check: Callable[[], bool], timeout: float, log: Path | None = None
) -> float:
    """Poll `check` until it is true (a readiness condition, never a fixed delay)."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # the component is not up yet; keep asking until the deadline
            pass
        if time.monotonic() - started > timeout:
            tail = ""
            if log is not None and log.exists():
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s\n{tail}")
        time.sleep(0.2)


def run(argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a set-up command; its output is shown only when it fails."""
    result = subprocess.run(list(argv), capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {result.returncode}: {result.stderr.strip()[-2000:]}"
        )
    return result
