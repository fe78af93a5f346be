"""Failures on the kubernetes backend: pods deleted mid-run, interrupts, pods that cannot start."""

from __future__ import annotations

import io
import re
import signal
import sys
import threading

import cloudpickle
import pytest

import kjupyter
from kjupyter.errors import BackendError
from kjupyter.run.k8s import options as pod_options
from kjupyter.run.k8s import podspec
from tests.cluster.conftest import worker_pods

# The workers cannot import this test module: its functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def call_home(host: str, port: int) -> bytes:
    """Run in a task: tell the test's beacon which pod this is; return its answer."""
    import socket

    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(socket.gethostname().encode())
        return conn.recv(16)


def test_pod_deleted_during_a_map_of_1000(backend_options, core_api, namespace, beacon):
    host, port, calls = beacon

    def work(x):
        import time

        if x == 300 and call_home(host, port) == b"block":
            time.sleep(3600)  # first attempt: held here until the test deletes this pod
        return x

    deleted = []

    def delete_the_pod_holding_item_300() -> None:
        name = calls.get(timeout=120)
        core_api.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
        deleted.append(name)

    killer = threading.Thread(target=delete_the_pod_holding_item_300, daemon=True)
    killer.start()
    frame = kjupyter.map(work, range(1000), workers=3, **backend_options)
    killer.join()
    assert list(frame["status"].unique()) == ["ok"]
    assert list(frame["value"]) == list(range(1000))  # every result, once, in order
    row = frame[frame["item"] == 300].iloc[0]
    assert row["attempts"] == 2 and row["worker"] != deleted[0]


def test_interrupt_cancels_and_deletes_pods_that_do_not_stop(
    backend_options, core_api, namespace, beacon
):
    host, port, calls = beacon
    code = (
        "import time\n"
        "called = False\n"
        "while True:\n"
        "    try:\n"
        "        if not called:\n"
        "            called = call_home(host, port)\n"
        "        time.sleep(3600)\n"
        "    except KeyboardInterrupt:\n"
        "        pass  # a task that ignores cancellation\n"
    )
    names = {"call_home": call_home, "host": host, "port": port}
    main = threading.main_thread().ident

    def interrupt_when_both_run() -> None:
        calls.get(timeout=120)
        calls.get(timeout=120)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt_when_both_run, daemon=True).start()
    frame = kjupyter.run(code, n=2, names=names, cancel_grace=1.0, **backend_options)
    assert list(frame["status"]) == ["cancelled", "cancelled"]
    left = [(p.metadata.name, p.status.phase) for p in worker_pods(core_api, namespace)]
    assert left == [], (left, list(frame["worker"]))  # both pods were deleted


def test_missing_image_fails_in_one_line_and_deletes_its_pods(backend_options, core_api, namespace):
    options = dict(backend_options, image="kjupyter.local/no-such-image:0")
    with pytest.raises(BackendError) as failure:
        kjupyter.run("1", n=2, **options)
    message = str(failure.value)
    assert "did not start" in message and "Err" in message, message
    assert "\n" not in message
    assert worker_pods(core_api, namespace) == []


def test_gpu_request_is_a_limit_and_unschedulable_here(backend_options, core_api, namespace):
    spec = podspec.worker_pod(
        "p",
        pod_options.resolve(gpu=1, cpu="250m", memory="256Mi"),
        "img",
        {"kjupyter.dev/session": "s"},
        secret_name=None,
        owner=None,
    )
    resources = spec["spec"]["containers"][0]["resources"]
    assert resources["limits"] == {"cpu": "250m", "memory": "256Mi", "nvidia.com/gpu": "1"}
    options = dict(backend_options, gpu=1, start_timeout=5)
    with pytest.raises(BackendError, match=r"Unschedulable.*nvidia\.com/gpu"):
        kjupyter.run("1", n=1, **options)
    assert worker_pods(core_api, namespace) == []


def _segfault(x):
    import ctypes

    ctypes.string_at(0)  # reads address 0: SIGSEGV, the worker process dies


def _allocate(x):
    blocks = [bytearray(32 << 20) for _ in range(16)]  # 512 MiB under a 96 MiB limit
    return len(blocks)


@pytest.mark.parametrize(
    ("fn", "memory", "reason"),
    [(_segfault, None, "killed by signal 11"), (_allocate, "96Mi", "OOMKilled")],
    ids=["segfault", "oom"],
)
def test_the_reason_a_pod_died_is_in_the_task_error(backend_options, fn, memory, reason):
    options = dict(backend_options, memory=memory) if memory else backend_options
    frame = kjupyter.map(fn, [0], workers=1, **options)
    (error,) = frame["error"]
    assert frame["status"].iloc[0] == "lost"
    assert reason in error, error


class Terminal(io.StringIO):
    """stderr as a terminal: the live start line draws there with carriage returns."""

    def isatty(self) -> bool:
        return True


def test_pods_that_start_show_one_live_line_with_the_reason(
    backend_options, core_api, namespace, monkeypatch
):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    # No GPU here: never scheduled. 15 s gives a busy scheduler time to say so (it says so at
    # once on an idle cluster; the test then waits the 15 s, which is not asserted).
    options = dict(backend_options, gpu=1, start_timeout=15)
    with pytest.raises(BackendError, match="Unschedulable"):
        kjupyter.run("1", n=2, **options)
    drawn = terminal.getvalue()
    *versions, last = drawn.split("\r\x1b[2K")[1:]  # one line redrawn in place
    assert last.startswith("worker pods did not start after ") and last.endswith("\n"), last
    assert all(v.startswith("starting 2 worker pods: 2 created, 0 scheduled") for v in versions)
    assert not any("\n" in v for v in versions), versions  # never a scroll of lines
    # said while it waits, not only at the end
    assert any(re.search(r"Unschedulable: 0/\d+ nodes are available", v) for v in versions)
    assert worker_pods(core_api, namespace) == []
